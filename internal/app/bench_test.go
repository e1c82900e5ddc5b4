package app

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/kite-crm/kite/internal/bench"
	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// The kitebench scenarios that talk to the API work against a real Kite.
func TestBenchScenariosAgainstKite(t *testing.T) {
	t.Parallel()
	a := startApp(t, testConfig(t, dbtest.New(t, "sqlite", true)))
	opts := bench.DefaultOptions()
	opts.BaseURL, opts.Clients, opts.Count, opts.Warmup = a.URL(), 2, 6, 0
	for _, s := range []bench.Scenario{bench.NewReadyz(), bench.NewSignIn(), bench.NewMe()} {
		env, err := bench.NewEnv(opts, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		results, err := bench.Execute(ctx, s, env)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", s.Name(), err)
		}
		if len(results) != 1 || results[0].Requests != 6 || results[0].Errors != 0 {
			t.Fatalf("%s: %+v", s.Name(), results)
		}
	}
}

// The CRM scenarios work against a seeded organization.
func TestCRMBenchScenariosAgainstSeededKite(t *testing.T) {
	t.Parallel()
	a := startApp(t, testConfig(t, dbtest.New(t, "sqlite", true)))
	acc := newClient(t, a).signUp("bench-seed@example.com", "Bench")
	if _, _, err := a.CRM.Seed(context.Background(), acc.OrgID, crm.SeedOptions{Companies: 50, Contacts: 10_100, Batch: 2000}, nil); err != nil {
		t.Fatal(err)
	}
	key, err := a.Orgs.CreateAPIKey(context.Background(), org.Actor{UserID: acc.UserID, OrgID: acc.OrgID, Role: org.Owner}, "bench", org.Admin)
	if err != nil {
		t.Fatal(err)
	}
	opts := bench.DefaultOptions()
	opts.BaseURL, opts.Clients, opts.Count, opts.Warmup, opts.Token = a.URL(), 2, 4, 0, key.Key
	for _, s := range []bench.Scenario{bench.NewContactsList(), bench.NewContactsDeep(), bench.NewContactsByTag(),
		bench.NewSearchRare(), bench.NewSearchCommon(), bench.NewContactsCreate(), bench.NewContactsPatch()} {
		env, err := bench.NewEnv(opts, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		results, err := bench.Execute(ctx, s, env)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", s.Name(), err)
		}
		if len(results) != 1 || results[0].Requests != 4 || results[0].Errors != 0 {
			t.Fatalf("%s: %+v", s.Name(), results)
		}
	}
}
