package httpx

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

// A kept answer is gzipped as Gzip would do it: only from 1 KiB, and sent
// gzipped only to a client that takes gzip.
func TestKeptAnswersAsGzipWould(t *testing.T) {
	t.Parallel()
	small := Keep([]byte(`{"total":0}`))
	if small.Gzip != nil {
		t.Fatal("a small answer was gzipped")
	}
	if out := small.For("gzip"); out.ContentEncoding != "" || string(out.Body) != `{"total":0}` {
		t.Fatalf("small answer sent as %q: %s", out.ContentEncoding, out.Body)
	}
	json := []byte(`{"chats":"` + strings.Repeat("abc", 1000) + `"}`)
	large := Keep(json)
	for _, accept := range []string{"", "identity", "gzip;q=0", "br"} {
		if out := large.For(accept); out.ContentEncoding != "" || !bytes.Equal(out.Body, json) {
			t.Fatalf("Accept-Encoding %q got %q", accept, out.ContentEncoding)
		}
	}
	out := large.For("br, gzip")
	if out.ContentEncoding != "gzip" || out.ContentType != "application/json" {
		t.Fatalf("a gzip client got %q %q", out.ContentEncoding, out.ContentType)
	}
	r, err := gzip.NewReader(bytes.NewReader(out.Body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(plain, json) {
		t.Fatalf("the gzip does not unzip to the answer (%v)", err)
	}
}
