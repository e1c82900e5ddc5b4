package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestFrameSeqFindsTheTagInFramesOfItsTypeOnly(t *testing.T) {
	t.Parallel()
	const m = "kbfan#"
	cases := []struct {
		frame string
		want  int
		ok    bool
	}{
		{`{"topic":"org.1","type":"message.received","id":"e1","data":{"message":{"text":"hi kbfan#42#"}}}`, 42, true},
		{`{"topic":"org.1","type":"message.received","data":{"message":{"text":"kbfan#0# and kbfan#7#"}}}`, 0, true},
		// The same text in another event (a chat's preview) is not the message arriving.
		{`{"topic":"org.1","type":"chat.created","data":{"last_message_preview":"hi kbfan#42#"}}`, 0, false},
		{`{"topic":"org.1","type":"message.received","data":{"message":{"text":"no tag"}}}`, 0, false},
		{`{"type":"message.received","data":"kbfan##"}`, 0, false},
		{`{"type":"message.received","data":"kbfan#12"}`, 0, false},
		{`{"type":"message.received","data":"kbfan#1x#"}`, 0, false},
		{`{"type":"message.received","data":"kbfan#1234567890#"}`, 0, false},
	}
	for _, c := range cases {
		got, ok := frameSeq([]byte(c.frame), "message.received", m)
		if got != c.want || ok != c.ok {
			t.Errorf("frameSeq(%s) = %d, %v; want %d, %v", c.frame, got, ok, c.want, c.ok)
		}
	}
}

func TestParseMetricsKeepsUnlabelledSeries(t *testing.T) {
	t.Parallel()
	text := `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 52
go_gc_duration_seconds{quantile="0.5"} 0.0001
process_resident_memory_bytes 4.2000384e+07
kite_realtime_subscriptions 20000 1700000000000
broken
bad_value abc
`
	m, err := parseMetrics(bufio.NewScanner(strings.NewReader(text)))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"go_goroutines": 52, "process_resident_memory_bytes": 42000384, "kite_realtime_subscriptions": 20000}
	if len(m) != len(want) {
		t.Errorf("parsed %v, want %v", m, want)
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
}

func TestRealtimeURL(t *testing.T) {
	t.Parallel()
	for base, want := range map[string]string{
		"http://127.0.0.1:8080/":   "ws://127.0.0.1:8080/api/v1/realtime?org_id=o1",
		"https://kite.example.com": "wss://kite.example.com/api/v1/realtime?org_id=o1",
	} {
		got, err := realtimeURL(base, "o1")
		if err != nil || got != want {
			t.Errorf("realtimeURL(%q) = %q, %v; want %q", base, got, err, want)
		}
	}
	if _, err := realtimeURL("ftp://x", "o1"); err == nil {
		t.Error("ftp accepted")
	}
}

