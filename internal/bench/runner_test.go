package bench

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// getter returns a RequestFunc that GETs url with a client sized for clients.
func getter(url string, clients int) RequestFunc {
	client := newLoadClient(clients)
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		return Call(client, req)
	}
}

// countingServer answers 204 and counts the requests it served.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		served.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv, &served
}

// checkOrdered fails unless min <= p50 <= p95 <= p99 <= max and max > 0.
func checkOrdered(t *testing.T, r Result) {
	t.Helper()
	if !(0 < r.Min && r.Min <= r.P50 && r.P50 <= r.P95 && r.P95 <= r.P99 && r.P99 <= r.Max) {
		t.Errorf("latencies out of order: min %s p50 %s p95 %s p99 %s max %s", r.Min, r.P50, r.P95, r.P99, r.Max)
	}
}

func TestRunnerCountModeDoesExactlyCount(t *testing.T) {
	t.Parallel()
	srv, served := countingServer(t)
	r := Runner{Clients: 7, Count: 503}
	res, err := r.Run(t.Context(), "count", getter(srv.URL, r.Clients))
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 503 || res.Errors != 0 || served.Load() != 503 {
		t.Errorf("requests %d errors %d served %d, want 503/0/503", res.Requests, res.Errors, served.Load())
	}
	if res.Scenario != "count" || res.Clients != 7 || res.Throughput <= 0 {
		t.Errorf("result header wrong: %+v", res)
	}
	checkOrdered(t, res)
}

func TestRunnerDurationModeStopsOnTime(t *testing.T) {
	t.Parallel()
	srv, served := countingServer(t)
	r := Runner{Clients: 4, Duration: 300 * time.Millisecond}
	res, err := r.Run(t.Context(), "duration", getter(srv.URL, r.Clients))
	if err != nil {
		t.Fatal(err)
	}
	if res.Elapsed < 300*time.Millisecond || res.Elapsed > 2*time.Second {
		t.Errorf("elapsed %s, want about 300ms", res.Elapsed)
	}
	if res.Requests == 0 || res.Requests != served.Load() {
		t.Errorf("requests %d, server served %d; want equal and > 0", res.Requests, served.Load())
	}
	want := float64(res.Requests) / res.Elapsed.Seconds()
	if res.Throughput < want*0.999 || res.Throughput > want*1.001 {
		t.Errorf("throughput %.1f, want requests/elapsed = %.1f", res.Throughput, want)
	}
	checkOrdered(t, res)
}

