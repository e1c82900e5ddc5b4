package org_test

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

// startKite runs the whole app on SQLite on a free port, as the browser
// pages are served in production, and stops it when the test ends. edit
// may change the configuration first.
func startKite(t *testing.T, edit ...func(*config.Config)) *app.App {
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
type browser struct {
	t    *testing.T
	base string
	jar  *cookiejar.Jar
	http *http.Client
}

func newBrowser(t *testing.T, a *app.App) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: a.URL(), jar: jar, http: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is one answer.
type page struct {
	Status   int
	Header   http.Header
	Body     string
	Location string
	doc      *html.Node
	t        *testing.T
}

// Doc parses the answer as HTML.
func (p *page) Doc() *html.Node {
	if p.doc == nil {
		p.doc = webtest.Parse(p.t, p.Body)
	}
	return p.doc
}

// Find returns the first element matching a simple selector, or nil.
func (p *page) Find(sel string) *html.Node { return webtest.Find(p.Doc(), sel) }

// Text is the text of the element matching sel ("" without one).
func (p *page) Text(sel string) string { return webtest.Text(p.Find(sel)) }

func (b *browser) do(req *http.Request) *page {
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
	return &page{Status: res.StatusCode, Header: res.Header, Body: string(body), Location: res.Header.Get("Location"), t: b.t}
}

func (b *browser) get(path string, header ...string) *page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.base+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) *page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// cookie returns the value of a cookie the browser holds for Kite.
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.base)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// sessionCookie is the browser's session token.
func (b *browser) sessionCookie() string {
	if v := b.cookie("__Host-kite_session"); v != "" {
		return v
	}
	return b.cookie("kite_session")
}

// mustRedirect fails unless p is a 303 to want (a path, with query).
func mustRedirect(t *testing.T, p *page, want string) {
	t.Helper()
	if p.Status != http.StatusSeeOther || p.Location != want {
		t.Fatalf("answer %d to %q, want 303 to %q\n%s", p.Status, p.Location, want, p.Body)
	}
}

const testPassword = "correct horse battery staple"

// signUp creates an account (and organization, when orgName is set) in
// the browser, which is then signed in.
func (b *browser) signUp(name, email, orgName string) {
	b.t.Helper()
	form := url.Values{"name": {name}, "email": {email}, "password": {testPassword}, "organization_name": {orgName}}
	p := b.post("/signup", form)
	if p.Status != http.StatusSeeOther {
		b.t.Fatalf("sign-up of %s: %d\n%s", email, p.Status, p.Body)
	}
}

// signIn signs the browser in with a password.
func (b *browser) signIn(email string) {
	b.t.Helper()
	p := b.post("/signin", url.Values{"email": {email}, "password": {testPassword}})
	if p.Status != http.StatusSeeOther || b.sessionCookie() == "" {
		b.t.Fatalf("sign-in of %s: %d %s\n%s", email, p.Status, p.Location, p.Body)
	}
}

func sleep() { time.Sleep(100 * time.Millisecond) }
