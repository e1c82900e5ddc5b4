package bench

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// WSBroadcast opens many sockets on one Kite, reads what they cost the
// process from its /metrics, and then times how long one org event takes
// to reach all of them. The event is a contact created through the API: a
// cheap write that needs no chat, bot or seed, so the scenario runs
// against any Kite with an open /metrics.
type WSBroadcast struct {
	// Sockets is how many sockets to open (KITEBENCH_SOCKETS).
	Sockets int
	// Broadcasts is how many events to time (KITEBENCH_BROADCASTS), Every
	// apart.
	Broadcasts int
	Every      time.Duration
	// Parallel bounds the handshakes in flight.
	Parallel int
	// Grace is how long frames may trail the last event before the missing
	// ones count as lost.
	Grace time.Duration
}

// NewWSBroadcast returns the ws-broadcast scenario: 10,000 sockets, ten
// events a second apart.
func NewWSBroadcast() *WSBroadcast {
	return &WSBroadcast{Sockets: 10_000, Broadcasts: 10, Every: time.Second, Parallel: 200, Grace: 15 * time.Second}
}

// Name returns "ws-broadcast".
func (*WSBroadcast) Name() string { return "ws-broadcast" }

// Description says what ws-broadcast measures.
func (*WSBroadcast) Description() string {
	return "open 10,000 sockets (KITEBENCH_SOCKETS), Kite's memory per socket from /metrics after -idle, then 10 org events 1 s apart, timed to every socket"
}

// maxSockets bounds KITEBENCH_SOCKETS: beyond it one loopback client runs
// out of ports before the server shows anything.
const maxSockets = 25_000

// broadcastMarker tags the contacts whose events are timed.
const broadcastMarker = "kbcast#"

// Validate reads the environment settings.
func (s *WSBroadcast) Validate(env *Env) error {
	var err error
	if s.Sockets, err = envInt("KITEBENCH_SOCKETS", s.Sockets, 1, maxSockets); err != nil {
		return err
	}
	if s.Broadcasts, err = envInt("KITEBENCH_BROADCASTS", s.Broadcasts, 1, 1000); err != nil {
		return err
	}
	// Each socket is a file here, plus the load client's own connections.
	return raiseFileLimit(uint64(s.Sockets) + 1024)
}

// memorySample is what the target's /metrics says about its memory.
type memorySample struct {
	rss, heap, stack, goroutines, subscriptions float64
}

// sampleMemory scrapes the target's process and runtime gauges.
func sampleMemory(ctx context.Context, env *Env) (memorySample, error) {
	m, err := scrapeMetrics(ctx, env)
	if err != nil {
		return memorySample{}, fmt.Errorf("reading /metrics: %w", err)
	}
	rss, ok := m["process_resident_memory_bytes"]
	if !ok {
		return memorySample{}, fmt.Errorf("/metrics has no process_resident_memory_bytes")
	}
	return memorySample{rss: rss, heap: m["go_memstats_heap_inuse_bytes"], stack: m["go_memstats_stack_inuse_bytes"],
		goroutines: m["go_goroutines"], subscriptions: m["kite_realtime_subscriptions"]}, nil
}

// Run opens the sockets, samples memory before and after, and times the
// broadcasts.
func (s *WSBroadcast) Run(ctx context.Context, env *Env) ([]Result, error) {
	if err := s.Validate(env); err != nil {
		return nil, err
	}
	acc, err := signUpAccount(ctx, env)
	if err != nil {
		return nil, err
	}
	orgID, err := orgOf(ctx, env, acc.AccessToken)
	if err != nil {
		return nil, err
	}
	before, err := sampleMemory(ctx, env)
	if err != nil {
		return nil, err
	}
	arr := newArrivals("contact.created", broadcastMarker, s.Broadcasts)
	dials := &recorder{}
	began := time.Now()
	set, err := openSockets(ctx, env, acc.AccessToken, orgID, s.Sockets, s.Parallel, arr.read, dials)
	if err != nil {
		return nil, err
	}
	defer set.close()
	opened := time.Since(began)
	n := set.len()
	connect := dials.result("ws-broadcast/connect", s.Parallel, opened)
	if n < s.Sockets {
		return []Result{connect}, fmt.Errorf("opened %d of %d sockets", n, s.Sockets)
	}
	env.Logf("ws-broadcast: %d sockets open in %s; idle %s before reading memory", n, opened.Round(time.Millisecond), env.Idle)
	if err := sleepCtx(ctx, env.Idle); err != nil {
		return nil, err
	}
	after, err := sampleMemory(ctx, env)
	if err != nil {
		return []Result{connect}, err
	}
	per := func(b, a float64) float64 { return (a - b) / float64(n) }
	connect.Metrics = append(connect.Metrics,
		Metric{Name: "sockets", Value: float64(n)},
		Metric{Name: "RSS before", Value: before.rss / (1 << 20), Unit: "MiB"},
		Metric{Name: "RSS after", Value: after.rss / (1 << 20), Unit: "MiB"},
		Metric{Name: "RSS per socket", Value: per(before.rss, after.rss) / 1024, Unit: "KiB"},
		Metric{Name: "heap per socket", Value: per(before.heap, after.heap) / 1024, Unit: "KiB"},
		Metric{Name: "stacks per socket", Value: per(before.stack, after.stack) / 1024, Unit: "KiB"},
		Metric{Name: "goroutines per socket", Value: per(before.goroutines, after.goroutines)},
		Metric{Name: "hub subscriptions per socket", Value: per(before.subscriptions, after.subscriptions)})

	env.Logf("ws-broadcast: %d events %s apart", s.Broadcasts, s.Every)
	start := time.Now()
	for i := range s.Broadcasts {
		if err := sleepCtx(ctx, time.Until(start.Add(time.Duration(i)*s.Every))); err != nil {
			return []Result{connect}, err
		}
		body := map[string]string{"first_name": "Broadcast", "last_name": arr.tag(i)}
		arr.trigger(i)
		if err := authedJSON(ctx, env, http.MethodPost, "/api/v1/contacts", acc.AccessToken, body, http.StatusCreated, nil); err != nil {
			return []Result{connect}, fmt.Errorf("creating the contact of event %d: %w", i, err)
		}
		arr.ack(i)
	}
	want := arr.expected(n)
	arr.wait(ctx, want, s.Grace)
	if err := ctx.Err(); err != nil {
		return []Result{connect}, err
	}
	elapsed := time.Since(start)
	set.close()

	missing := arr.missing(n)
	res := arr.rec.result("ws-broadcast", n, elapsed)
	res.Requests, res.Errors = want, missing
	res.ErrorSamples = set.errs.seen
	res.Metrics = append(res.Metrics,
		Metric{Name: "events", Value: float64(s.Broadcasts)},
		Metric{Name: "missing", Value: float64(missing), Unit: "frames"},
		Metric{Name: "sockets dropped", Value: float64(set.dropped.Load())})
	results := []Result{connect, res}
	if missing > 0 {
		return results, fmt.Errorf("%d of %d contact.created frames did not arrive within %s of the last event", missing, want, s.Grace)
	}
	return results, nil
}

// sleepCtx waits d, or less when ctx ends first (then it returns ctx's
// error).
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
