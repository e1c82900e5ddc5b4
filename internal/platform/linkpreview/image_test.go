package linkpreview

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// A preview's picture is fetched through the same checks; only raster
// types pass, and only the picture the page named.
func TestImage(t *testing.T) {
	t.Parallel()
	png := []byte("\x89PNG\r\n\x1a\nfake")
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/p.png":
			w.Header().Set("Content-Type", "image/png")
			w.Write(png)
		case "/x.svg":
			w.Header().Set("Content-Type", "image/svg+xml")
			w.Write([]byte("<svg/>"))
		case "/svg":
			htmlPage(`<meta property="og:title" content="S"><meta property="og:image" content="/x.svg">`)(w, r)
		case "/none":
			htmlPage(`<title>No picture</title>`)(w, r)
		default:
			htmlPage(`<meta property="og:title" content="P"><meta property="og:image" content="/p.png">`)(w, r)
		}
	})
	f := loopbackFetcher(Options{})
	ctx := context.Background()
	data, typ, err := f.Image(ctx, srv.URL+"/page")
	if err != nil || typ != "image/png" || string(data) != string(png) {
		t.Fatalf("Image = %q, %q, %v", data, typ, err)
	}
	if _, _, err := f.Image(ctx, srv.URL+"/svg"); !errors.Is(err, ErrNotImage) {
		t.Errorf("an SVG picture: %v", err)
	}
	if _, _, err := f.Image(ctx, srv.URL+"/none"); !errors.Is(err, ErrNotImage) {
		t.Errorf("a page without a picture: %v", err)
	}
	if _, _, err := New(Options{}).Image(ctx, srv.URL+"/page"); !errors.Is(err, ErrBlocked) {
		t.Errorf("the default rule let a loopback page through: %v", err)
	}
	if _, _, err := f.Image(ctx, "ftp://"+strings.TrimPrefix(srv.URL, "http://")); !errors.Is(err, ErrInvalidURL) {
		t.Errorf("ftp: %v", err)
	}
}
