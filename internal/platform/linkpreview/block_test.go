package linkpreview

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestIsPublic(t *testing.T) {
	t.Parallel()
	cases := map[string]bool{
		"8.8.8.8":                true,
		"1.1.1.1":                true,
		"2606:4700::1111":        true,
		"::ffff:8.8.8.8":         true,
		"172.15.255.255":         true,
		"172.32.0.1":             true,
		"100.63.255.255":         true,
		"100.128.0.1":            true,
		"198.20.0.1":             true,
		"2002:808:808::1":        true, // 6to4 of 8.8.8.8
		"64:ff9b::808:808":       true, // NAT64 of 8.8.8.8
		"127.0.0.1":              false,
		"127.255.255.254":        false,
		"10.0.0.1":               false,
		"172.16.0.1":             false,
		"172.31.255.255":         false,
		"192.168.1.1":            false,
		"169.254.169.254":        false,
		"100.64.0.1":             false,
		"100.127.255.255":        false,
		"0.0.0.0":                false,
		"0.1.2.3":                false,
		"255.255.255.255":        false,
		"240.0.0.1":              false,
		"224.0.0.1":              false,
		"239.255.255.250":        false,
		"198.18.0.1":             false,
		"198.19.255.255":         false,
		"192.0.2.1":              false,
		"198.51.100.7":           false,
		"203.0.113.9":            false,
		"192.0.0.170":            false,
		"::ffff:10.0.0.1":        false,
		"::ffff:127.0.0.1":       false,
		"::ffff:169.254.169.254": false,
		"::":                     false,
		"::1":                    false,
		"::127.0.0.1":            false, // IPv4-compatible, deprecated
		"fd00::1":                false,
		"fc00::1":                false,
		"fe80::1":                false,
		"fe80::1%eth0":           false,
		"fec0::1":                false,
		"ff02::1":                false,
		"100::1":                 false,
		"2001:db8::1":            false,
		"3fff::1":                false,
		"2001::a00:1":            false, // Teredo
		"2001:2::1":              false, // benchmarking
		"2002:a00:1::1":          false, // 6to4 of 10.0.0.1
		"2002:7f00:1::":          false, // 6to4 of 127.0.0.1
		"64:ff9b::a9fe:a9fe":     false, // NAT64 of 169.254.169.254
		"64:ff9b::7f00:1":        false, // NAT64 of 127.0.0.1
		"64:ff9b:1::808:808":     false, // local-use NAT64
	}
	for s, want := range cases {
		if got := isPublic(netip.MustParseAddr(s)); got != want {
			t.Errorf("isPublic(%s) = %v, want %v", s, got, want)
		}
	}
	if isPublic(netip.Addr{}) {
		t.Error("the zero Addr is public")
	}
}

// TestDefaultRuleBlocks uses the production rule. Every case is refused in
// the dial Control hook, before connect, so nothing outside loopback is
// ever contacted and the loopback server sees no request.
func TestDefaultRuleBlocks(t *testing.T) {
	t.Parallel()
	srv, hits := serve(t, htmlPage(`<title>secret</title>`))
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	urls := []string{
		srv.URL,
		"http://localhost:" + port + "/",
		"http://0.0.0.0:" + port + "/",
		"http://[::ffff:127.0.0.1]:" + port + "/",
		"http://10.0.0.1/",
		"http://169.254.169.254/latest/meta-data/",
		"http://100.64.0.1/",
	}
	if ln, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		ln.Close()
		urls = append(urls, "http://[::1]:"+port+"/")
	}
	f := New(Options{})
	for _, u := range urls {
		if _, err := f.Fetch(context.Background(), u); !errors.Is(err, ErrBlocked) {
			t.Errorf("%s: err = %v, want ErrBlocked", u, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("blocked server got %d requests", n)
	}
}

// TestRedirectToBlockedAddress checks that a redirect is dialled under the
// same rule: the first server is allowed, the one it redirects to is a live
// server on an address the rule refuses.
func TestRedirectToBlockedAddress(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	target := httptest.NewUnstartedServer(htmlPage(`<title>internal</title>`))
	target.Listener.Close()
	target.Listener = ln
	target.Start()
	t.Cleanup(target.Close)

	mux := http.NewServeMux()
	mux.Handle("/to-target", http.RedirectHandler(target.URL+"/", http.StatusFound))
	mux.Handle("/to-metadata", http.RedirectHandler("http://169.254.169.254/latest/meta-data/", http.StatusFound))
	mux.Handle("/to-ftp", http.RedirectHandler("ftp://example.com/", http.StatusFound))
	mux.Handle("/loop", http.RedirectHandler("/loop", http.StatusFound))
	front, _ := serve(t, mux.ServeHTTP)

	// Sanity check: with both addresses allowed the redirect works, so the
	// refusal below is the rule's doing and not a dead target.
	allowBoth := New(Options{AllowAddr: allowOnly("127.0.0.1", "127.0.0.2")})
	if p, err := allowBoth.Fetch(context.Background(), front.URL+"/to-target"); err != nil || p.Title != "internal" {
		t.Fatalf("redirect with both allowed: %+v, %v", p, err)
	}

	f := New(Options{AllowAddr: allowOnly("127.0.0.1")})
	for path, want := range map[string]error{
		"/to-target":   ErrBlocked,
		"/to-metadata": ErrBlocked,
		"/to-ftp":      ErrInvalidURL,
	} {
		if _, err := f.Fetch(context.Background(), front.URL+path); !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", path, err, want)
		}
	}
	if _, err := f.Fetch(context.Background(), front.URL+"/loop"); err == nil || !strings.Contains(err.Error(), "redirects") {
		t.Errorf("redirect loop: err = %v", err)
	}
}
