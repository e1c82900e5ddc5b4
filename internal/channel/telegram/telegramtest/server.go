package telegramtest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxDrain bounds how much of an unread request body the server swallows
// before answering, so that a client still streaming an upload reads the
// answer instead of a broken pipe.
const maxDrain = 128 << 20

// defaultMaxUpload is Telegram's upload limit for methods other than
// sendPhoto.
const defaultMaxUpload = 50 << 20

// Server is a fake Telegram Bot API server listening on a loopback address.
// It is safe for concurrent use; each bot has its own locks, so bots never
// wait for each other.
type Server struct {
	http             *httptest.Server
	limits           Limits
	insecureWebhooks bool
	methods          map[string]method
	media            map[string]mediaKind // by kind: "photo", "document", ...
	bots             sync.Map             // bot token → *bot
	down             atomic.Bool
	ctx              context.Context
	cancel           context.CancelFunc // ends long polls and webhook deliveries
	workers          sync.WaitGroup     // webhook delivery goroutines
	closeOnce        sync.Once

	mu     sync.Mutex // orders starting workers against Close
	closed bool
}

// Option configures a Server built by New.
type Option func(*Server)

// WithInsecureWebhooks lets setWebhook accept http:// URLs on any port.
// Without it setWebhook insists on https and ports 80, 88, 443 or 8443 as
// Telegram does, which rules out plain httptest servers.
func WithInsecureWebhooks() Option {
	return func(s *Server) { s.insecureWebhooks = true }
}

// WithLimits replaces the flood limits (DefaultLimits by default). A Rate
// left zero imposes no limit.
func WithLimits(l Limits) Option {
	return func(s *Server) { s.limits = l }
}

// New starts a Server on 127.0.0.1 with a random port. Call Close when done.
func New(opts ...Option) *Server {
	s := build(opts)
	s.http = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// Listen starts a Server on addr, a loopback host:port, for a program
// under test that was told the Bot API's address before the server ran
// (a benchmark). Call Close when done.
func Listen(addr string, opts ...Option) (*Server, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("telegramtest: %s is not a loopback address", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := build(opts)
	s.http = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.http.Listener.Close()
	s.http.Listener = ln
	s.http.Start()
	return s, nil
}

func build(opts []Option) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{limits: DefaultLimits(), ctx: ctx, cancel: cancel}
	for _, o := range opts {
		o(s)
	}
	s.methods = s.methodTable()
	s.media = make(map[string]mediaKind)
	for _, k := range mediaKinds() {
		s.media[k.kind] = k
	}
	return s
}

// URL is the server's base URL, to use where a client expects
// https://api.telegram.org (e.g. bot.WithServerURL).
func (s *Server) URL() string { return s.http.URL }

// Close ends pending long polls and webhook deliveries, then shuts the
// listener down. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		s.workers.Wait()
		s.http.Close()
	})
}

// SetDown simulates a Telegram outage. While down, every Bot API request and
// file download answers 502 with nginx's HTML page, waiting long polls end the
// same way, and webhook delivery pauses until the server is up again.
func (s *Server) SetDown(down bool) {
	s.down.Store(down)
	s.bots.Range(func(_, v any) bool {
		b := v.(*bot)
		b.mu.Lock()
		b.wakePollersLocked()
		if h := b.upd.hook; h != nil {
			h.signal()
		}
		b.mu.Unlock()
		return true
	})
}

// startWorkers runs n copies of work in the background unless the server
// is closing, and reports whether it did.
func (s *Server) startWorkers(n int, work func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.workers.Add(n)
	for range n {
		go func() {
			defer s.workers.Done()
			work()
		}()
	}
	return true
}

// lookup returns the bot registered under token, or nil.
func (s *Server) lookup(token string) *bot {
	if v, ok := s.bots.Load(token); ok {
		return v.(*bot)
	}
	return nil
}

// mustBot is lookup for the test-facing helpers, where an unknown token is a
// mistake in the test itself.
func (s *Server) mustBot(token string) *bot {
	b := s.lookup(token)
	if b == nil {
		panic("telegramtest: no bot registered with token " + token + "; call AddBot first")
	}
	return b
}

// serveHTTP routes /bot<token>/<method> and /file/bot<token>/<path>.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"); ok {
		s.serveDownload(w, r, rest, at)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	if !ok {
		drain(r)
		writeAnswer(w, nil, errNotFound())
		return
	}
	token, name, _ := strings.Cut(rest, "/")
	b := s.lookup(token)
	m, known := s.methods[strings.ToLower(name)]
	if !known {
		m = method{name: name, maxUpload: defaultMaxUpload}
	}
	// Parameters are read even for requests about to be refused, so that
	// Calls shows what a refused client sent.
	in, e := parseRequest(r, m.maxUpload)
	drain(r)
	in.ctx, in.at = r.Context(), at
	switch {
	case s.down.Load():
		e = errBadGateway()
	case b == nil || b.revoked.Load():
		e = errUnauthorized()
	case !known:
		e = errNotFound()
	}
	var result any
	if e == nil {
		result, e = m.handle(b, in)
	}
	status := writeAnswer(w, result, e)
	if b != nil {
		b.log.add(in.record(m.name, status))
	}
}

// drain reads what is left of a request body so that the answer reaches a
// client that is still sending.
func drain(r *http.Request) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxDrain))
}

// handler answers one Bot API method for one bot.
type handler func(b *bot, in *request) (any, *apiError)

// method is an entry of the method table.
type method struct {
	name      string // canonical spelling, used in Call.Method
	maxUpload int64  // largest file part accepted; larger ones get 413
	handle    handler
}

// methodTable lists the implemented methods by lower-cased name, because
// Telegram matches method names case-insensitively.
func (s *Server) methodTable() map[string]method {
	list := []method{
		{name: "getMe", handle: s.getMe},
		{name: "getUpdates", handle: s.getUpdates},
		{name: "setWebhook", handle: s.setWebhook},
		{name: "deleteWebhook", handle: s.deleteWebhook},
		{name: "getWebhookInfo", handle: s.getWebhookInfo},
		{name: "sendMessage", handle: s.sendMessage},
		{name: "sendChatAction", handle: s.sendChatAction},
		{name: "getFile", handle: s.getFile},
	}
	for _, k := range mediaKinds() {
		list = append(list, method{name: k.method, maxUpload: k.maxUpload, handle: s.sendMedia(k)})
	}
	table := make(map[string]method, len(list))
	for _, m := range list {
		if m.maxUpload == 0 {
			m.maxUpload = defaultMaxUpload
		}
		table[strings.ToLower(m.name)] = m
	}
	return table
}

// getMe implements https://core.telegram.org/bots/api#getme.
func (s *Server) getMe(b *bot, _ *request) (any, *apiError) {
	type me struct {
		User
		CanJoinGroups           bool `json:"can_join_groups"`
		CanReadAllGroupMessages bool `json:"can_read_all_group_messages"`
		SupportsInlineQueries   bool `json:"supports_inline_queries"`
		CanConnectToBusiness    bool `json:"can_connect_to_business"`
		HasMainWebApp           bool `json:"has_main_web_app"`
	}
	return me{User: b.user(), CanJoinGroups: true}, nil
}
