package bench

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestDefaultScenariosAreRunnableAndDescribed(t *testing.T) {
	t.Parallel()
	r := DefaultScenarios()
	if got := strings.Join(r.Names(), ","); got != "readyz,coldstart,signin,me,contacts-list,contacts-deep,contacts-tag,search-rare,search-common,contacts-create,contacts-patch,import,deals-board,deals-move,chats-list,chats-unread,telegram-inbound,telegram-outbound,inbox-fanout,ws-broadcast,chat-open" {
		t.Errorf("names %q", got)
	}
	for _, s := range r.All() {
		_, load := s.(LoadScenario)
		_, standalone := s.(StandaloneScenario)
		if load == standalone {
			t.Errorf("%s must be exactly one of LoadScenario and StandaloneScenario", s.Name())
		}
		if s.Description() == "" {
			t.Errorf("%s has no description", s.Name())
		}
	}
	if DefaultScenarios().All()[1] == r.All()[1] {
		t.Error("each DefaultScenarios call must build its own scenario values")
	}
}

func TestRegistryRejectsBadNames(t *testing.T) {
	t.Parallel()
	if _, err := NewRegistry(NewReadyz(), NewReadyz()); err == nil {
		t.Error("duplicate name accepted")
	}
	if _, err := NewRegistry(namedOnly("two words")); err == nil {
		t.Error("name with a space accepted")
	}
	if _, err := NewRegistry(namedOnly("")); err == nil {
		t.Error("empty name accepted")
	}
	r, err := NewRegistry(NewReadyz())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Lookup("nope"); ok {
		t.Error("lookup of an unknown name succeeded")
	}
}

// namedOnly is a scenario with a name and nothing to run.
type namedOnly string

func (n namedOnly) Name() string      { return string(n) }
func (namedOnly) Description() string { return "test" }

func TestExecuteRejectsScenarioWithoutKind(t *testing.T) {
	t.Parallel()
	env := testEnv(t, "http://127.0.0.1:1")
	if _, err := Execute(t.Context(), namedOnly("empty"), env); err == nil {
		t.Error("a scenario with neither Do nor Run was executed")
	}
}

// testEnv returns an Env for url measuring 50 requests from 4 clients.
func testEnv(t *testing.T, url string) *Env {
	t.Helper()
	opts := DefaultOptions()
	opts.BaseURL, opts.Clients, opts.Count, opts.Warmup = url, 4, 50, 0
	env, err := NewEnv(opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	return env
}

// checked is a load scenario that counts its requests and then checks them.
type checked struct {
	done  atomic.Int64
	fails bool
}

func (*checked) Name() string        { return "checked" }
func (*checked) Description() string { return "test" }
func (c *checked) Do(context.Context, *http.Client, *Env) error {
	c.done.Add(1)
	return nil
}
func (c *checked) Check(_ context.Context, _ *Env, res *Result) error {
	res.Metrics = append(res.Metrics, Metric{Name: "seen", Value: float64(c.done.Load())})
	if c.fails {
		return errors.New("lost an update")
	}
	return nil
}

func TestExecuteChecksAfterTheLoad(t *testing.T) {
	t.Parallel()
	env := testEnv(t, "http://127.0.0.1:1")
	results, err := Execute(t.Context(), &checked{}, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || len(results[0].Metrics) != 1 || results[0].Metrics[0].Value != 50 {
		t.Fatalf("results %+v, want the check's metric after all 50 requests", results)
	}
	results, err = Execute(t.Context(), &checked{fails: true}, env)
	if err == nil || !strings.Contains(err.Error(), "checked: check: lost an update") {
		t.Errorf("err = %v, want the failed check", err)
	}
	if len(results) != 1 || results[0].Requests != 50 {
		t.Errorf("a failed check must keep the measurements: %+v", results)
	}
}

func TestReadyzScenario(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		hits.Add(1)
	}))
	t.Cleanup(srv.Close)
	env := testEnv(t, srv.URL+"/")
	results, err := Execute(t.Context(), NewReadyz(), env)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Scenario != "readyz" || results[0].Requests != 50 || results[0].Errors != 0 {
		t.Fatalf("results %+v", results)
	}
	if hits.Load() != 51 { // one setup probe plus the measured 50
		t.Errorf("server saw %d GET /readyz, want 51", hits.Load())
	}
}

func TestReadyzFailsFastWhenTargetIsNotReady(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	_, err := Execute(t.Context(), NewReadyz(), testEnv(t, srv.URL))
	if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "setup") {
		t.Errorf("err = %v, want a setup error naming status 503", err)
	}
}

func TestReadyzTreatsOtherSuccessStatusAsError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	env := testEnv(t, srv.URL)
	err := NewReadyz().Do(t.Context(), env.Client, env)
	if err == nil || !strings.Contains(err.Error(), "GET /readyz: status 204") {
		t.Errorf("err = %v, want a status error for 204", err)
	}
}

func TestNewEnvTunesClientForClients(t *testing.T) {
	t.Parallel()
	opts := DefaultOptions()
	opts.Clients = 32
	env, err := NewEnv(opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := env.Client.Transport.(*http.Transport)
	if tr.MaxIdleConnsPerHost != 32 || tr.MaxIdleConns != 32 || tr.DisableKeepAlives || tr.Proxy != nil {
		t.Errorf("transport: per host %d, total %d, keep-alive off %t, proxy set %t",
			tr.MaxIdleConnsPerHost, tr.MaxIdleConns, tr.DisableKeepAlives, tr.Proxy != nil)
	}
	if env.URL("/readyz") != "http://localhost:8080/readyz" {
		t.Errorf("URL = %q", env.URL("/readyz"))
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(*Options)
		want   string
	}{
		{"defaults", func(*Options) {}, ""},
		{"url without scheme", func(o *Options) { o.BaseURL = "localhost:8080" }, "url"},
		{"ftp url", func(o *Options) { o.BaseURL = "ftp://x" }, "url"},
		{"zero runs", func(o *Options) { o.Runs = 0 }, "runs"},
		{"negative idle", func(o *Options) { o.Idle = -time.Second }, "idle"},
		{"too many clients", func(o *Options) { o.Clients = 10_001 }, "clients"},
	}
	for _, c := range cases {
		opts := DefaultOptions()
		c.change(&opts)
		err := opts.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}

func TestCheckStatusAcceptsWhatTheScenarioSays(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/deals", nil)
	resp := &http.Response{StatusCode: http.StatusConflict, Status: "409 Conflict", Request: req}
	if err := CheckStatus(resp); err == nil {
		t.Error("409 accepted by default")
	}
	if err := CheckStatus(resp, http.StatusOK, http.StatusConflict); err != nil {
		t.Errorf("409 rejected although accepted: %v", err)
	}
	resp.StatusCode, resp.Status = http.StatusCreated, "201 Created"
	if err := CheckStatus(resp); err != nil {
		t.Errorf("201 rejected by default: %v", err)
	}
}
