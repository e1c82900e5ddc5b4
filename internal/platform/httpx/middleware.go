package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// Middleware wraps a handler.
type Middleware func(http.Handler) http.Handler

// Chain applies middleware so that the first listed runs first.
func Chain(h http.Handler, mw ...Middleware) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

type ctxKey int

const requestIDKey ctxKey = iota

// RequestID returns the request's id (empty outside a request).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// WithRequestID takes a sane X-Request-ID from the client or a proxy, or
// makes one, puts it in the context and echoes it in the response.
func WithRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !saneRequestID(id) {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// AccessLog logs one line per request: method, path, route, status, size,
// duration and request id. Health probes log at debug level.
func AccessLog(log *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := record(w)
			next.ServeHTTP(rec, r)
			level := slog.LevelInfo
			switch {
			case rec.status >= 500:
				level = slog.LevelError
			case r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics":
				level = slog.LevelDebug
			}
			log.LogAttrs(r.Context(), level, "http",
				slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", r.Pattern),
				slog.Int("status", rec.status), slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", time.Since(start)), slog.String("request_id", RequestID(r.Context())))
		})
	}
}

// Recover turns a panic into a logged 500 so one bad request never takes
// the process down. http.ErrAbortHandler passes through, as net/http expects.
func Recover(log *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.ErrorContext(r.Context(), "panic serving request", "panic", v, "path", r.URL.Path,
					"request_id", RequestID(r.Context()), "stack", string(debug.Stack()))
				if rec, ok := w.(*recorder); ok && rec.wroteHeader {
					// Too late for a clean answer: cut the connection so the
					// client sees a failure, not a truncated 200.
					rec.status = http.StatusInternalServerError
					panic(http.ErrAbortHandler)
				}
				p := NewProblem(http.StatusInternalServerError, "", "Something went wrong on our side. It has been logged.")
				WriteProblem(w, p)
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// CSP is the Content-Security-Policy of every page: only Kite's own scripts,
// styles and connections, no framing.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; " +
	"frame-ancestors 'none'"

// SecurityHeaders sets the headers every response carries. hsts adds
// Strict-Transport-Security, for deployments served over https.
func SecurityHeaders(hsts bool) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Security-Policy", CSP)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
			if hsts {
				h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Request body limits: JSON and forms, and uploads (CSV imports, attachments).
const (
	MaxJSONBody   = 1 << 20
	MaxUploadBody = 10 << 20
)

// BodyLimit caps request bodies at limit(r) bytes; reading past it fails and
// handlers answer 413.
func BodyLimit(limit func(r *http.Request) int64) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := limit(r)
			if r.ContentLength > n {
				tooLarge(w, r, n)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, n)
			next.ServeHTTP(w, r)
		})
	}
}

func tooLarge(w http.ResponseWriter, r *http.Request, n int64) {
	p := NewProblem(http.StatusRequestEntityTooLarge, "", "The request body is larger than the "+humanBytes(n)+" allowed here.")
	if IsAPIPath(r.URL.Path) {
		WriteProblem(w, p)
		return
	}
	http.Error(w, p.Detail, p.Status)
}

func humanBytes(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// CrossOrigin refuses state-changing cross-site browser requests (CSRF);
// API clients that send neither Origin nor Sec-Fetch-Site pass.
func CrossOrigin() Middleware {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := NewProblem(http.StatusForbidden, "cross_origin", "Cross-origin requests that change data are not allowed.")
		if IsAPIPath(r.URL.Path) {
			WriteProblem(w, p)
			return
		}
		http.Error(w, p.Detail, p.Status)
	}))
	return cop.Handler
}

// isWebSocket reports a WebSocket upgrade request.
func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// SaneAccept drops an Accept header that does not parse as a list of media
// ranges, so content negotiation never trips over it; the client then gets
// the default (JSON) rather than an error.
func SaneAccept(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if accept := r.Header.Get("Accept"); accept != "" && !validAccept(accept) {
			r.Header.Del("Accept")
		}
		next.ServeHTTP(w, r)
	})
}

func validAccept(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return false
		}
		if _, _, err := mime.ParseMediaType(part); err != nil {
			return false
		}
	}
	return true
}
