package web

import (
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func TestAssetURLChangesWithContent(t *testing.T) {
	t.Parallel()
	v1, err := newAssets(fstest.MapFS{"css/kite.css": {Data: []byte("body{color:red}")}})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := newAssets(fstest.MapFS{"css/kite.css": {Data: []byte("body{color:blue}")}})
	if err != nil {
		t.Fatal(err)
	}
	same, err := newAssets(fstest.MapFS{"css/kite.css": {Data: []byte("body{color:red}")}})
	if err != nil {
		t.Fatal(err)
	}
	u1, u2 := v1.url("css/kite.css"), v2.url("css/kite.css")
	if !regexp.MustCompile(`^/static/css/kite\.[0-9a-f]{10}\.css$`).MatchString(u1) {
		t.Fatalf("url = %q, want /static/css/kite.<10 hex>.css", u1)
	}
	if u1 == u2 {
		t.Errorf("different content got the same URL %q", u1)
	}
	if got := same.url("css/kite.css"); got != u1 {
		t.Errorf("same content got %q and %q", u1, got)
	}
}

func TestAssetURLOfUnknownFileIsPlainPath(t *testing.T) {
	t.Parallel()
	a, err := newAssets(fstest.MapFS{"css/kite.css": {Data: []byte("x")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.url("css/missing.css"); got != "/static/css/missing.css" {
		t.Errorf("url(missing) = %q, want the plain path", got)
	}
}

func TestHashedNames(t *testing.T) {
	t.Parallel()
	const h = "0123456789"
	for _, name := range []string{"css/kite.css", "vendor/htmx-2.0.11/htmx.min.js", "vendor/x-1.0/LICENSE", "img/kite.svg"} {
		hashed := hashedName(name, h)
		if hashed == name || !strings.Contains(hashed, "."+h) {
			t.Errorf("hashedName(%q) = %q", name, hashed)
		}
		back, ok := unhashedName(hashed)
		if !ok || back != name {
			t.Errorf("unhashedName(%q) = %q, %v; want %q", hashed, back, ok, name)
		}
	}
	for _, name := range []string{"css/kite.css", "vendor/htmx-2.0.11/htmx.min.js", "vendor/x-1.0/LICENSE", "css/kite.0123456789x.css"} {
		if back, ok := unhashedName(name); ok {
			t.Errorf("unhashedName(%q) = %q, true; want no hash found", name, back)
		}
	}
}

func TestStaticHandler(t *testing.T) {
	t.Parallel()
	mux, w, _ := newTestMux(t, staticStatus(fakeStatus()))

	tests := []struct {
		name, contentType string
	}{
		{"css/kite.css", "text/css; charset=utf-8"},
		{"js/kite.js", "text/javascript; charset=utf-8"},
		{"img/kite.svg", "image/svg+xml"},
		{AssetUPlotCSS, "text/css; charset=utf-8"},
		{"vendor/htmx-2.0.11/LICENSE", "text/plain; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want, err := fs.ReadFile(staticFiles, "static/"+tt.name)
			if err != nil {
				t.Fatal(err)
			}
			url := w.Asset(tt.name)
			if url == "/static/"+tt.name {
				t.Fatalf("Asset(%q) = %q is not hashed", tt.name, url)
			}

			res, body := get(t, mux, url)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status %d", url, res.StatusCode)
			}
			if body != string(want) {
				t.Errorf("GET %s: body differs from the embedded file", url)
			}
			if got := res.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
				t.Errorf("hashed URL Cache-Control = %q", got)
			}
			if got := res.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			etag := res.Header.Get("ETag")
			if !regexp.MustCompile(`^"[0-9a-f]{10}"$`).MatchString(etag) || !strings.Contains(url, strings.Trim(etag, `"`)) {
				t.Errorf("ETag = %q, want the hash in %q", etag, url)
			}

			res, _ = get(t, mux, url, "If-None-Match", etag)
			if res.StatusCode != http.StatusNotModified {
				t.Errorf("If-None-Match with the ETag: status %d, want 304", res.StatusCode)
			}

			res, body = get(t, mux, "/static/"+tt.name)
			if res.StatusCode != http.StatusOK || body != string(want) {
				t.Fatalf("plain URL: status %d", res.StatusCode)
			}
			if got := res.Header.Get("Cache-Control"); got != "no-cache" {
				t.Errorf("plain URL Cache-Control = %q, want no-cache", got)
			}
		})
	}
}

func TestStaticHandlerStaleHashServesCurrentWithoutCaching(t *testing.T) {
	t.Parallel()
	mux, _, _ := newTestMux(t, staticStatus(fakeStatus()))
	res, body := get(t, mux, "/static/css/kite.0000000000.css")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "--color-accent") {
		t.Fatalf("stale hash: status %d", res.StatusCode)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("stale hash Cache-Control = %q, want no-cache (never immutable)", got)
	}
}

func TestStaticHandlerUnknownFileIs404(t *testing.T) {
	t.Parallel()
	mux, _, _ := newTestMux(t, staticStatus(fakeStatus()))
	for _, path := range []string{
		"/static/css/nope.css",
		"/static/css/nope.0123456789.css",
		"/static/css/",
		"/static/vendor",
		"/static/",
	} {
		res, body := get(t, mux, path)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, res.StatusCode)
		}
		if strings.Contains(body, "kite.css") {
			t.Errorf("GET %s lists files", path)
		}
	}
}

func TestVendoredAssetsExist(t *testing.T) {
	t.Parallel()
	for _, name := range []string{AssetSortable, AssetUPlot, AssetUPlotCSS, assetHTMX, assetSwaggerUI, assetSwaggerUICSS} {
		if _, err := fs.Stat(staticFiles, "static/"+name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		dir := name[:strings.LastIndexByte(name, '/')]
		if _, err := fs.Stat(staticFiles, "static/"+dir+"/LICENSE"); err != nil {
			t.Errorf("%s has no LICENSE: %v", dir, err)
		}
	}
	htmx, err := fs.ReadFile(staticFiles, "static/"+assetHTMX)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(htmx), `version:"2.0.11"`) {
		t.Error("the vendored htmx is not version 2.0.11")
	}
}
