package realtime

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// tap reads a Listen subscription the way a socket does: Take when ready
// is called, until Take comes back empty.
type tap struct {
	*Subscription
	ready chan struct{}
	got   [][]byte
}

func newTap(h *Hub, limit int) *tap {
	tp := &tap{ready: make(chan struct{}, 1)}
	tp.Subscription = h.Listen(limit, func() {
		select {
		case tp.ready <- struct{}{}:
		default:
		}
	}, nil)
	tp.Take() // release the hold
	return tp
}

// next waits up to wait for the next frame.
func (tp *tap) next(wait time.Duration) ([]byte, bool) {
	deadline := time.After(wait)
	for len(tp.got) == 0 {
		if f := tp.Take(); len(f) > 0 {
			tp.got = f
			break
		}
		select {
		case <-tp.ready:
		case <-deadline:
			return nil, false
		}
	}
	f := tp.got[0]
	tp.got = tp.got[1:]
	return f, true
}

func mustFrame(t *testing.T, tp *tap) Message {
	t.Helper()
	f, ok := tp.next(5 * time.Second)
	if !ok {
		t.Fatal("no frame arrived")
	}
	var m Message
	if err := json.Unmarshal(f, &m); err != nil {
		t.Fatalf("frame is not JSON: %s", f)
	}
	return m
}

func noFrame(t *testing.T, tp *tap) {
	t.Helper()
	if f, ok := tp.next(100 * time.Millisecond); ok {
		t.Fatalf("unexpected frame %s", f)
	}
}

func TestHubDeliversByTopic(t *testing.T) {
	t.Parallel()
	h := NewHub(nil)
	a, b := newTap(h, 8), newTap(h, 8)
	a.Add("org.1")
	b.Add("org.1", "chat.9")
	ctx := context.Background()
	h.Publish(ctx, Message{Topic: "org.1", Type: "deal.won", ID: "e1", Data: json.RawMessage(`{"x":1}`)})
	h.Publish(ctx, Message{Topic: "chat.9", Type: "typing"})
	if m := mustFrame(t, a); m.Type != "deal.won" || m.ID != "e1" || string(m.Data) != `{"x":1}` {
		t.Fatalf("a got %+v", m)
	}
	noFrame(t, a)
	if m := mustFrame(t, b); m.Type != "deal.won" {
		t.Fatalf("b got %+v", m)
	}
	if m := mustFrame(t, b); m.Type != "typing" {
		t.Fatalf("b got %+v", m)
	}
	b.Remove("chat.9")
	h.Publish(ctx, Message{Topic: "chat.9", Type: "typing"})
	noFrame(t, b)
	if err := h.Publish(ctx, Message{Type: "x"}); err == nil {
		t.Fatal("publish without topic accepted")
	}
}

func TestSlowSubscriberIsEvictedWithoutBlocking(t *testing.T) {
	t.Parallel()
	h := NewHub(nil)
	slow, fast := newTap(h, 2), newTap(h, 100)
	slow.Add("t")
	fast.Add("t")
	start := time.Now()
	for range 10 {
		h.Publish(context.Background(), Message{Topic: "t", Type: "x"})
		mustFrame(t, fast)
	}
	if time.Since(start) > time.Second {
		t.Fatal("publishing blocked on a slow subscriber")
	}
	select {
	case <-slow.Done():
	default:
		t.Fatal("slow subscriber not evicted")
	}
	if !slow.Evicted() {
		t.Fatal("Evicted() = false")
	}
	if len(h.topics["t"]) != 1 {
		t.Fatalf("evicted subscriber still attached: %d", len(h.topics["t"]))
	}
	fast.Close()
	if len(h.topics) != 0 {
		t.Fatal("closed subscription left topics behind")
	}
}

// Two hubs on one PostgreSQL database stand for two replicas: what one
// publishes reaches the other's subscribers, large frames included.
func TestHubsSpanReplicasThroughPostgres(t *testing.T) {
	t.Parallel()
	for _, kind := range dbtest.Kinds(t) {
		if kind != db.Postgres {
			continue
		}
		d := dbtest.Open(t, dbtest.New(t, db.Postgres, true))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		a, b := NewHub(nil), NewHub(nil)
		a.ListenPostgres(d.Pool)
		b.ListenPostgres(d.Pool)
		go a.Run(ctx)
		go b.Run(ctx)
		waitListening(t, a, b)
		onB := newTap(b, 8)
		onB.Add("org.1")
		onA := newTap(a, 8)
		onA.Add("org.1")
		if err := a.Publish(ctx, Message{Topic: "org.1", Type: "small"}); err != nil {
			t.Fatal(err)
		}
		big := strings.Repeat("x", 20000)
		data, _ := json.Marshal(map[string]string{"text": big})
		if err := a.Publish(ctx, Message{Topic: "org.1", Type: "big", Data: data}); err != nil {
			t.Fatal(err)
		}
		for _, s := range []*tap{onB, onA} {
			if m := mustFrame(t, s); m.Type != "small" {
				t.Fatalf("got %+v", m)
			}
			m := mustFrame(t, s)
			var got map[string]string
			json.Unmarshal(m.Data, &got)
			if m.Type != "big" || got["text"] != big {
				t.Fatalf("large frame lost or cut: type %q, %d bytes", m.Type, len(got["text"]))
			}
		}
	}
}

func waitListening(t *testing.T, hubs ...*Hub) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, h := range hubs {
		for !h.Listening() {
			if time.Now().After(deadline) {
				t.Fatal("listener did not connect")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// When the listener loses its connection, local subscribers are told to
// catch up: frames published meanwhile never reached this replica.
func TestListenerReconnectResetsSubscribers(t *testing.T) {
	t.Parallel()
	for _, kind := range dbtest.Kinds(t) {
		if kind != db.Postgres {
			continue
		}
		d := dbtest.Open(t, dbtest.New(t, db.Postgres, true))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		h := NewHub(nil)
		h.ListenPostgres(d.Pool)
		go h.Run(ctx)
		waitListening(t, h)
		s := newTap(h, 4)
		s.Add("org.1")
		// Kill the listening connection from the server side.
		if _, err := d.Pool.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND datname = current_database()"); err != nil {
			t.Fatal(err)
		}
		select {
		case <-s.Done():
			if !s.Reset() {
				t.Fatal("subscription ended without the reset flag")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("subscribers were not reset after the listener reconnected")
		}
		waitListening(t, h)
	}
}
