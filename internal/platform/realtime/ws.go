package realtime

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
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
	// Closed, when set, runs once the connection has ended (telling
	// teammates the person's socket is gone), on a goroutine of its own.
	Closed func()
}

// Action handles one kind of client frame; data is the frame's "data".
type Action func(ctx context.Context, data json.RawMessage) error

// Gate authorizes a WebSocket request. An error refuses the upgrade with 401.
type Gate func(r *http.Request) (Access, error)

// Endpoint serves realtime over WebSocket.
//
// A socket costs one goroutine while it is idle, the one reading what the
// client sends. Frames wait in its subscription's queue; when some arrive,
// a goroutine is started to write them and ends when the queue is empty.
// Pings and stuck writes are looked after by one janitor for all sockets.
// So ten thousand open inboxes cost ten thousand small goroutines, and a
// broadcast is written on every core at once.
type Endpoint struct {
	Hub  *Hub
	Gate Gate
	// Buffer is how many frames may wait for one slow client before it is
	// disconnected (default 1024; PostgreSQL delivers notifications in
	// bursts of hundreds).
	Buffer int
	// PingInterval keeps idle connections alive through proxies (default 25 s).
	PingInterval time.Duration
	// Closing closes every connection with "going away" when it is closed:
	// server shutdown does not wait for hijacked connections by itself.
	Closing <-chan struct{}

	once  sync.Once
	mu    sync.Mutex
	conns map[*socket]struct{}
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
	janitorEvery  = time.Second
)

// socket is one open connection.
type socket struct {
	e      *Endpoint
	conn   *websocket.Conn
	access Access
	sub    *Subscription
	kick   *Subscription // the revoke topic's
	ctx    context.Context
	cancel context.CancelFunc
	once   sync.Once
	// started is closed once conn and ctx are set (or the handshake
	// failed): the hub may end a subscription before that.
	started chan struct{}
	// writing is when the current write round started (unix nanos), 0
	// when none runs; lastPing is when the last ping was sent.
	writing  atomic.Int64
	lastPing atomic.Int64
}

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
	s := &socket{e: e, access: access, started: make(chan struct{})}
	// Subscribe before the handshake completes: once the client sees the
	// socket open, everything published from then on reaches it (frames
	// wait in the queue, held until the replay is written).
	s.sub = e.Hub.Listen(cmp.Or(e.Buffer, 1024), s.flushSoon, s.ended)
	s.sub.Add(access.Topics...)
	if access.Revoke != "" {
		s.kick = e.Hub.Listen(1, func() { s.closeLater(websocket.StatusPolicyViolation, "access revoked") }, nil)
		s.kick.Add(access.Revoke)
	}
	// Accept checks that the Origin matches the Host, so another site cannot
	// open a socket with the user's cookie.
	c, err := websocket.Accept(slimWriter{w}, r, nil)
	if err != nil {
		close(s.started)
		s.unsubscribe()
		return
	}
	c.SetReadLimit(maxClientSize)
	s.conn = c
	// Not the request's context: nothing of the request (its headers, the
	// middleware's values) is kept alive for the hours a socket is open.
	s.ctx, s.cancel = context.WithCancel(context.Background())
	close(s.started)
	if s.kick != nil && len(s.kick.Take()) > 0 { // revoked during the handshake
		s.close(websocket.StatusPolicyViolation, "access revoked")
		return
	}
	if access.Replay != nil {
		if err := replay(s.ctx, c, access.Replay); err != nil {
			s.close(websocket.StatusInternalError, "could not replay missed events; reconnect")
			return
		}
	}
	s.lastPing.Store(time.Now().UnixNano())
	if !e.track(s) {
		s.close(websocket.StatusGoingAway, "server restarting: reconnect with ?since=")
		return
	}
	go s.readLoop()
	go s.flush() // what arrived during the handshake and replay, then live
	// The request's goroutine (and its deep stack) ends here; the socket
	// lives on in its read loop.
}

// track registers s for the janitor; false once the server is closing.
func (e *Endpoint) track(s *socket) bool {
	e.once.Do(func() {
		e.conns = map[*socket]struct{}{}
		go e.janitor()
	})
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conns == nil {
		return false
	}
	e.conns[s] = struct{}{}
	return true
}

func (e *Endpoint) untrack(s *socket) {
	e.mu.Lock()
	if e.conns != nil {
		delete(e.conns, s)
	}
	e.mu.Unlock()
}

