// Package apptest runs a whole Kite for tests of its pages and speaks to it
// as a browser does: cookies, forms, redirects. Tests of several packages
// share it.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/kite-crm/kite/internal/app"
	"github.com/kite-crm/kite/internal/config"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
	"github.com/kite-crm/kite/internal/web/webtest"
)

// StartKite runs the whole app on SQLite on a free port, as the browser
// pages are served in production, and stops it when the test ends. edit
// may change the configuration first.
func StartKite(t *testing.T, edit ...func(*config.Config)) *app.App {
	t.Helper()
	b := dbtest.New(t, db.SQLite, true)
	cfg, err := config.Load(nil, func(name string) string {
		switch name {
		case "KITE_ADDR":
			return "127.0.0.1:0"
		case "KITE_DATA_DIR":
			return b.Path[:strings.LastIndex(b.Path, "/")]
		case "KITE_SHUTDOWN_TIMEOUT":
			return "5s"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range edit {
		e(&cfg)
	}
	a, err := app.New(context.Background(), cfg, app.Options{Version: "test", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Shutdown(ctx)
	})
	return a
}

// browser is an HTTP client with cookies that does not follow redirects,
// so tests see each answer of the pages.
// Browser is a cookie-keeping HTTP client that does not follow redirects,
// so tests see each answer.
type Browser struct {
	t    *testing.T
	Base string // the Kite it talks to
	jar  *cookiejar.Jar
	http *http.Client
}

// NewBrowser returns a browser with an empty cookie jar for a.
func NewBrowser(t *testing.T, a *app.App) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{t: t, Base: a.URL(), jar: jar, http: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Page is one answer.
type Page struct {
	Status   int
	Header   http.Header
	Body     string
	Location string
	doc      *html.Node
	t        *testing.T
}

// Doc parses the answer as HTML.
func (p *Page) Doc() *html.Node {
	if p.doc == nil {
		p.doc = webtest.Parse(p.t, p.Body)
	}
	return p.doc
}

// Find returns the first element matching a simple selector, or nil.
func (p *Page) Find(sel string) *html.Node { return webtest.Find(p.Doc(), sel) }

// Text is the text of the element matching sel ("" without one).
func (p *Page) Text(sel string) string { return webtest.Text(p.Find(sel)) }

// Do sends a request with the browser's cookies; a 5xx answer fails the test.
func (b *Browser) Do(req *http.Request) *Page {
	b.t.Helper()
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 500 {
		b.t.Errorf("%s %s answered %d", req.Method, req.URL.Path, res.StatusCode)
	}
	return &Page{Status: res.StatusCode, Header: res.Header, Body: string(body), Location: res.Header.Get("Location"), t: b.t}
}

// Get loads a path, with optional header name/value pairs.
func (b *Browser) Get(path string, header ...string) *Page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.Base+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.Do(req)
}

// Post submits a form to a path.
func (b *Browser) Post(path string, form url.Values) *Page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.Base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.Do(req)
}

// Cookie returns the value of a cookie the browser holds for Kite.
func (b *Browser) Cookie(name string) string {
	u, _ := url.Parse(b.Base)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// SetCookie plants a cookie, as a tampering client would.
func (b *Browser) SetCookie(c *http.Cookie) {
	u, _ := url.Parse(b.Base)
	b.jar.SetCookies(u, []*http.Cookie{c})
}

// SessionCookie is the browser's session token.
func (b *Browser) SessionCookie() string {
	if v := b.Cookie("__Host-kite_session"); v != "" {
		return v
	}
	return b.Cookie("kite_session")
}

// MustRedirect fails unless p is a 303 to want (a path, with query).
func MustRedirect(t *testing.T, p *Page, want string) {
	t.Helper()
	if p.Status != http.StatusSeeOther || p.Location != want {
		t.Fatalf("answer %d to %q, want 303 to %q\n%s", p.Status, p.Location, want, p.Body)
	}
}

const TestPassword = "correct horse battery staple"

// SignUp creates an account (and organization, when orgName is set) in
// the browser, which is then signed in.
func (b *Browser) SignUp(name, email, orgName string) {
	b.t.Helper()
	form := url.Values{"name": {name}, "email": {email}, "password": {TestPassword}, "organization_name": {orgName}}
	p := b.Post("/signup", form)
	if p.Status != http.StatusSeeOther {
		b.t.Fatalf("sign-up of %s: %d\n%s", email, p.Status, p.Body)
	}
}

// SignIn signs the browser in with a password.
func (b *Browser) SignIn(email string) {
	b.t.Helper()
	p := b.Post("/signin", url.Values{"email": {email}, "password": {TestPassword}})
	if p.Status != http.StatusSeeOther || b.SessionCookie() == "" {
		b.t.Fatalf("sign-in of %s: %d %s\n%s", email, p.Status, p.Location, p.Body)
	}
}
