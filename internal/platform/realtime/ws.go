package realtime

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/coder/websocket"
)

// Access is what a connection may see: topics it is subscribed to from the
// start and a rule for the topics it asks for.
type Access struct {
	Topics []string
	Allow  func(topic string) bool
	// Replay, when set, returns what the client missed while disconnected
	// (?since=). It runs after the live subscription starts, so nothing
	// falls between the two; its frames are sent first, and clients drop
	// duplicates by id.
	Replay func(ctx context.Context) ([][]byte, error)
	// Revoke, when set, is a topic whose first frame closes the
	// connection: access was taken away (e.g. the member was removed).
	Revoke string
	// Actions handle the client frames other than subscribe and
	// unsubscribe, by type (a teammate typing, presence). An action's
	// error is sent back to that client as an "error" frame.
	Actions map[string]Action
}

// Action handles one kind of client frame; data is the frame's "data".
type Action func(ctx context.Context, data json.RawMessage) error

// Gate authorizes a WebSocket request. An error refuses the upgrade with 401.
type Gate func(r *http.Request) (Access, error)

// Endpoint serves realtime over WebSocket.
type Endpoint struct {
	Hub  *Hub
	Gate Gate
	// Buffer is how many frames may wait for one slow client before it is
	// disconnected (default 64).
	Buffer int
	// PingInterval keeps idle connections alive through proxies (default 25 s).
	PingInterval time.Duration
	// Closing closes every connection with "going away" when it is closed:
	// server shutdown does not wait for hijacked connections by itself.
	Closing <-chan struct{}
}

// clientFrame is what a browser may send.
type clientFrame struct {
	Type   string          `json:"type"` // subscribe | unsubscribe | an Access action
	Topics []string        `json:"topics"`
	Data   json.RawMessage `json:"data"`
}

const (
	writeTimeout  = 10 * time.Second
	maxClientSize = 4 << 10
	maxTopics     = 100
)

func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	access, err := e.Gate(r)
	if err != nil {
		status := http.StatusServiceUnavailable
		var se interface{ GetStatus() int }
		if errors.Is(err, ErrNoAccess) {
			status = http.StatusUnauthorized
		} else if errors.As(err, &se) && se.GetStatus() < 500 {
			status = se.GetStatus()
		}
		http.Error(w, http.StatusText(status), status)
		return
	}
	// The server's read/write timeouts are for ordinary requests; a socket
	// lives for hours, with its own ping and write deadlines.
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	// Subscribe before the handshake completes: once the client sees the
	// socket open, everything published from then on reaches it (frames
	// wait in the subscription's buffer until the write loop runs).
	sub := e.Hub.Subscribe(cmp.Or(e.Buffer, 64))
	defer sub.Close()
	sub.Add(access.Topics...)
	revoked := make(<-chan []byte)
	if access.Revoke != "" {
		kick := e.Hub.Subscribe(1)
		defer kick.Close()
		kick.Add(access.Revoke)
		revoked = kick.Frames()
	}
	// Accept checks that the Origin matches the Host, so another site cannot
	// open a socket with the user's cookie.
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	c.SetReadLimit(maxClientSize)

	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	defer cancel()
	if access.Replay != nil {
		if err := replay(ctx, c, access.Replay); err != nil {
			c.Close(websocket.StatusInternalError, "could not replay missed events; reconnect")
			return
		}
	}
	replies := make(chan []byte, 8)
	go e.readLoop(ctx, cancel, c, sub, access, replies)
	status, reason := e.writeLoop(ctx, c, sub, replies, revoked)
	c.Close(status, reason)
}

func (e *Endpoint) writeLoop(ctx context.Context, c *websocket.Conn, sub *Subscription, replies, revoked <-chan []byte) (websocket.StatusCode, string) {
	ping := time.NewTicker(cmp.Or(e.PingInterval, 25*time.Second))
	defer ping.Stop()
	for {
		var frame []byte
		select {
		case <-ctx.Done():
			return websocket.StatusNormalClosure, ""
		case <-e.Closing:
			return websocket.StatusGoingAway, "server restarting: reconnect with ?since="
		case <-revoked:
			return websocket.StatusPolicyViolation, "access revoked"
		case <-sub.Done():
			if sub.Evicted() {
				return websocket.StatusPolicyViolation, "too slow: reconnect and catch up with ?since="
			}
			if sub.Reset() {
				return websocket.StatusServiceRestart, "updates may have been missed: reconnect with ?since="
			}
			return websocket.StatusNormalClosure, ""
		case <-ping.C:
			pctx, cancel := context.WithTimeout(ctx, writeTimeout)
			err := c.Ping(pctx)
			cancel()
			if err != nil {
				return websocket.StatusGoingAway, "ping timeout"
			}
			continue
		case frame = <-replies:
		case frame = <-sub.Frames():
		}
		wctx, cancel := context.WithTimeout(ctx, writeTimeout)
		err := c.Write(wctx, websocket.MessageText, frame)
		cancel()
		if err != nil {
			return websocket.StatusGoingAway, "write failed"
		}
	}
}

// readLoop handles subscribe/unsubscribe requests and ends the connection
// when the client goes away.
func (e *Endpoint) readLoop(ctx context.Context, done context.CancelFunc, c *websocket.Conn, sub *Subscription, access Access, replies chan<- []byte) {
	defer done()
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		var f clientFrame
		if err := json.Unmarshal(data, &f); err != nil {
			reply(ctx, replies, "error", map[string]string{"message": "frames must be JSON objects"})
			continue
		}
		switch f.Type {
		case "subscribe":
			granted, denied := e.filter(f.Topics, access, len(sub.Topics()))
			sub.Add(granted...)
			reply(ctx, replies, "subscribed", map[string][]string{"topics": granted, "denied": denied})
		case "unsubscribe":
			sub.Remove(f.Topics...)
			reply(ctx, replies, "unsubscribed", map[string][]string{"topics": f.Topics})
		default:
			act, ok := access.Actions[f.Type]
			if !ok {
				reply(ctx, replies, "error", map[string]string{"message": "unknown frame type " + quote(f.Type)})
				continue
			}
			if err := act(ctx, f.Data); err != nil {
				reply(ctx, replies, "error", map[string]string{"message": err.Error(), "frame": f.Type})
			}
		}
	}
}

func (e *Endpoint) filter(topics []string, access Access, have int) (granted, denied []string) {
	granted, denied = []string{}, []string{}
	for _, t := range topics {
		if t != "" && access.Allow != nil && access.Allow(t) && have+len(granted) < maxTopics {
			granted = append(granted, t)
		} else {
			denied = append(denied, t)
		}
	}
	return granted, denied
}

// replay writes the missed frames before any live one.
func replay(ctx context.Context, c *websocket.Conn, frames func(context.Context) ([][]byte, error)) error {
	missed, err := frames(ctx)
	if err != nil {
		return err
	}
	for _, f := range missed {
		wctx, cancel := context.WithTimeout(ctx, writeTimeout)
		err := c.Write(wctx, websocket.MessageText, f)
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

func reply(ctx context.Context, replies chan<- []byte, typ string, data any) {
	b, _ := json.Marshal(map[string]any{"type": typ, "data": data})
	select {
	case replies <- b:
	case <-ctx.Done():
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// ErrNoAccess is a Gate's answer for a request without valid credentials.
var ErrNoAccess = errors.New("realtime: not authorized")
