package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func serve(t *testing.T, h *Hub, buffer int) *httptest.Server {
	t.Helper()
	e := &Endpoint{Hub: h, Buffer: buffer, Gate: func(r *http.Request) (Access, error) {
		if r.Header.Get("Authorization") != "Bearer ok" {
			return Access{}, ErrNoAccess
		}
		return Access{Topics: []string{"org.1"}, Allow: func(topic string) bool { return strings.HasPrefix(topic, "org.1.") }}, nil
	}}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

func dial(t *testing.T, srv *httptest.Server) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer ok"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func read(t *testing.T, c *websocket.Conn) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func write(t *testing.T, c *websocket.Conn, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := c.Write(context.Background(), websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
}

func waitSubscribers(t *testing.T, h *Hub, topic string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		h.mu.RLock()
		got := len(h.topics[topic])
		h.mu.RUnlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d subscribers on %s, want %d", got, topic, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWebSocketRefusesWithoutAccess(t *testing.T) {
	t.Parallel()
	srv := serve(t, NewHub(nil), 8)
	_, resp, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("dial without credentials: err=%v resp=%v", err, resp)
	}
}

func TestWebSocketSubscribeAndReceive(t *testing.T) {
	t.Parallel()
	h := NewHub(nil)
	c := dial(t, serve(t, h, 8))
	write(t, c, map[string]any{"type": "subscribe", "topics": []string{"org.1.chat.5", "org.2"}})
	ack := read(t, c)
	data := ack["data"].(map[string]any)
	if ack["type"] != "subscribed" || len(data["topics"].([]any)) != 1 || data["denied"].([]any)[0] != "org.2" {
		t.Fatalf("ack = %v", ack)
	}
	h.Publish(context.Background(), Message{Topic: "org.2", Type: "secret"})
	h.Publish(context.Background(), Message{Topic: "org.1", Type: "message.received", ID: "e7"})
	h.Publish(context.Background(), Message{Topic: "org.1.chat.5", Type: "typing"})
	if m := read(t, c); m["type"] != "message.received" || m["id"] != "e7" {
		t.Fatalf("got %v", m)
	}
	if m := read(t, c); m["type"] != "typing" {
		t.Fatalf("got %v", m)
	}
	write(t, c, "not an object")
	if m := read(t, c); m["type"] != "error" {
		t.Fatalf("bad frame answered with %v", m)
	}
}

func TestWebSocketFanOut(t *testing.T) {
	t.Parallel()
	h := NewHub(nil)
	srv := serve(t, h, 64)
	const clients, messages = 50, 20
	conns := make([]*websocket.Conn, clients)
	for i := range conns {
		conns[i] = dial(t, srv)
	}
	waitSubscribers(t, h, "org.1", clients)
	for i := range messages {
		h.Publish(context.Background(), Message{Topic: "org.1", Type: "n", ID: string(rune('a' + i))})
	}
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for _, c := range conns {
		wg.Go(func() {
			for i := range messages {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_, b, err := c.Read(ctx)
				cancel()
				var m Message
				if err != nil || json.Unmarshal(b, &m) != nil || m.ID != string(rune('a'+i)) {
					errs <- errors.New("frame missing or out of order: " + string(b))
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestWebSocketEvictsSlowClient(t *testing.T) {
	t.Parallel()
	h := NewHub(nil)
	c := dial(t, serve(t, h, 4))
	c.SetReadLimit(1 << 20)
	waitSubscribers(t, h, "org.1", 1)
	// The client reads nothing while far more is published than fits in
	// the buffer and the socket's send window.
	big := json.RawMessage(`"` + strings.Repeat("y", 64<<10) + `"`)
	for range 200 {
		h.Publish(context.Background(), Message{Topic: "org.1", Type: "flood", Data: big})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, _, err := c.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
				t.Fatalf("closed with %v, want policy violation (slow consumer)", err)
			}
			return
		}
	}
}
