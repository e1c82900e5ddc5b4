package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// The realtime scenarios hold many sockets on /api/v1/realtime, make Kite
// emit events tagged with a sequence number and time each event's arrival
// on every socket from the moment its triggering request was sent.

// socketReadLimit is the largest frame a bench socket accepts; event
// frames are a few KiB, and a bigger one should end the socket loudly
// rather than be measured.
const socketReadLimit = 1 << 20

// dialTimeout bounds one WebSocket handshake.
const dialTimeout = 30 * time.Second

// maxDialFailures stops opening sockets once this many have failed: the
// cause (file limit, server refusing) will not go away by itself.
const maxDialFailures = 100

// realtimeURL returns the WebSocket URL of the realtime endpoint of the org
// on the target.
func realtimeURL(base, orgID string) (string, error) {
	u, err := url.Parse(strings.TrimRight(base, "/") + "/api/v1/realtime")
	if err != nil {
		return "", err
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("url %q: want http or https", base)
	}
	u.RawQuery = url.Values{"org_id": {orgID}}.Encode()
	return u.String(), nil
}

// orgOf returns the id of the only organization of the user of token.
func orgOf(ctx context.Context, env *Env, token string) (string, error) {
	var me struct {
		Organizations []struct {
			ID string `json:"id"`
		} `json:"organizations"`
	}
	if err := authedJSON(ctx, env, http.MethodGet, "/api/v1/me", token, nil, http.StatusOK, &me); err != nil {
		return "", fmt.Errorf("reading the organization: %w", err)
	}
	if len(me.Organizations) == 0 {
		return "", errors.New("the bench user has no organization")
	}
	return me.Organizations[0].ID, nil
}

// frameSeq finds the sequence number a scenario tagged an event with: the
// digits between marker and the next '#' in a frame of type typ. It scans
// the raw bytes instead of decoding JSON because one process reads tens of
// thousands of frames a second while sharing the cores with Kite. The
// marker must be plain ASCII that JSON leaves unescaped.
func frameSeq(frame []byte, typ, marker string) (int, bool) {
	if !bytes.Contains(frame, []byte(`"type":"`+typ+`"`)) {
		return 0, false
	}
	_, rest, found := bytes.Cut(frame, []byte(marker))
	if !found {
		return 0, false
	}
	digits, _, found := bytes.Cut(rest, []byte("#"))
	if !found || len(digits) == 0 || len(digits) > 9 {
		return 0, false
	}
	n := 0
	for _, d := range digits {
		if d < '0' || d > '9' {
			return 0, false
		}
		n = n*10 + int(d-'0')
	}
	return n, true
}

// arrivals tracks a fixed number of tagged events over a set of sockets:
// when each event was triggered, whether its trigger was accepted (then
// every socket must get it) and which socket got which event how fast.
type arrivals struct {
	typ, marker string
	start       time.Time
	// sentAt is when event i was triggered, as nanoseconds since start
	// plus one; 0 means not triggered (yet).
	sentAt []atomic.Int64
	acked  []atomic.Bool
	// got counts the sockets that received event i.
	got      []atomic.Int32
	received atomic.Int64
	dups     atomic.Int64
	// frames counts every frame read, tagged or not: what the sockets
	// carried besides the timed events.
	frames atomic.Int64
	rec    recorder
}

// newArrivals tracks events 0..events-1 of type typ tagged with marker.
func newArrivals(typ, marker string, events int) *arrivals {
	return &arrivals{typ: typ, marker: marker, start: time.Now(),
		sentAt: make([]atomic.Int64, events), acked: make([]atomic.Bool, events), got: make([]atomic.Int32, events)}
}

// tag returns the text that tags event i.
func (a *arrivals) tag(i int) string { return a.marker + strconv.Itoa(i) + "#" }

// trigger notes that the request causing event i is about to be sent.
func (a *arrivals) trigger(i int) { a.sentAt[i].Store(int64(time.Since(a.start)) + 1) }

// ack notes that the request causing event i succeeded.
func (a *arrivals) ack(i int) { a.acked[i].Store(true) }

// expected returns how many (event, socket) pairs must arrive over
// sockets sockets: one for every acknowledged event on each.
func (a *arrivals) expected(sockets int) int64 {
	var n int64
	for i := range a.acked {
		if a.acked[i].Load() {
			n += int64(sockets)
		}
	}
	return n
}

// missing returns how many (event, socket) pairs of acknowledged events
// did not arrive, for sockets sockets.
func (a *arrivals) missing(sockets int) int64 {
	var n int64
	for i := range a.acked {
		if a.acked[i].Load() {
			n += int64(sockets) - int64(a.got[i].Load())
		}
	}
	return n
}

