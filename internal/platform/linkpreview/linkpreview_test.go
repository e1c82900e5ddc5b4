package linkpreview

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// allowOnly returns an AllowAddr admitting exactly the given addresses, so
// tests can serve from loopback while every other address stays refused.
func allowOnly(addrs ...string) func(netip.Addr) bool {
	return func(a netip.Addr) bool {
		for _, s := range addrs {
			if a == netip.MustParseAddr(s) {
				return true
			}
		}
		return false
	}
}

// serve starts a test server on 127.0.0.1 and counts its requests.
func serve(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func htmlPage(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	}
}

func loopbackFetcher(opts Options) *Fetcher {
	if opts.AllowAddr == nil {
		opts.AllowAddr = allowOnly("127.0.0.1")
	}
	return New(opts)
}

func TestFetchOpenGraph(t *testing.T) {
	t.Parallel()
	srv, _ := serve(t, htmlPage(`<!doctype html><html><head>
		<title>Plain title</title>
		<meta name="description" content="plain description">
		<meta property="og:title" content="  OG   title &amp; more ">
		<meta property="og:description" content="OG description">
		<meta property="og:image" content="/img/card.png">
		<meta property="og:site_name" content="Example Site">
		<meta name="twitter:title" content="Twitter title">
		</head><body><meta property="og:title" content="ignored, in body"></body></html>`))
	p, err := loopbackFetcher(Options{}).Fetch(context.Background(), srv.URL+"/page#frag")
	if err != nil {
		t.Fatal(err)
	}
	want := Preview{
		URL:         srv.URL + "/page",
		Title:       "OG title & more",
		Description: "OG description",
		Image:       srv.URL + "/img/card.png",
		SiteName:    "Example Site",
	}
	if p != want {
		t.Fatalf("got %+v\nwant %+v", p, want)
	}
	b, _ := json.Marshal(Preview{})
	if got := string(b); got != `{"url":"","title":"","description":"","image":"","site_name":""}` {
		t.Errorf("JSON shape: %s", got)
	}
}

func TestFetchFallbacks(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("word ", 200)
	cases := []struct {
		name, page string
		want       Preview
	}{
		{
			name: "title and meta description",
			page: `<html><head><title>
				Hello
				World</title><meta name="Description" content="Plain desc"></head><body></body></html>`,
			want: Preview{Title: "Hello World", Description: "Plain desc"},
		},
		{
			name: "twitter card",
			page: `<head><title>T</title><meta name="twitter:title" content="TW title">
				<meta name="twitter:description" content="TW desc">
				<meta name="twitter:image" content="https://cdn.example/x.png"></head>`,
			want: Preview{Title: "TW title", Description: "TW desc", Image: "https://cdn.example/x.png"},
		},
		{
			name: "unsafe og:image falls through to the next source",
			page: `<head><meta property="og:image" content="javascript:alert(1)">
				<meta property="og:image:secure_url" content="data:image/png;base64,AAAA">
				<meta name="twitter:image:src" content="//cdn.example/y.png"></head>`,
			want: Preview{Image: "http://cdn.example/y.png"},
		},
		{
			name: "base href and image_src link",
			page: `<head><base href="/static/"><link rel="image_src" href="logo.png"></head>`,
			want: Preview{Image: "{srv}/static/logo.png"},
		},
		{
			name: "caps and control characters",
			page: `<head><title>` + strings.Repeat("é", 300) + `</title><meta property="og:description" content="` +
				long + `"><meta property="og:site_name" content="a` + "\u202e" + `b` + "\x01" + `c"></head>`,
			want: Preview{
				Title:       strings.Repeat("é", maxTitle-1) + "…",
				Description: strings.TrimSpace(long[:maxDescription-1]) + "…",
				SiteName:    "ab c",
			},
		},
		{
			name: "no metadata",
			page: `<html><body><h1>Nothing here</h1></body></html>`,
			want: Preview{},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := serve(t, htmlPage(tc.page))
			p, err := loopbackFetcher(Options{}).Fetch(context.Background(), srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			want.URL = srv.URL + "/"
			want.Image = strings.ReplaceAll(want.Image, "{srv}", srv.URL)
			if p != want {
				t.Fatalf("got  %+v\nwant %+v", p, want)
			}
			if p.Empty() != (want.Title == "" && want.Description == "" && want.Image == "") {
				t.Errorf("Empty() = %v", p.Empty())
			}
		})
	}
}