func TestEnvInt(t *testing.T) {
	t.Setenv("KITEBENCH_TEST_N", "")
	if n, err := envInt("KITEBENCH_TEST_N", 7, 1, 10); n != 7 || err != nil {
		t.Errorf("unset: %d, %v", n, err)
	}
	t.Setenv("KITEBENCH_TEST_N", "9")
	if n, err := envInt("KITEBENCH_TEST_N", 7, 1, 10); n != 9 || err != nil {
		t.Errorf("9: %d, %v", n, err)
	}
	for _, bad := range []string{"0", "11", "x", "1.5"} {
		t.Setenv("KITEBENCH_TEST_N", bad)
		if _, err := envInt("KITEBENCH_TEST_N", 7, 1, 10); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// fakeHub is a realtime endpoint that checks the bearer token and lets the
// test send frames to chosen sockets, in the order they connected.
type fakeHub struct {
	mu    sync.Mutex
	conns []*websocket.Conn
	all   chan struct{}
	want  int
}

func (h *fakeHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer tok" || r.URL.Query().Get("org_id") != "o1" {
		http.Error(w, "no", http.StatusUnauthorized)
		return
	}
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	h.mu.Lock()
	h.conns = append(h.conns, c)
	if len(h.conns) == h.want {
		close(h.all)
	}
	h.mu.Unlock()
	// Hold the socket until the client goes; reading answers its pings.
	c.Read(context.Background())
}

func (h *fakeHub) send(t *testing.T, socket int, frame string) {
	t.Helper()
	h.mu.Lock()
	c := h.conns[socket]
	h.mu.Unlock()
	if err := c.Write(t.Context(), websocket.MessageText, []byte(frame)); err != nil {
		t.Fatal(err)
	}
}

// Every socket is read; an event counts once per socket, from its trigger,
// and what an acknowledged event did not reach is counted missing.
func TestArrivalsOverSockets(t *testing.T) {
	t.Parallel()
	const sockets = 3
	hub := &fakeHub{all: make(chan struct{}), want: sockets}
	srv := httptest.NewServer(hub)
	defer srv.Close()
	env, err := NewEnv(Options{BaseURL: srv.URL, Clients: 1, Duration: time.Second, Runs: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	arr := newArrivals("contact.created", broadcastMarker, 3)
	dials := &recorder{}
	set, err := openSockets(t.Context(), env, "tok", "o1", sockets, 2, arr.read, dials)
	if err != nil {
		t.Fatal(err)
	}
	defer set.close()
	if set.len() != sockets || dials.hist.Count() != sockets {
		t.Fatalf("opened %d sockets, %d handshakes timed", set.len(), dials.hist.Count())
	}
	<-hub.all
	frame := func(i int, typ string) string {
		return fmt.Sprintf(`{"topic":"org.o1","type":%q,"id":"e%d","data":{"last_name":%q}}`, typ, i, arr.tag(i))
	}
	for i := range 3 {
		arr.trigger(i)
		arr.ack(i)
	}
	for s := range sockets {
		hub.send(t, s, frame(0, "contact.updated")) // wrong type: ignored
		hub.send(t, s, frame(0, "contact.created"))
		hub.send(t, s, frame(1, "contact.created"))
		if s != 0 {
			hub.send(t, s, frame(2, "contact.created")) // socket 0 misses event 2
		}
	}
	hub.send(t, 1, frame(1, "contact.created")) // a replayed frame
	hub.send(t, 2, frame(9, "contact.created")) // beyond the tracked events
	if want := arr.expected(sockets); want != 9 {
		t.Fatalf("expected %d pairs, want 9", want)
	}
	arr.wait(t.Context(), 8, 10*time.Second)
	for arr.dups.Load() == 0 {
		time.Sleep(time.Millisecond) // socket 1 got the duplicate after its other frames
	}
	set.close()
	if got := arr.received.Load(); got != 8 {
		t.Errorf("received %d pairs, want 8", got)
	}
	if got := arr.missing(sockets); got != 1 {
		t.Errorf("missing %d, want 1", got)
	}
	if got := arr.rec.hist.Count(); got != 8 {
		t.Errorf("%d latencies recorded, want 8", got)
	}
	if d := arr.dups.Load(); d != 1 {
		t.Errorf("%d duplicates, want 1", d)
	}
	if set.dropped.Load() != 0 {
		t.Errorf("%d sockets counted dropped after a deliberate close", set.dropped.Load())
	}
}

// A refused handshake is an error of the dials, not a socket.
func TestOpenSocketsCountsRefusedHandshakes(t *testing.T) {
	t.Parallel()
	hub := &fakeHub{all: make(chan struct{}), want: 1}
	srv := httptest.NewServer(hub)
	defer srv.Close()
	env, err := NewEnv(Options{BaseURL: srv.URL, Clients: 1, Duration: time.Second, Runs: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dials := &recorder{}
	set, err := openSockets(t.Context(), env, "wrong", "o1", 3, 2, func(ctx context.Context, c *websocket.Conn) error {
		_, _, err := c.Read(ctx)
		return err
	}, dials)
	if err != nil {
		t.Fatal(err)
	}
	defer set.close()
	if set.len() != 0 || dials.errors != 3 {
		t.Errorf("%d sockets, %d failed handshakes; want 0 and 3", set.len(), dials.errors)
	}
}