// read consumes c's frames until it fails or ctx ends, recording each
// tagged event once. One goroutine per socket calls it; the socket's own
// bit set keeps a replayed frame from counting twice.
func (a *arrivals) read(ctx context.Context, c *websocket.Conn) error {
	seen := make([]uint64, (len(a.sentAt)+63)/64)
	batch := make([]time.Duration, 0, 64)
	defer func() { a.rec.addLatencies(batch) }()
	for {
		_, frame, err := c.Read(ctx)
		if err != nil {
			return err
		}
		now := time.Since(a.start)
		a.frames.Add(1)
		i, ok := frameSeq(frame, a.typ, a.marker)
		if !ok || i >= len(a.sentAt) {
			continue
		}
		sent := a.sentAt[i].Load()
		if sent == 0 {
			continue // never triggered, so not ours
		}
		if seen[i/64]&(1<<(i%64)) != 0 {
			a.dups.Add(1)
			continue
		}
		seen[i/64] |= 1 << (i % 64)
		a.got[i].Add(1)
		a.received.Add(1)
		batch = append(batch, now-time.Duration(sent-1))
		if len(batch) == cap(batch) {
			a.rec.addLatencies(batch)
			batch = batch[:0]
		}
	}
}

// wait returns once want pairs have arrived, or after timeout or when ctx
// ends, whichever is first.
func (a *arrivals) wait(ctx context.Context, want int64, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for a.received.Load() < want && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
}

// socketSet is a group of open sockets, each read by its own goroutine.
type socketSet struct {
	mu      sync.Mutex
	conns   []*websocket.Conn
	readers sync.WaitGroup
	// dropped counts sockets whose reading ended before the scenario
	// closed them; errs keeps why.
	dropped atomic.Int64
	errs    recorder
	cancel  context.CancelFunc
	ctx     context.Context
	closed  sync.Once
}

// openSockets opens n sockets to the org's realtime endpoint as the holder
// of token, at most parallel handshakes at a time, and starts read on
// each. It records every handshake's latency (or error) in dials. It stops
// early when ctx ends or maxDialFailures handshakes failed; the sockets
// opened until then stay open.
func openSockets(ctx context.Context, env *Env, token, orgID string, n, parallel int, read func(context.Context, *websocket.Conn) error, dials *recorder) (*socketSet, error) {
	target, err := realtimeURL(env.BaseURL, orgID)
	if err != nil {
		return nil, err
	}
	// The handshakes bypass any proxy and are not pooled: each socket
	// keeps its own TCP connection for the whole run.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.MaxIdleConnsPerHost = parallel
	client := &http.Client{Transport: tr}
	header := http.Header{"Authorization": {"Bearer " + token}}

	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	set := &socketSet{ctx: rctx, cancel: cancel}
	var failed atomic.Int64
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range min(parallel, n) {
		wg.Go(func() {
			for ctx.Err() == nil && failed.Load() < maxDialFailures && next.Add(1) <= int64(n) {
				dctx, dcancel := context.WithTimeout(ctx, dialTimeout)
				began := time.Now()
				c, _, err := websocket.Dial(dctx, target, &websocket.DialOptions{HTTPClient: client, HTTPHeader: header})
				took := time.Since(began)
				dcancel()
				if err != nil {
					failed.Add(1)
					dials.addError(err)
					continue
				}
				dials.addLatencies([]time.Duration{took})
				c.SetReadLimit(socketReadLimit)
				set.add(c, read)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		set.close()
		return nil, err
	}
	return set, nil
}

// add keeps c and starts reading it.
func (s *socketSet) add(c *websocket.Conn, read func(context.Context, *websocket.Conn) error) {
	s.mu.Lock()
	s.conns = append(s.conns, c)
	s.mu.Unlock()
	s.readers.Go(func() {
		err := read(s.ctx, c)
		if s.ctx.Err() == nil {
			s.dropped.Add(1)
			s.errs.addError(err)
		}
	})
}

// len returns the number of sockets opened.
func (s *socketSet) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// close stops the readers and drops every connection at once: a polite
// close handshake of ten thousand sockets would take longer than the
// measurement and tells nothing. Calls after the first do nothing.
func (s *socketSet) close() {
	s.closed.Do(func() {
		s.cancel()
		s.mu.Lock()
		for _, c := range s.conns {
			c.CloseNow()
		}
		s.mu.Unlock()
		s.readers.Wait()
	})
}

// scrapeMetrics reads the target's Prometheus metrics, the unlabelled
// series only (the process and Go runtime gauges), by name. It sends
// KITEBENCH_METRICS_TOKEN as a bearer token when set, for a Kite run with
// KITE_METRICS_TOKEN.
func scrapeMetrics(ctx context.Context, env *Env) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.URL("/metrics"), nil)
	if err != nil {
		return nil, err
	}
	if tok := os.Getenv("KITEBENCH_METRICS_TOKEN"); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := env.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := CheckStatus(resp, http.StatusOK); err != nil {
		return nil, err
	}
	return parseMetrics(bufio.NewScanner(resp.Body))
}

// parseMetrics reads Prometheus text exposition lines and returns the
// value of every series without labels.
func parseMetrics(sc *bufio.Scanner) (map[string]float64, error) {
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	out := map[string]float64{}
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || strings.ContainsRune(line, '{') {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		v, err := strconv.ParseFloat(fields[1], 64)
		if err != nil {
			continue
		}
		out[fields[0]] = v
	}
	return out, sc.Err()
}

// envInt reads a positive integer setting from the environment, or def
// when it is unset; a value outside lo..hi is an error.
func envInt(name string, def, lo, hi int) (int, error) {
	raw := os.Getenv(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s=%q: want a whole number from %d to %d", name, raw, lo, hi)
	}
	return n, nil
}