func TestRunnerCountsEveryTenthRequestAsError(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1)%10 == 0 {
			http.Error(w, "nope", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	r := Runner{Clients: 5, Count: 200}
	res, err := r.Run(t.Context(), "errors", getter(srv.URL+"/x", r.Clients))
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 200 || res.Errors != 20 {
		t.Fatalf("requests %d errors %d, want 200 and 20", res.Requests, res.Errors)
	}
	if len(res.ErrorSamples) != 1 || res.ErrorSamples[0].Count != 20 ||
		res.ErrorSamples[0].Message != "GET /x: status 500 Internal Server Error" {
		t.Errorf("error samples %+v", res.ErrorSamples)
	}
	ok := float64(res.Requests-res.Errors) / res.Elapsed.Seconds()
	if res.Throughput < ok*0.999 || res.Throughput > ok*1.001 {
		t.Errorf("throughput %.1f should count only the 180 successes (%.1f)", res.Throughput, ok)
	}
}

func TestRunnerKeepsOnlyFirstDistinctErrors(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	do := func(context.Context) error {
		i := n.Add(1)
		return errors.New("failure " + strings.Repeat("x", int(i%8)))
	}
	res, err := Runner{Clients: 1, Count: 80}.Run(t.Context(), "distinct", do)
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 80 || len(res.ErrorSamples) != maxErrorSamples {
		t.Fatalf("errors %d with %d samples, want 80 with %d", res.Errors, len(res.ErrorSamples), maxErrorSamples)
	}
	for _, s := range res.ErrorSamples {
		if s.Count != 10 {
			t.Errorf("sample %q counted %d times, want 10", s.Message, s.Count)
		}
	}
	if res.P50 != 0 || res.Max != 0 {
		t.Errorf("failed requests must not enter latencies: p50 %s max %s", res.P50, res.Max)
	}
}

func TestRunnerReachesExactlyItsConcurrency(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	inFlight, peak := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		mu.Unlock()
		time.Sleep(15 * time.Millisecond)
		mu.Lock()
		inFlight--
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	r := Runner{Clients: 12, Count: 120}
	res, err := r.Run(t.Context(), "concurrency", getter(srv.URL, r.Clients))
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 {
		t.Fatalf("errors: %+v", res.ErrorSamples)
	}
	mu.Lock()
	defer mu.Unlock()
	if peak != 12 {
		t.Errorf("peak concurrency %d, want exactly 12", peak)
	}
	if res.P50 < 15*time.Millisecond {
		t.Errorf("p50 %s is below the handler's 15ms sleep", res.P50)
	}
}

func TestRunnerWarmupIsNotMeasured(t *testing.T) {
	t.Parallel()
	srv, served := countingServer(t)
	r := Runner{Clients: 2, Count: 10, Warmup: 100 * time.Millisecond}
	res, err := r.Run(t.Context(), "warmup", getter(srv.URL, r.Clients))
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 10 || served.Load() <= 10 {
		t.Errorf("measured %d of %d served; want 10 measured and more served", res.Requests, served.Load())
	}
}

func TestRunnerStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	do := func(ctx context.Context) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
			return nil
		}
	}
	began := time.Now()
	res, err := Runner{Clients: 3, Duration: time.Hour}.Run(ctx, "cancel", do)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if time.Since(began) > 2*time.Second {
		t.Errorf("took %s to stop", time.Since(began))
	}
	if res.Errors != 0 || res.Requests == 0 {
		t.Errorf("requests %d errors %d: aborted requests must not count as errors", res.Requests, res.Errors)
	}
}

func TestRunnerValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		r    Runner
		want string // substring of the error; empty means valid
	}{
		{"duration", Runner{Clients: 1, Duration: time.Second}, ""},
		{"count", Runner{Clients: MaxClients, Count: 1}, ""},
		{"count wins", Runner{Clients: 1, Count: 1, Duration: time.Second}, ""},
		{"no clients", Runner{Clients: 0, Duration: time.Second}, "clients"},
		{"too many clients", Runner{Clients: MaxClients + 1, Duration: time.Second}, "clients"},
		{"neither", Runner{Clients: 1}, "duration or a request count"},
		{"too long", Runner{Clients: 1, Duration: MaxDuration + time.Second}, "duration"},
		{"negative count", Runner{Clients: 1, Count: -1}, "count"},
		{"long warmup", Runner{Clients: 1, Count: 1, Warmup: 2 * time.Hour}, "warm-up"},
	}
	for _, c := range cases {
		err := c.r.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	if _, err := (Runner{Clients: 20_000, Count: 1}).Run(t.Context(), "x", nil); err == nil {
		t.Error("Run accepted 20000 clients")
	}
}

func TestRunnerTellsEachClientItsOwnIndex(t *testing.T) {
	t.Parallel()
	const clients = 6
	var mu sync.Mutex
	calls := map[int]int{}
	var busy [clients]atomic.Int32
	do := func(ctx context.Context) error {
		i := ClientIndex(ctx)
		if i < 0 || i >= clients {
			return errors.New("client index out of range")
		}
		if busy[i].Add(1) != 1 {
			return errors.New("two requests of one client at once")
		}
		time.Sleep(time.Millisecond)
		busy[i].Add(-1)
		mu.Lock()
		calls[i]++
		mu.Unlock()
		return nil
	}
	res, err := Runner{Clients: clients, Count: 120, Warmup: 20 * time.Millisecond}.Run(t.Context(), "index", do)
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 {
		t.Fatalf("errors: %+v", res.ErrorSamples)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != clients {
		t.Errorf("indexes seen %v, want each of 0..%d", calls, clients-1)
	}
	if ClientIndex(t.Context()) != -1 {
		t.Error("a context from outside the runner has a client index")
	}
}
