package crm

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
)

// Seeding fills an organization with realistic companies and contacts for
// benchmarks and demos, fast: many rows per statement (batch.go, shared
// with CSV imports), no domain events (seeded rows are not activity anyone
// did).

// SeedOptions size the data.
type SeedOptions struct {
	Companies int
	Contacts  int
	// Batch is rows per INSERT statement (and transaction); default 1000.
	Batch int
	// Seed makes the data repeatable.
	Seed uint64
}

var (
	seedFirst = strings.Fields(`Anna Ben Clara David Elena Felix Greta Hugo Ida Jonas Karin Leo Mia Noah Olga Paul
		Rosa Sven Tina Umar Vera Wim Yara Zoe José Zoë Łukasz Søren Chloé Björn Ines Mateo Aiko Priya Omar Lena Ivan`)
	seedLast = strings.Fields(`Müller Smith Garcia Kowalski Nguyen Rossi Dubois Jensen Tanaka Silva Novak Fischer
		Ivanova Haddad Okafor Larsen Costa Weber Moreau Schmidt Jones Brown Wilson Taylor Martin Lee Walker Young`)
	seedWords = strings.Fields(`North Blue Apex Bright Urban Nordic Summit Harbor Clear Prime Green Solid Vector Lumen
		Atlas Cedar Delta Echo Falcon Granite Horizon Iris`)
	seedKinds = strings.Fields(`Logistics Software Foods Energy Studio Labs Capital Health Systems Works Partners Retail`)
	seedTags  = strings.Fields(`vip lead customer partner churned trial newsletter event webinar referral`)
	seedTitle = []string{"CEO", "CTO", "Head of Sales", "Buyer", "Founder", "Account Manager", "Procurement Lead", ""}
)

// Seed adds companies and contacts to an org and returns how many of each
// it made. progress, when set, is called after every batch of contacts.
func (s *Service) Seed(ctx context.Context, orgID string, o SeedOptions, progress func(done int)) (int, int, error) {
	if o.Batch <= 0 {
		o.Batch = 1000
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x6b697465))
	now := s.now().UTC()
	tags, err := s.seedTagSet(ctx, orgID)
	if err != nil {
		return 0, 0, err
	}
	companyIDs := make([]string, 0, o.Companies)
	companyNames := make(map[string]string, o.Companies)
	for done := 0; done < o.Companies; {
		n := min(o.Batch, o.Companies-done)
		rows := make([]Company, n)
		for i := range rows {
			name := fmt.Sprintf("%s %s %d", pick(rng, seedWords), pick(rng, seedKinds), done+i+1)
			domain := strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example"
			c := Company{ID: db.NewID(), OrgID: orgID, Name: name, Domain: domain, Website: "https://" + domain,
				Industry: pick(rng, seedKinds), CustomFieldsText: "{}", CreatedAt: now.Add(-time.Duration(rng.IntN(3e6)) * time.Second)}
			c.UpdatedAt, c.SearchText = c.CreatedAt, companySearchText(c)
			rows[i] = c
			companyIDs = append(companyIDs, c.ID)
			companyNames[c.ID] = name
		}
		if err := insertCompanies(ctx, s.db, rows); err != nil {
			return done, 0, err
		}
		done += n
	}
	for done := 0; done < o.Contacts; {
		n := min(o.Batch, o.Contacts-done)
		rows := make([]Contact, n)
		var links []contactTag
		for i := range rows {
			first, last := pick(rng, seedFirst), pick(rng, seedLast)
			num := done + i + 1
			c := Contact{ID: db.NewID(), OrgID: orgID, FirstName: first, LastName: last,
				Email: fmt.Sprintf("%s.%s.%d@%s", strings.ToLower(FoldForSearch(first)), strings.ToLower(FoldForSearch(last)), num, "mail.example"),
				Phone: fmt.Sprintf("+1415%07d", num%10_000_000), Title: pick(rng, seedTitle),
				CustomFieldsText: "{}", CreatedAt: now.Add(-time.Duration(rng.IntN(3e7)) * time.Second)}
			c.Email = strings.ReplaceAll(c.Email, " ", "")
			c.PhoneKey = PhoneKey(c.Phone)
			if len(companyIDs) > 0 && rng.IntN(4) > 0 {
				c.CompanyID = companyIDs[rng.IntN(len(companyIDs))]
			}
			c.UpdatedAt = c.CreatedAt
			c.SearchText = contactSearchText(c, companyNames[c.CompanyID])
			rows[i] = c
			for _, t := range rng.Perm(len(tags))[:rng.IntN(3)] {
				links = append(links, contactTag{TagID: tags[t], ContactID: c.ID, CreatedAt: c.CreatedAt})
			}
		}
		err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := insertContacts(ctx, tx, rows); err != nil {
				return err
			}
			return linkContactTags(ctx, tx, links)
		})
		if err != nil {
			return o.Companies, done, err
		}
		done += n
		if progress != nil {
			progress(done)
		}
	}
	return o.Companies, o.Contacts, nil
}

func (s *Service) seedTagSet(ctx context.Context, orgID string) ([]string, error) {
	var ids []string
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		tags, err := s.ensureTags(ctx, tx, orgID, seedTags)
		for _, t := range tags {
			ids = append(ids, t.ID)
		}
		return err
	})
	return ids, err
}

func pick(rng *rand.Rand, from []string) string { return from[rng.IntN(len(from))] }
