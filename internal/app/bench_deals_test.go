package app

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kite-crm/kite/internal/bench"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/pipeline"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// The deal scenarios work against a seeded organization on every database,
// and deals-move's check catches a lost move and a wrong board count.
func TestDealBenchScenariosAgainstSeededKite(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		a := startApp(t, testConfig(t, b))
		acc := newClient(t, a).signUp("bench-deals@example.com", "Bench Deals")
		owner := org.Actor{UserID: acc.UserID, OrgID: acc.OrgID, Role: org.Owner}
		seeded, err := a.Pipelines.Seed(ctx, acc.OrgID, pipeline.SeedOptions{Pipelines: 3, Deals: 600}, nil)
		if err != nil {
			t.Fatal(err)
		}
		key, err := a.Orgs.CreateAPIKey(ctx, owner, "bench", org.Admin)
		if err != nil {
			t.Fatal(err)
		}
		opts := bench.DefaultOptions()
		opts.BaseURL, opts.Clients, opts.Count, opts.Warmup, opts.Token = a.URL(), 4, 60, 0, key.Key
		env, err := bench.NewEnv(opts, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(env.Close)

		execute := func(s bench.Scenario) bench.Result {
			t.Helper()
			ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			results, err := bench.Execute(ctx, s, env)
			if err != nil {
				t.Fatalf("%s: %v", s.Name(), err)
			}
			if len(results) != 1 || results[0].Requests != 60 || results[0].Errors != 0 {
				t.Fatalf("%s: %+v", s.Name(), results)
			}
			return results[0]
		}
		execute(bench.NewDealsBoard())
		move := bench.NewDealsMove()
		res := execute(move)
		metrics := map[string]float64{}
		for _, m := range res.Metrics {
			metrics[m.Name] = m.Value
		}
		if metrics["deals checked"] != 600 || metrics["deals moved"] == 0 || metrics["placements verified"] == 0 || metrics["violations"] != 0 {
			t.Fatalf("check metrics %v, want 600 deals checked, some moved and verified, and no violation", metrics)
		}

		// Moved behind the scenario's back, a deal is not where its client
		// last put it; a stage total off by one no longer matches its deals.
		board, err := a.Pipelines.Board(ctx, acc.OrgID, seeded.PipelineIDs[1], pipeline.DealFilter{})
		if err != nil {
			t.Fatal(err)
		}
		from, to := board.Columns[1], board.Columns[2]
		if _, err := a.Pipelines.Move(ctx, owner, from.Deals[0].ID, pipeline.MoveInput{StageID: to.Stage.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.DB.ExecContext(ctx, "UPDATE stage_totals SET deals = deals + 1 WHERE stage_id = ?", to.Stage.ID); err != nil {
			t.Fatal(err)
		}
		err = move.Check(ctx, env, &bench.Result{})
		if err == nil || !strings.Contains(err.Error(), "its last move put it in") || !strings.Contains(err.Error(), "the board counts") {
			t.Fatalf("check after tampering: %v", err)
		}
	})
}

// `kite seed -deals` adds pipelines and open deals to the seeded org.
func TestSeedCommandWithDeals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vars := map[string]string{"KITE_DATA_DIR": dir, "KITE_ADDR": "127.0.0.1:0"}
	code, out, errOut := run(t, vars, "seed", "-contacts", "30", "-companies=3", "-deals", "90", "-pipelines", "2")
	if code != 0 || !strings.Contains(out, "Seeded 90 open deals over 2 pipelines") {
		t.Fatalf("seed: %d %q %q", code, out, errOut)
	}
	key := strings.TrimSpace(out[strings.Index(out, "kite_"):])
	for _, bad := range [][]string{{"-deals", "-1"}, {"-deals", "5", "-pipelines", "0"}} {
		if code, _, errOut := run(t, vars, append([]string{"seed"}, bad...)...); code != 2 || !strings.Contains(errOut, bad[len(bad)-2]) {
			t.Fatalf("seed %v: %d %q", bad, code, errOut)
		}
	}
	a := startApp(t, testConfig(t, dbtest.Backend{Kind: "sqlite", Path: dir + "/kite.db"}))
	api := newClient(t, a).as(key, "")
	pipelines := api.must(200, "GET", "/pipelines", nil).Items()
	if len(pipelines) != 2 {
		t.Fatalf("the seeded org has %d pipelines, want 2", len(pipelines))
	}
	total := 0
	for _, p := range pipelines {
		r := api.must(200, "GET", "/deals?limit=200&status=open&pipeline_id="+p["id"].(string), nil)
		total += len(r.Items())
	}
	if total != 90 {
		t.Fatalf("the seeded pipelines hold %d open deals, want 90", total)
	}
}
