package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/kite-crm/kite/internal/web/webtest"
)

// fixedNow is the clock of the fake status data.
var fixedNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// fakeStatus is what a running app on PostgreSQL might report.
func fakeStatus() StatusData {
	return StatusData{
		Version:       "v1.4.2",
		DatabaseKind:  "PostgreSQL",
		DatabaseWhere: "db.internal:5432/kite",
		SchemaVersion: 12,
		SchemaLatest:  14,
		Queue: []QueueCount{
			{State: "available", Count: 3},
			{State: "running", Count: 1},
			{State: "retryable", Count: 2},
			{State: "completed", Count: 12873},
			{State: "discarded", Count: 5},
		},
		StartedAt: fixedNow.Add(-(3*time.Hour + 12*time.Minute + 40*time.Second)),
		Now:       fixedNow,
	}
}

// logBuffer is a concurrency-safe sink for a test's slog output.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newTestMux builds a Web around status and registers it, with NotFound for
// every other path, as the app does.
func newTestMux(t *testing.T, status func(context.Context) (StatusData, error)) (*http.ServeMux, *Web, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	w, err := New(Options{Version: "v1.4.2", Status: status, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	w.Register(mux)
	mux.HandleFunc("/", w.NotFound)
	return mux, w, logs
}

func staticStatus(d StatusData) func(context.Context) (StatusData, error) {
	return func(context.Context) (StatusData, error) { return d, nil }
}

// get runs one request through h and returns the response with its body.
func get(t *testing.T, h http.Handler, path string, header ...string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// The HTML helpers are the shared webtest ones, under short names.
var (
	findAll  = webtest.FindAll
	attr     = webtest.Attr
	hasAttr  = webtest.HasAttr
	hasClass = webtest.HasClass
	text     = webtest.Text
)

func parseHTML(t *testing.T, body string) *html.Node { return webtest.Parse(t, body) }

// byID finds the element with the given id, or nil.
func byID(n *html.Node, id string) *html.Node {
	found := findAll(n, func(e *html.Node) bool { return attr(e, "id") == id })
	if len(found) == 0 {
		return nil
	}
	return found[0]
}

func tag(name string) func(*html.Node) bool {
	return func(e *html.Node) bool { return e.Data == name }
}
