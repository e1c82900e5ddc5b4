package app

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/kite-crm/kite/internal/bench"
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