func TestFetchResolvesImageAgainstFinalURL(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.Handle("/old", http.RedirectHandler("/new/page", http.StatusFound))
	mux.Handle("/new/page", htmlPage(`<head><meta property="og:image" content="img.png"></head>`))
	srv, _ := serve(t, mux.ServeHTTP)
	p, err := loopbackFetcher(Options{}).Fetch(context.Background(), srv.URL+"/old")
	if err != nil {
		t.Fatal(err)
	}
	if want := srv.URL + "/new/img.png"; p.Image != want || p.URL != srv.URL+"/old" {
		t.Fatalf("got %+v, want image %s", p, want)
	}
}

func TestFetchCharset(t *testing.T) {
	t.Parallel()
	cases := map[string]struct{ contentType, page string }{
		"header":  {"text/html; charset=windows-1252", "<head><title>Caf\xe9</title></head>"},
		"meta":    {"text/html", "<head><meta charset=\"iso-8859-1\"><title>Caf\xe9</title></head>"},
		"sniffed": {"", "<!DOCTYPE html><html><head><title>Café</title></head>"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Content-Type"] = nil // stops net/http from sniffing for us
				if tc.contentType != "" {
					w.Header().Set("Content-Type", tc.contentType)
				}
				fmt.Fprint(w, tc.page)
			})
			p, err := loopbackFetcher(Options{}).Fetch(context.Background(), srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			if p.Title != "Café" {
				t.Fatalf("title %q", p.Title)
			}
		})
	}
}

func TestFetchNotHTML(t *testing.T) {
	t.Parallel()
	srv, hits := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"title":"no"}`)
	})
	f := loopbackFetcher(Options{})
	for range 2 {
		if _, err := f.Fetch(context.Background(), srv.URL); !errors.Is(err, ErrNotHTML) {
			t.Fatalf("err = %v, want ErrNotHTML", err)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("failure not cached: %d requests", n)
	}
}

func TestFetchHTTPError(t *testing.T) {
	t.Parallel()
	srv, _ := serve(t, http.NotFound)
	if _, err := loopbackFetcher(Options{}).Fetch(context.Background(), srv.URL); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("err = %v, want a 404 error", err)
	}
}

func TestFetchMaxBytes(t *testing.T) {
	t.Parallel()
	padding := "<!--" + strings.Repeat("x", 4096) + "-->"
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path == "/early" {
			fmt.Fprint(w, "<head><title>Early</title>")
		}
		fmt.Fprint(w, padding)
		fmt.Fprint(w, "<title>Late</title>")
		// Far more than the limit; the fetcher must stop reading, not wait.
		for range 256 {
			if _, err := fmt.Fprint(w, padding); err != nil {
				return
			}
		}
	})
	f := loopbackFetcher(Options{MaxBytes: 2048})
	p, err := f.Fetch(context.Background(), srv.URL+"/early")
	if err != nil || p.Title != "Early" {
		t.Fatalf("early: %+v, %v", p, err)
	}
	p, err = f.Fetch(context.Background(), srv.URL+"/late")
	if err != nil || !p.Empty() {
		t.Fatalf("title beyond the limit was read: %+v, %v", p, err)
	}
}

func TestFetchTimeout(t *testing.T) {
	t.Parallel()
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><head>")
		w.(http.Flusher).Flush()
		select { // stall mid-body until the client gives up
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	start := time.Now()
	_, err := loopbackFetcher(Options{Timeout: 200 * time.Millisecond}).Fetch(context.Background(), srv.URL)
	if err == nil {
		t.Fatal("slow page did not fail")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("timeout not honoured: took %v", d)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want a deadline error", err)
	}
}

func TestFetchRejectsInvalidURLs(t *testing.T) {
	t.Parallel()
	f := New(Options{})
	for _, u := range []string{
		"", "ftp://example.com/", "javascript:alert(1)", "http://user:pw@example.com/",
		"https://example.com@127.0.0.1/", "http:///path", "//example.com/", "example.com",
		"mailto:a@example.com", "http://" + strings.Repeat("a", 3000) + ".com/",
	} {
		if _, err := f.Fetch(context.Background(), u); !errors.Is(err, ErrInvalidURL) {
			t.Errorf("%q: err = %v, want ErrInvalidURL", u, err)
		}
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"HTTP://Example.COM":            "http://example.com/",
		"http://example.com:80/a?b=1#c": "http://example.com/a?b=1",
		"https://example.com:443":       "https://example.com/",
		"https://example.com:8443/x":    "https://example.com:8443/x",
		"http://[::1]:80/":              "http://[::1]/",
		"http://[2001:DB8::1]:8080/p":   "http://[2001:db8::1]:8080/p",
		"  https://example.com/a%2Fb  ": "https://example.com/a%2Fb",
	}
	for in, want := range cases {
		u, err := normalize(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := u.String(); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}
