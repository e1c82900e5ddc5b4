package identity

import (
	"context"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kite-crm/kite/internal/platform/httpx"
)

// Cookie names. Browsers accept the __Host- prefix only on Secure cookies,
// which they allow over https and on http://localhost; a plain-http
// deployment elsewhere falls back to an unprefixed name.
const (
	SessionCookie         = "__Host-kite_session"
	SessionCookieInsecure = "kite_session"
)

// secureRequest reports whether a Secure cookie will be kept for r: https,
// or a loopback host, which browsers treat as secure.
func secureRequest(r *http.Request) bool {
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		return true
	}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// SetSessionCookie stores a web session token in the browser: HttpOnly,
// SameSite=Lax, Secure with the __Host- prefix where the browser keeps it.
func SetSessionCookie(w http.ResponseWriter, r *http.Request, token string, expires time.Time) {
	c := &http.Cookie{Name: SessionCookieInsecure, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Expires: expires}
	if secureRequest(r) {
		c.Name, c.Secure = SessionCookie, true
	}
	http.SetCookie(w, c)
}

// ClearSessionCookie removes the session cookie.
func ClearSessionCookie(w http.ResponseWriter, r *http.Request) {
	SetSessionCookie(w, r, "", time.Unix(0, 0))
}

// SessionToken reads the session cookie of a request.
func SessionToken(r *http.Request) string {
	for _, name := range []string{SessionCookie, SessionCookieInsecure} {
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			return c.Value
		}
	}
	return ""
}

// Meta describes the client of a request.
func Meta(r *http.Request) ClientMeta {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	return ClientMeta{IP: ip, UserAgent: r.UserAgent()}
}

type principalKey struct{}

// WithPrincipal stores the authenticated principal in a context.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal stored by authentication.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// BearerToken returns the token of an "Authorization: Bearer …" header.
func BearerToken(header string) string {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// AuthenticateRequest identifies the user of a request by a Bearer access
// token or, for the browser, the session cookie. API keys ("kite_…") are
// organization credentials and are handled by the org layer.
func (s *Service) AuthenticateRequest(r *http.Request) (Principal, error) {
	if token := BearerToken(r.Header.Get("Authorization")); token != "" {
		return s.AuthenticateAccessToken(r.Context(), token)
	}
	return s.AuthenticateWebSession(r.Context(), SessionToken(r))
}

// RequireUser is huma middleware for routes that need a signed-in user: it
// authenticates the request and puts the Principal in the context, or
// answers 401.
func (s *Service) RequireUser(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		r := httpx.Request(ctx)
		p, err := s.AuthenticateRequest(r)
		if err != nil {
			httpx.WriteHumaError(api, ctx, err)
			return
		}
		next(huma.WithContext(ctx, WithPrincipal(ctx.Context(), p)))
	}
}
