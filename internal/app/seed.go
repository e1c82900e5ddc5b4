package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kite-crm/kite/internal/config"
	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/identity"
	"github.com/kite-crm/kite/internal/inbox"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/pipeline"
)

// seedOptions are the flags of `kite seed`.
type seedOptions struct {
	org       string
	email     string
	contacts  int
	companies int
	deals     int
	pipelines int
	chats     int
	longChat  int
}

// seedFlags parses the seed flags out of args and returns the rest (the
// configuration flags).
func seedFlags(args []string) (seedOptions, []string, error) {
	o := seedOptions{org: "Seeded Org", contacts: 10_000, companies: 1_000, pipelines: 3}
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.org, "org", o.org, "organization name")
	fs.StringVar(&o.email, "email", "", "owner's email (default: a new seed address)")
	fs.IntVar(&o.contacts, "contacts", o.contacts, "contacts to create")
	fs.IntVar(&o.companies, "companies", o.companies, "companies to create")
	fs.IntVar(&o.deals, "deals", o.deals, "open deals to create, spread over -pipelines")
	fs.IntVar(&o.pipelines, "pipelines", o.pipelines, "pipelines holding the deals, the default one included")
	fs.IntVar(&o.chats, "chats", o.chats, "inbox chats to create, two messages each, 5% of them unread")
	fs.IntVar(&o.longChat, "chat-messages", 0, "messages of one more chat, titled \"Long conversation (N messages)\" (kitebench chat-open)")
	var mine, rest []string
	for i := 0; i < len(args); i++ {
		name := strings.TrimLeft(strings.SplitN(args[i], "=", 2)[0], "-")
		if fs.Lookup(name) == nil {
			rest = append(rest, args[i])
			if !strings.Contains(args[i], "=") && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
				rest = append(rest, args[i])
			}
			continue
		}
		mine = append(mine, args[i])
		if !strings.Contains(args[i], "=") && i+1 < len(args) {
			i++
			mine = append(mine, args[i])
		}
	}
	if err := fs.Parse(mine); err != nil {
		return o, nil, fmt.Errorf("seed: %w", err)
	}
	if o.contacts < 0 || o.companies < 0 || o.contacts > 10_000_000 || o.companies > 1_000_000 {
		return o, nil, fmt.Errorf("seed: -contacts must be 0–10,000,000 and -companies 0–1,000,000")
	}
	if o.deals < 0 || o.deals > 10_000_000 || o.pipelines < 1 || o.pipelines > 100 {
		return o, nil, fmt.Errorf("seed: -deals must be 0–10,000,000 and -pipelines 1–100")
	}
	if o.chats < 0 || o.chats > 10_000_000 {
		return o, nil, fmt.Errorf("seed: -chats must be 0–10,000,000")
	}
	if o.longChat < 0 || o.longChat > 1_000_000 {
		return o, nil, fmt.Errorf("seed: -chat-messages must be 0–1,000,000")
	}
	return o, rest, nil
}

// seed runs `kite seed`: a new owner and organization filled with realistic
// companies and contacts (and deals when asked), plus an admin API key for
// benchmarks. On SQLite, stop `kite serve` first (one process per data dir).
func seed(cfg config.Config, o seedOptions, out io.Writer) error {
	ctx := context.Background()
	a, err := New(ctx, cfg, Options{Version: "seed"})
	if err != nil {
		return err
	}
	defer a.close()
	if o.email == "" {
		b := make([]byte, 4)
		rand.Read(b)
		o.email = "seed-" + hex.EncodeToString(b) + "@example.com"
	}
	pw := make([]byte, 12)
	rand.Read(pw)
	password := hex.EncodeToString(pw)
	u, created, err := a.Identity.SignUp(ctx, identity.SignUpInput{Email: o.email, Password: password, Name: "Seed Owner", OrganizationName: o.org}, identity.ClientMeta{})
	if err != nil {
		return fmt.Errorf("seed: creating the owner: %w", err)
	}
	organization, ok := created.(org.Organization)
	if !ok {
		return fmt.Errorf("seed: no organization was created")
	}
	owner := org.Actor{UserID: u.ID, Name: u.Name, OrgID: organization.ID, Role: org.Owner}
	key, err := a.Orgs.CreateAPIKey(ctx, owner, "kitebench", org.Admin)
	if err != nil {
		return err
	}
	start := time.Now()
	last := time.Now()
	companies, contacts, err := a.CRM.Seed(ctx, organization.ID, crm.SeedOptions{Companies: o.companies, Contacts: o.contacts}, func(done int) {
		if time.Since(last) > 2*time.Second || done == o.contacts {
			fmt.Fprintf(out, "  %d/%d contacts\n", done, o.contacts)
			last = time.Now()
		}
	})
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	elapsed := time.Since(start)
	fmt.Fprintf(out, "Seeded %q (org %s): %d companies and %d contacts in %s (%.0f rows/s).\n", organization.Name, organization.ID,
		companies, contacts, elapsed.Round(time.Millisecond), float64(companies+contacts)/elapsed.Seconds())
	if o.deals > 0 {
		if err := seedDeals(ctx, a, organization.ID, o, out); err != nil {
			return err
		}
	}
	if o.chats > 0 || o.longChat > 0 {
		if err := seedChats(ctx, a, organization.ID, o, out); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "Owner: %s / %s\nAPI key (admin): %s\n", o.email, password, key.Key)
	return nil
}

// seedDeals adds the pipelines and open deals of `kite seed -deals`.
func seedDeals(ctx context.Context, a *App, orgID string, o seedOptions, out io.Writer) error {
	start := time.Now()
	res, err := a.Pipelines.Seed(ctx, orgID, pipeline.SeedOptions{Pipelines: o.pipelines, Deals: o.deals}, seedProgress(out, "deals"))
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	elapsed := time.Since(start)
	fmt.Fprintf(out, "Seeded %d open deals over %d pipelines in %s (%.0f deals/s).\n", res.Deals, len(res.PipelineIDs),
		elapsed.Round(time.Millisecond), float64(res.Deals)/elapsed.Seconds())
	return nil
}

// seedChats adds the inbox chats of `kite seed -chats`.
func seedChats(ctx context.Context, a *App, orgID string, o seedOptions, out io.Writer) error {
	start := time.Now()
	n, err := a.Inbox.Seed(ctx, orgID, inbox.SeedOptions{Chats: o.chats, LongChat: o.longChat}, seedProgress(out, "chats"))
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	elapsed := time.Since(start)
	fmt.Fprintf(out, "Seeded %d chats in %s (%.0f chats/s).\n", n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	if o.longChat > 0 {
		fmt.Fprintf(out, "Seeded the chat %q.\n", inbox.LongChatTitle(o.longChat))
	}
	return nil
}

// seedProgress prints "done/total what" every two seconds and at the end.
func seedProgress(out io.Writer, what string) func(done, total int) {
	last := time.Now()
	return func(done, total int) {
		if time.Since(last) > 2*time.Second || done == total {
			fmt.Fprintf(out, "  %d/%d %s\n", done, total, what)
			last = time.Now()
		}
	}
}