// janitor pings idle sockets, drops those whose write is stuck, and
// closes them all when the server shuts down.
func (e *Endpoint) janitor() {
	tick := time.NewTicker(janitorEvery)
	defer tick.Stop()
	every := int64(cmp.Or(e.PingInterval, 25*time.Second))
	for {
		select {
		case <-e.Closing:
			e.mu.Lock()
			all := e.conns
			e.conns = nil
			e.mu.Unlock()
			for s := range all {
				go s.close(websocket.StatusGoingAway, "server restarting: reconnect with ?since=")
			}
			return
		case now := <-tick.C:
			at := now.UnixNano()
			e.mu.Lock()
			for s := range e.conns {
				if w := s.writing.Load(); w != 0 && at-w > int64(writeTimeout) {
					go s.closeNow()
				} else if at-s.lastPing.Load() > every {
					s.lastPing.Store(at)
					go s.ping()
				}
			}
			e.mu.Unlock()
		}
	}
}

func (s *socket) ping() {
	ctx, cancel := context.WithTimeout(s.ctx, writeTimeout)
	defer cancel()
	if err := s.conn.Ping(ctx); err != nil {
		s.close(websocket.StatusGoingAway, "ping timeout")
	}
}

// flushSoon starts a write round; the subscription calls it when frames
// wait and no round runs.
func (s *socket) flushSoon() { go s.flush() }

// flush writes the queued frames until the queue is empty.
func (s *socket) flush() {
	for {
		frames := s.sub.Take()
		if len(frames) == 0 {
			return
		}
		s.writing.Store(time.Now().UnixNano())
		for _, f := range frames {
			// No deadline per write (a timer for each of thousands of sockets
			// on every broadcast): the janitor drops a socket stuck writing.
			if err := s.conn.Write(context.Background(), websocket.MessageText, f); err != nil {
				s.writing.Store(0)
				s.closeNow()
				return
			}
		}
		s.writing.Store(0)
	}
}

// ended closes the socket the hub gave up on, saying why.
func (s *socket) ended() {
	switch {
	case s.sub.Evicted():
		s.closeLater(websocket.StatusPolicyViolation, "too slow: reconnect and catch up with ?since=")
	case s.sub.Reset():
		s.closeLater(websocket.StatusServiceRestart, "updates may have been missed: reconnect with ?since=")
	}
}

// closeLater closes the socket from another goroutine, once it started.
func (s *socket) closeLater(status websocket.StatusCode, reason string) {
	go func() {
		<-s.started
		s.close(status, reason)
	}()
}

// closed runs the access's Closed hook.
func (s *socket) closed() {
	if s.access.Closed != nil {
		go s.access.Closed()
	}
}

func (s *socket) unsubscribe() {
	s.sub.Close()
	if s.kick != nil {
		s.kick.Close()
	}
}

// close ends the socket with a close frame.
func (s *socket) close(status websocket.StatusCode, reason string) {
	s.once.Do(func() {
		s.closed()
		s.unsubscribe()
		s.e.untrack(s)
		if s.cancel != nil {
			defer s.cancel()
		}
		if s.conn != nil {
			s.conn.Close(status, reason)
		}
	})
}

// closeNow drops a socket that cannot be written to.
func (s *socket) closeNow() {
	s.once.Do(func() {
		s.closed()
		s.unsubscribe()
		s.e.untrack(s)
		s.cancel()
		s.conn.CloseNow()
	})
}

// readLoop handles subscribe/unsubscribe requests and actions, and ends
// the socket when the client goes away.
func (s *socket) readLoop() {
	defer s.close(websocket.StatusNormalClosure, "")
	for {
		_, data, err := s.conn.Read(s.ctx)
		if err != nil {
			return
		}
		var f clientFrame
		if err := json.Unmarshal(data, &f); err != nil {
			s.reply("error", map[string]string{"message": "frames must be JSON objects"})
			continue
		}
		switch f.Type {
		case "subscribe":
			granted, denied := s.e.filter(f.Topics, s.access, len(s.sub.Topics()))
			s.sub.Add(granted...)
			s.reply("subscribed", map[string][]string{"topics": granted, "denied": denied})
		case "unsubscribe":
			s.sub.Remove(f.Topics...)
			s.reply("unsubscribed", map[string][]string{"topics": f.Topics})
		default:
			act, ok := s.access.Actions[f.Type]
			if !ok {
				s.reply("error", map[string]string{"message": "unknown frame type " + quote(f.Type)})
				continue
			}
			if err := act(s.ctx, f.Data); err != nil {
				s.reply("error", map[string]string{"message": err.Error(), "frame": f.Type})
			}
		}
	}
}

// reply answers the client, in line with the frames waiting for it.
func (s *socket) reply(typ string, data any) {
	b, _ := json.Marshal(map[string]any{"type": typ, "data": data})
	if !s.sub.Push(b) {
		s.closeLater(websocket.StatusPolicyViolation, "too slow: reconnect and catch up with ?since=")
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

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// ErrNoAccess is a Gate's answer for a request without valid credentials.
var ErrNoAccess = errors.New("realtime: not authorized")
