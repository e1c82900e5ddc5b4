package telegramtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-telegram/bot"

	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
)

const token = "123456:AAH-test_token"

func ann() telegramtest.User {
	return telegramtest.User{ID: 1001, FirstName: "Ann", LastName: "Lee", Username: "ann_lee", LanguageCode: "en"}
}

func bob() telegramtest.User {
	return telegramtest.User{ID: 1002, FirstName: "Bob"}
}

// newServer starts a server with one bot registered under token.
func newServer(t testing.TB, opts ...telegramtest.Option) *telegramtest.Server {
	t.Helper()
	srv := telegramtest.New(opts...)
	t.Cleanup(srv.Close)
	srv.AddBot(token, "kite_test_bot")
	return srv
}

// newClient is the real client library pointed at srv.
func newClient(t testing.TB, srv *telegramtest.Server, tok string) *bot.Bot {
	t.Helper()
	b, err := bot.New(tok, bot.WithServerURL(srv.URL()), bot.WithSkipGetMe())
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	return b
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// answer is a decoded Bot API answer plus its HTTP status.
type answer struct {
	Status      int             `json:"-"`
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// call posts url-encoded params, the encoding curl and many libraries use.
func call(t testing.TB, srv *telegramtest.Server, tok, method string, params url.Values) answer {
	t.Helper()
	resp, err := http.PostForm(srv.URL()+"/bot"+tok+"/"+method, params)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return decodeAnswer(t, resp)
}

// callJSON posts body as application/json.
func callJSON(t testing.TB, srv *telegramtest.Server, tok, method string, body any) answer {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(srv.URL()+"/bot"+tok+"/"+method, "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return decodeAnswer(t, resp)
}

func decodeAnswer(t testing.TB, resp *http.Response) answer {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{Status: resp.StatusCode}
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("answer is not JSON (status %d): %s", resp.StatusCode, body)
	}
	if a.ErrorCode != 0 && a.ErrorCode != a.Status {
		t.Fatalf("error_code %d differs from HTTP status %d", a.ErrorCode, a.Status)
	}
	return a
}

// wantError checks a failed answer's status and exact description.
func wantError(t testing.TB, a answer, status int, description string) {
	t.Helper()
	if a.OK || a.Status != status || a.Description != description {
		t.Fatalf("got ok=%v %d %q, want %d %q", a.OK, a.Status, a.Description, status, description)
	}
}

// wireUpdate is an update as a client decodes it, kept loose on purpose.
type wireUpdate map[string]any

func (u wireUpdate) id() int64 { return int64(u["update_id"].(float64)) }

// field digs a value out by path, e.g. field("message", "chat", "type").
func (u wireUpdate) field(path ...string) any {
	var v any = map[string]any(u)
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// getUpdates polls over plain HTTP: the client library keeps it private.
func getUpdates(t testing.TB, srv *telegramtest.Server, tok string, offset int64, extra url.Values) []wireUpdate {
	t.Helper()
	params := url.Values{"offset": {strconv.FormatInt(offset, 10)}}
	for k, v := range extra {
		params[k] = v
	}
	a := call(t, srv, tok, "getUpdates", params)
	if !a.OK {
		t.Fatalf("getUpdates: %d %s", a.Status, a.Description)
	}
	var updates []wireUpdate
	if err := json.Unmarshal(a.Result, &updates); err != nil {
		t.Fatal(err)
	}
	return updates
}

func ids(updates []wireUpdate) []int64 {
	out := make([]int64, len(updates))
	for i, u := range updates {
		out[i] = u.id()
	}
	return out
}

// hook is a webhook endpoint that records what it receives and answers
// with the status status(n) for its n-th request (0-based).
type hook struct {
	*httptest.Server
	mu       sync.Mutex
	requests []hookRequest
	status   func(n int) int
	received chan struct{} // one token per request, for tests that wait
	conns    atomic.Int32  // TCP connections accepted
}

type hookRequest struct {
	header http.Header
	update wireUpdate
}

func newHook(t testing.TB, status func(n int) int) *hook {
	t.Helper()
	h := &hook{status: status, received: make(chan struct{}, 100000)}
	h.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var u wireUpdate
		if err := json.NewDecoder(r.Body).Decode(&u); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		h.mu.Lock()
		n := len(h.requests)
		h.requests = append(h.requests, hookRequest{header: r.Header.Clone(), update: u})
		h.mu.Unlock()
		code := http.StatusOK
		if h.status != nil {
			code = h.status(n)
		}
		w.WriteHeader(code)
		h.received <- struct{}{}
	}))
	h.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			h.conns.Add(1)
		}
	}
	h.Start()
	t.Cleanup(h.Close)
	return h
}

func (h *hook) got() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookRequest(nil), h.requests...)
}

func readAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func sendText(chatID int64, text string) *bot.SendMessageParams {
	return &bot.SendMessageParams{ChatID: chatID, Text: text}
}
