package httpx

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kite-crm/kite/internal/platform/db"
)

var quiet = slog.New(slog.DiscardHandler)

func TestGzipCompressesLargeTextOnly(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("kite ", 1000)
	h := Gzip(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, big[:100])
			io.WriteString(w, big[100:])
		case "/small":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"ok":true}`)
		case "/png":
			w.Header().Set("Content-Type", "image/png")
			w.Write(bytes.Repeat([]byte{1}, 5000))
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	get := func(path string) *http.Response {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Accept-Encoding", "gzip, br")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result()
	}
	res := get("/big")
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatal("large HTML not compressed")
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if body, _ := io.ReadAll(zr); string(body) != big {
		t.Fatal("compressed body does not round-trip")
	}
	res = get("/small")
	body, _ := io.ReadAll(res.Body)
	if res.Header.Get("Content-Encoding") != "" || string(body) != `{"ok":true}` || res.StatusCode != 201 {
		t.Fatalf("small response altered: %d %q %q", res.StatusCode, res.Header.Get("Content-Encoding"), body)
	}
	if res = get("/png"); res.Header.Get("Content-Encoding") != "" {
		t.Fatal("PNG compressed")
	}
	if res = get("/empty"); res.StatusCode != 204 {
		t.Fatalf("204 became %d", res.StatusCode)
	}
}

func TestRecoverAnswersProblemAndLogs(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	h := Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("kaboom") }), WithRequestID, Recover(log))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/x", nil))
	var p Problem
	json.Unmarshal(rec.Body.Bytes(), &p)
	if rec.Code != 500 || p.Code != "internal" || strings.Contains(rec.Body.String(), "kaboom") {
		t.Fatalf("panic answered %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "kaboom") || !strings.Contains(logs.String(), rec.Header().Get("X-Request-ID")) {
		t.Fatalf("panic not logged with request id: %s", logs.String())
	}
}

func TestRequestIDIsKeptWhenSaneElseMade(t *testing.T) {
	t.Parallel()
	var seen string
	h := WithRequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = RequestID(r.Context()) }))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-Request-ID", "abc-123")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if seen != "abc-123" || rec.Header().Get("X-Request-ID") != "abc-123" {
		t.Fatalf("kept id = %q", seen)
	}
	req.Header.Set("X-Request-ID", "bad id\nInjected: 1")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if seen == "" || strings.ContainsAny(seen, " \n") {
		t.Fatalf("unsafe id passed through: %q", seen)
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	h := BodyLimit(func(*http.Request) int64 { return 10 })(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			WriteProblem(w, NewProblem(http.StatusRequestEntityTooLarge, "", err.Error()))
			return
		}
		w.WriteHeader(204)
	}))
	for _, tc := range []struct {
		body   string
		chunk  bool
		status int
	}{{"short", false, 204}, {"far too long for ten", false, 413}, {"far too long for ten", true, 413}} {
		req := httptest.NewRequest("POST", "/api/v1/x", strings.NewReader(tc.body))
		if tc.chunk {
			req.ContentLength = -1
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.status {
			t.Errorf("body %q chunked=%v: %d, want %d", tc.body, tc.chunk, rec.Code, tc.status)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	SecurityHeaders(true)(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	h := rec.Header()
	if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("X-Content-Type-Options") != "nosniff" ||
		h.Get("Referrer-Policy") == "" || h.Get("Strict-Transport-Security") == "" {
		t.Fatalf("headers = %v", h)
	}
}

func TestCrossOriginRefusesCrossSiteWrites(t *testing.T) {
	t.Parallel()
	h := CrossOrigin()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	req := httptest.NewRequest("POST", "http://kite.test/api/v1/x", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 403 || !strings.Contains(rec.Header().Get("Content-Type"), "problem+json") {
		t.Fatalf("cross-site POST: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	// API clients without browser headers pass.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "http://kite.test/api/v1/x", nil))
	if rec.Code != 204 {
		t.Fatalf("plain API client: %d", rec.Code)
	}
}

func TestCursorRoundTripAndRejectsGarbage(t *testing.T) {
	t.Parallel()
	type key struct {
		Name string `json:"n"`
		ID   string `json:"i"`
	}
	c := EncodeCursor(key{"Zoë", "0191"})
	var k key
	ok, err := DecodeCursor(c, &k)
	if !ok || err != nil || k.Name != "Zoë" || k.ID != "0191" {
		t.Fatalf("round trip: %v %v %+v", ok, err, k)
	}
	if ok, err := DecodeCursor("", &k); ok || err != nil {
		t.Fatal("empty cursor should mean first page")
	}
	_, err = DecodeCursor("!!not-base64", &k)
	var p *Problem
	if err == nil || !asProblem(err, &p) || p.Status != 400 {
		t.Fatalf("garbage cursor: %v", err)
	}
	if Limit(0) != 50 || Limit(1000) != 200 || Limit(7) != 7 {
		t.Fatal("Limit clamps wrong")
	}
}

func asProblem(err error, p **Problem) bool {
	q, ok := err.(*Problem)
	*p = q
	return ok
}

func TestAPIErrorMapping(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	cases := map[error]int{db.MapError(sql.ErrNoRows): 404, db.ErrConflict: 409, io.ErrUnexpectedEOF: 500}
	for in, want := range cases {
		got := APIError(ctx, log, in).(huma.StatusError)
		if got.GetStatus() != want {
			t.Errorf("%v -> %d, want %d", in, got.GetStatus(), want)
		}
	}
	if !strings.Contains(logs.String(), "unexpected EOF") {
		t.Fatal("internal error not logged")
	}
}

func TestMetricsLabelByPattern(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) {})
	h := m.Middleware(mux)
	for _, p := range []string{"/things/1", "/things/2", "/nowhere"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	if n := testutil.CollectAndCount(m.duration); n != 2 {
		t.Fatalf("%d series, want 2 (one per route, IDs folded)", n)
	}
	families, _ := reg.Gather()
	var routes []string
	for _, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "route" {
					routes = append(routes, l.GetValue())
				}
			}
		}
	}
	if strings.Join(routes, ",") != "GET /things/{id},unmatched" {
		t.Fatalf("routes = %v", routes)
	}
}

func TestSaneAcceptDropsMalformedHeaders(t *testing.T) {
	t.Parallel()
	var seen string
	h := SaneAccept(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.Header.Get("Accept") }))
	for accept, want := range map[string]string{
		"application/json":                  "application/json",
		"text/html, application/json;q=0.9": "text/html, application/json;q=0.9",
		"a;b,":                              "",
		"a;,":                               "",
		";;;":                               "",
	} {
		req := httptest.NewRequest("GET", "/api/v1/x", nil)
		req.Header.Set("Accept", accept)
		h.ServeHTTP(httptest.NewRecorder(), req)
		if seen != want {
			t.Errorf("Accept %q reached the handler as %q, want %q", accept, seen, want)
		}
	}
}

func TestGzipEdgeCases(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 5000)
	h := Gzip(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		switch r.URL.Path {
		case "/range":
			w.Header().Set("Content-Range", "bytes 0-4999/10000")
			w.WriteHeader(http.StatusPartialContent)
		case "/created":
			w.WriteHeader(http.StatusCreated)
		}
		io.WriteString(w, big)
	}))
	serve := func(method, path, accept string) *http.Response {
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("Accept-Encoding", accept)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result()
	}
	if r := serve("GET", "/", "gzip;q=0, identity"); r.Header.Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 was compressed")
	}
	if r := serve("GET", "/range", "gzip"); r.Header.Get("Content-Encoding") != "" || r.StatusCode != 206 {
		t.Error("a range response was compressed")
	}
	if r := serve("GET", "/created", "gzip"); r.StatusCode != 201 {
		t.Errorf("status became %d", r.StatusCode)
	}
	get, head := serve("GET", "/", "gzip"), serve("HEAD", "/", "gzip")
	if head.Header.Get("Content-Encoding") != get.Header.Get("Content-Encoding") || head.Header.Get("Vary") == "" {
		t.Errorf("HEAD headers %v differ from GET %v", head.Header, get.Header)
	}
	if b, _ := io.ReadAll(head.Body); len(b) != 0 {
		t.Error("HEAD got a body")
	}
}

// A panic after a small write still ends as a 500 problem, not a
// truncated 200.
func TestPanicAfterSmallWriteIs500(t *testing.T) {
	t.Parallel()
	h := Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<p>half")
		panic("boom")
	}), Recover(quiet), Gzip)
	req := httptest.NewRequest("GET", "/page", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "half") {
		t.Fatalf("answered %d %q", rec.Code, rec.Body.String())
	}
}
