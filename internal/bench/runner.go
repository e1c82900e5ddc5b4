package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// MaxClients is the largest number of concurrent clients a Runner accepts.
const MaxClients = 10_000

// MaxDuration is the longest measured phase (and warm-up) a Runner accepts. A run by count
// also stops after MaxDuration, so no run is unbounded.
const MaxDuration = time.Hour

// maxErrorSamples is how many distinct error messages a Result keeps.
const maxErrorSamples = 5

// flushEvery is how many latencies a client collects before merging them into the shared
// histogram; it bounds memory to flushEvery samples per client.
const flushEvery = 256

// RequestFunc performs one request. A non-nil error counts the request as failed. ClientIndex(ctx)
// tells which client calls it.
type RequestFunc func(ctx context.Context) error

// Runner drives a RequestFunc from many concurrent clients and measures each call.
type Runner struct {
	// Clients is the number of goroutines calling the function in a loop (1..MaxClients).
	Clients int
	// Duration is how long to measure when Count is 0 (at most MaxDuration).
	Duration time.Duration
	// Count is the total number of requests over all clients; when > 0 it wins over Duration.
	Count int64
	// Warmup is a period of unmeasured load before measuring (0 for none).
	Warmup time.Duration
}

// Validate reports whether the runner's settings are within bounds.
func (r Runner) Validate() error {
	switch {
	case r.Clients < 1 || r.Clients > MaxClients:
		return fmt.Errorf("clients must be between 1 and %d, got %d", MaxClients, r.Clients)
	case r.Count < 0:
		return fmt.Errorf("request count must not be negative, got %d", r.Count)
	case r.Duration < 0 || r.Duration > MaxDuration:
		return fmt.Errorf("duration must be between 0 and %s, got %s", MaxDuration, r.Duration)
	case r.Count == 0 && r.Duration == 0:
		return errors.New("need a duration or a request count")
	case r.Warmup < 0 || r.Warmup > MaxDuration:
		return fmt.Errorf("warm-up must be between 0 and %s, got %s", MaxDuration, r.Warmup)
	}
	return nil
}

// Run warms up, then calls do from r.Clients goroutines until r.Count requests are done or
// r.Duration has passed, and returns the measurements under the given name. Requests in
// flight when the duration ends are completed and counted. When ctx ends first, Run stops
// promptly and returns what was measured so far together with ctx's error.
func (r Runner) Run(ctx context.Context, name string, do RequestFunc) (Result, error) {
	if err := r.Validate(); err != nil {
		return Result{}, err
	}
	if r.Warmup > 0 {
		r.phase(ctx, 0, r.Warmup, do, &recorder{})
		if err := ctx.Err(); err != nil {
			return Result{Scenario: name, Clients: r.Clients}, err
		}
	}
	count, limit := r.Count, r.Duration
	if count > 0 {
		limit = MaxDuration
	}
	rec := &recorder{}
	elapsed := r.phase(ctx, count, limit, do, rec)
	return rec.result(name, r.Clients, elapsed), ctx.Err()
}

// phase runs the clients until count requests are taken (0: no count) or limit has passed,
// and returns the wall time until the last client finished.
func (r Runner) phase(ctx context.Context, count int64, limit time.Duration, do RequestFunc, rec *recorder) time.Duration {
	start := time.Now()
	q := newQuota(count, start.Add(limit))
	var wg sync.WaitGroup
	for i := range r.Clients {
		wg.Go(func() { work(context.WithValue(ctx, clientKey{}, i), q, do, rec) })
	}
	wg.Wait()
	return time.Since(start)
}

type clientKey struct{}

// ClientIndex returns which of the Runner's clients (0..Clients-1) is making the request of
// ctx, or -1 when ctx does not come from a Runner. Each index belongs to one goroutine, which
// calls do for it one request at a time, in the warm-up and in the measured phase alike: a
// scenario may give clients different roles, or keep per-client state without locking.
func ClientIndex(ctx context.Context) int {
	if i, ok := ctx.Value(clientKey{}).(int); ok {
		return i
	}
	return -1
}

// work is one client: it calls do while the quota allows and records each outcome.
func work(ctx context.Context, q *quota, do RequestFunc, rec *recorder) {
	batch := make([]time.Duration, 0, flushEvery)
	defer func() { rec.addLatencies(batch) }()
	for ctx.Err() == nil && q.take() {
		began := time.Now()
		err := do(ctx)
		took := time.Since(began)
		if ctx.Err() != nil {
			return // interrupted: the outcome says nothing about the server
		}
		if err != nil {
			rec.addError(err)
			continue
		}
		batch = append(batch, took)
		if len(batch) == flushEvery {
			rec.addLatencies(batch)
			batch = batch[:0]
		}
	}
}

// quota hands out permission for one more request, until a count or a deadline runs out.
type quota struct {
	counted  bool
	left     atomic.Int64
	deadline time.Time
}

// newQuota allows count requests (any number when count is 0) until deadline.
func newQuota(count int64, deadline time.Time) *quota {
	q := &quota{counted: count > 0, deadline: deadline}
	q.left.Store(count)
	return q
}

// take reports whether one more request may start, and if so uses up one.
func (q *quota) take() bool {
	if !time.Now().Before(q.deadline) {
		return false
	}
	return !q.counted || q.left.Add(-1) >= 0
}

// recorder collects the outcomes of all clients of one phase.
type recorder struct {
	mu     sync.Mutex
	hist   Histogram
	errors int64
	seen   []ErrorSample
}

// addLatencies merges a client's batch of successful request durations.
func (rec *recorder) addLatencies(batch []time.Duration) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, d := range batch {
		rec.hist.Record(d)
	}
}

// addError counts a failed request and keeps its message if it is one of the first
// maxErrorSamples distinct ones.
func (rec *recorder) addError(err error) {
	msg := err.Error()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.errors++
	for i := range rec.seen {
		if rec.seen[i].Message == msg {
			rec.seen[i].Count++
			return
		}
	}
	if len(rec.seen) < maxErrorSamples {
		rec.seen = append(rec.seen, ErrorSample{Message: msg, Count: 1})
	}
}

// result summarizes the recorded outcomes. Call it only after every client has finished.
func (rec *recorder) result(name string, clients int, elapsed time.Duration) Result {
	ok := int64(rec.hist.Count())
	res := Result{
		Scenario:     name,
		Clients:      clients,
		Requests:     ok + rec.errors,
		Errors:       rec.errors,
		Elapsed:      elapsed,
		ErrorSamples: rec.seen,
	}
	if elapsed > 0 {
		res.Throughput = float64(ok) / elapsed.Seconds()
	}
	res.SetLatencies(&rec.hist)
	return res
}
