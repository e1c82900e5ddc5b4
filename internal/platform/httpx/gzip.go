package httpx

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// gzipMinSize: smaller responses are sent as they are; compressing them
// costs more than it saves.
const gzipMinSize = 1024

// gzipWriters compress at BestSpeed: API pages are JSON that compresses
// well at any level, and the default level took a seventh of the CPU of a
// contact list request for a few percent smaller bodies. The compressor is
// klauspost/compress, the standard library's format and API, faster: on a
// deals board (140 KB of JSON) compression fell from 28% to 21% of the
// request's CPU.
var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return w
}}

// Gzip compresses text responses (HTML, CSS, JS, JSON, SVG) of at least
// 1 KiB for clients that accept gzip. It buffers the first KiB to decide.
func Gzip(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebSocket(r) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Accept-Encoding")
		if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
			next.ServeHTTP(w, r)
			return
		}
		gw := &gzipWriter{ResponseWriter: w, head: r.Method == http.MethodHead}
		defer func() {
			if p := recover(); p != nil {
				// Send nothing of a failed response, so the panic handler
				// above can still answer 500.
				gw.abandon()
				panic(p)
			}
			gw.finish()
		}()
		next.ServeHTTP(gw, r)
	})
}

type gzipWriter struct {
	http.ResponseWriter
	head    bool // HEAD: headers as for GET, no body
	status  int
	buf     []byte
	decided bool
	gz      *gzip.Writer // nil when passing through
}

func (g *gzipWriter) WriteHeader(status int) {
	if status < 200 { // informational: passes straight through
		g.ResponseWriter.WriteHeader(status)
		return
	}
	if g.status == 0 {
		g.status = status
	}
	if status != http.StatusOK {
		g.decide(false) // 204, 206 ranges, redirects, errors: as they are
	}
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	if g.status == 0 {
		g.status = http.StatusOK
	}
	if g.decided {
		return g.out(b)
	}
	g.buf = append(g.buf, b...)
	if len(g.buf) >= gzipMinSize {
		g.decide(compressible(g.Header()))
	}
	return len(b), nil
}

// decide sends the headers, compressed or not, then whatever was buffered.
func (g *gzipWriter) decide(compress bool) {
	if g.decided {
		return
	}
	g.decided = true
	h := g.Header()
	if compress && (g.status != 0 && g.status != http.StatusOK || h.Get("Content-Range") != "") {
		compress = false
	}
	if compress {
		h.Set("Content-Encoding", "gzip")
		h.Del("Content-Length")
		if !g.head {
			g.gz = gzipWriters.Get().(*gzip.Writer)
			g.gz.Reset(g.ResponseWriter)
		}
	}
	if g.status == 0 {
		g.status = http.StatusOK
	}
	g.ResponseWriter.WriteHeader(g.status)
	if len(g.buf) > 0 {
		g.out(g.buf)
		g.buf = nil
	}
}

func (g *gzipWriter) out(b []byte) (int, error) {
	if g.head {
		return len(b), nil
	}
	if g.gz != nil {
		return g.gz.Write(b)
	}
	return g.ResponseWriter.Write(b)
}

// abandon drops a response that failed before its headers were sent.
func (g *gzipWriter) abandon() {
	if !g.decided {
		g.decided, g.buf = true, nil
		g.ResponseWriter.Header().Del("Vary")
	}
}

func (g *gzipWriter) finish() {
	if !g.decided {
		if g.status == 0 && len(g.buf) == 0 {
			return // the handler wrote nothing; net/http sends 200
		}
		// A HEAD answer is as large as its GET would be: judge by the headers.
		g.decide(g.head && compressible(g.Header()) && len(g.buf) >= gzipMinSize)
	}
	if g.gz != nil {
		g.gz.Close()
		gzipWriters.Put(g.gz)
		g.gz = nil
	}
}

// Flush sends what is buffered; streaming responses get compressed only if
// they already passed the size threshold.
func (g *gzipWriter) Flush() {
	if !g.decided {
		g.decide(len(g.buf) >= gzipMinSize && compressible(g.Header()))
	}
	if g.gz != nil {
		g.gz.Flush()
	}
	http.NewResponseController(g.ResponseWriter).Flush()
}

func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

func (g *gzipWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(g.ResponseWriter).Hijack()
}

func compressible(h http.Header) bool {
	if h.Get("Content-Encoding") != "" {
		return false
	}
	ct := h.Get("Content-Type")
	for _, prefix := range []string{"text/", "application/json", "application/problem+json", "application/javascript",
		"application/openapi+json", "image/svg+xml", "application/xml"} {
		if strings.HasPrefix(ct, prefix) {
			return true
		}
	}
	return false
}

// gzipped is b compressed as Gzip compresses responses, for Keep.
func gzipped(b []byte) []byte {
	var out bytes.Buffer
	w := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(w)
	w.Reset(&out)
	w.Write(b) // writes to a bytes.Buffer do not fail
	w.Close()
	return out.Bytes()
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip (a
// q-value of 0 refuses it).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.TrimSpace(coding) != "*" {
			continue
		}
		q := strings.TrimSpace(params)
		if v, ok := strings.CutPrefix(q, "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f == 0 {
				return false
			}
		}
		return true
	}
	return false
}
