package identity_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
	"github.com/pquerna/otp/totp"

	"github.com/kite-crm/kite/internal/config"
	"github.com/kite-crm/kite/internal/identity"
	"github.com/kite-crm/kite/internal/identity/identitytest"
	"github.com/kite-crm/kite/internal/platform/httpx"
	"github.com/kite-crm/kite/internal/web/webtest"
)

func TestSignUpShowsEveryFieldError(t *testing.T) {
	t.Parallel()
	a := startKite(t)
	b := newBrowser(t, a)
	p := b.Get("/signup")
	if p.Status != 200 {
		t.Fatalf("sign-up page: %d", p.Status)
	}
	for sel, ac := range map[string]string{"#name": "name", "#email": "email", "#password": "new-password", "#organization_name": "organization"} {
		in := p.Find("input" + sel)
		if in == nil || webtest.Attr(in, "autocomplete") != ac {
			t.Errorf("%s: autocomplete %q, want %q", sel, webtest.Attr(in, "autocomplete"), ac)
		}
	}
	if !webtest.HasAttr(p.Find("input#name"), "autofocus") {
		t.Error("the first field is not focused")
	}
	webtest.CheckPage(t, "sign-up", p.Body)

	p = b.Post("/signup", url.Values{"name": {"  "}, "email": {"nope"}, "password": {"password123"}, "organization_name": {""}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("empty sign-up: %d", p.Status)
	}
	for _, field := range []string{"name", "email", "password", "organization_name"} {
		if p.Text("#"+field+"-error") == "" {
			t.Errorf("no message next to %s", field)
		}
	}
	if got := p.Text("#password-error"); got != "This password is too common. Choose one that is harder to guess." {
		t.Errorf("password message %q", got)
	}
	if webtest.Attr(p.Find("input#email"), "value") != "nope" || webtest.Attr(p.Find("input#password"), "value") != "" {
		t.Error("the email was not kept, or the password was echoed")
	}
	if b.SessionCookie() != "" {
		t.Fatal("a refused sign-up signed in")
	}

	b.SignUp("Ann Archer", "ann@example.com", "Archer Trading")
	other := newBrowser(t, a)
	p = other.Post("/signup", url.Values{"name": {"Ann"}, "email": {"ANN@example.com"}, "password": {testPassword}, "organization_name": {"Other"}})
	if p.Status != http.StatusConflict || !strings.Contains(p.Text("#email-error"), "already exists") {
		t.Fatalf("taken email: %d %q", p.Status, p.Text("#email-error"))
	}
}

func TestSignInRefusalsLookAlikeAndSessionsRotate(t *testing.T) {
	t.Parallel()
	a := startKite(t)
	b := newBrowser(t, a)
	b.SignUp("Ann Archer", "ann@example.com", "Archer Trading")
	first := b.SessionCookie()

	wrong := newBrowser(t, a).Post("/signin", url.Values{"email": {"ann@example.com"}, "password": {"not it at all"}})
	unknown := newBrowser(t, a).Post("/signin", url.Values{"email": {"nobody@example.com"}, "password": {"not it at all"}})
	if wrong.Status != 401 || unknown.Status != 401 || wrong.Text(".alert-danger") != unknown.Text(".alert-danger") || wrong.Text(".alert-danger") == "" {
		t.Fatalf("wrong password %d %q vs unknown email %d %q", wrong.Status, wrong.Text(".alert-danger"), unknown.Status, unknown.Text(".alert-danger"))
	}
	if webtest.Attr(wrong.Find("input#email"), "value") != "ann@example.com" {
		t.Error("the email was not kept")
	}
	if p := newBrowser(t, a).Post("/signin", url.Values{"email": {""}, "password": {""}}); p.Status != 422 || p.Text("#email-error") == "" || p.Text("#password-error") == "" {
		t.Errorf("empty sign-in: %d", p.Status)
	}
	// Signed in already: the sign-in page goes on to the dashboard.
	mustRedirect(t, b.Get("/signin"), "/")

	// Each sign-in is a new session; the one it replaces ends.
	b.SignIn("ann@example.com")
	second := b.SessionCookie()
	if second == first {
		t.Fatal("signing in again kept the session token")
	}
	if _, err := a.Identity.AuthenticateWebSession(context.Background(), first); err == nil {
		t.Error("the replaced session still works")
	}
	// Sign out ends it server-side and clears the cookie.
	mustRedirect(t, b.Post("/signout", nil), "/signin")
	if b.SessionCookie() != "" {
		t.Error("the session cookie is still set")
	}
	if _, err := a.Identity.AuthenticateWebSession(context.Background(), second); err == nil {
		t.Error("the session still works after signing out")
	}
	if p := b.Get("/signin"); !strings.Contains(p.Text("#toasts"), "You are signed out.") {
		t.Error("no confirmation of the sign-out")
	}
}

func TestSignInGoesOnlyToLocalPages(t *testing.T) {
	t.Parallel()
	a := startKite(t)
	newBrowser(t, a).SignUp("Ann Archer", "ann@example.com", "Archer Trading")
	for next, want := range map[string]string{
		"/settings/members?x=1":      "/settings/members?x=1",
		"https://evil.example/":      "/",
		"//evil.example/":            "/",
		"/\\evil.example":            "/",
		"javascript:alert(1)":        "/",
		"/signin?next=/x":            "/",
		"/invitations/accept?token=": "/invitations/accept?token=",
	} {
		b := newBrowser(t, a)
		p := b.Get("/signin?" + url.Values{"next": {next}}.Encode())
		if hidden := webtest.Attr(p.Find("input[name=next]"), "value"); strings.Contains(hidden, "evil") || strings.Contains(hidden, "javascript") {
			t.Errorf("next %q was kept on the page as %q", next, hidden)
		}
		p = b.Post("/signin", url.Values{"email": {"ann@example.com"}, "password": {testPassword}, "next": {next}})
		mustRedirect(t, p, want)
	}
}

func TestSecondFactorStep(t *testing.T) {
	t.Parallel()
	a := startKite(t)
	b := newBrowser(t, a)
	b.SignUp("Mia Mfa", "mia@example.com", "Mia's")
	u, _ := a.Identity.UserByEmail(context.Background(), "mia@example.com")
	setup, err := a.Identity.SetupTOTP(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	code, _ := totp.GenerateCode(setup.Secret, now)
	codes, err := a.Identity.EnableTOTP(context.Background(), u.ID, code, identity.ClientMeta{})
	if err != nil {
		t.Fatal(err)
	}
	mustRedirect(t, b.Post("/signout", nil), "/signin")

	p := b.Post("/signin", url.Values{"email": {"mia@example.com"}, "password": {testPassword}, "next": {"/account"}})
	mustRedirect(t, p, "/signin/code")
	if b.SessionCookie() != "" {
		t.Fatal("the password step set a session cookie")
	}
	var pending *http.Cookie
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		if strings.HasSuffix(c.Name, "kite_signin") {
			pending = c
		}
	}
	if pending == nil || !pending.HttpOnly || pending.MaxAge <= 0 || pending.MaxAge > 600 {
		t.Fatalf("pending sign-in cookie: %+v", pending)
	}
	if strings.Contains(pending.Value, "mia") || strings.Contains(pending.Value, u.ID) {
		t.Error("the pending sign-in cookie is readable")
	}
	p = b.Get("/signin/code")
	in := p.Find("input#code")
	if in == nil || webtest.Attr(in, "autocomplete") != "one-time-code" || !webtest.HasAttr(in, "autofocus") || webtest.Attr(in, "inputmode") != "numeric" {
		t.Fatal("the code field is not set up for one-time codes")
	}
	webtest.CheckPage(t, "code step", p.Body)
	p = b.Post("/signin/code", url.Values{"code": {"000000"}})
	if p.Status != 401 || p.Text("#code-error") == "" || b.SessionCookie() != "" {
		t.Fatalf("wrong code: %d %q", p.Status, p.Text("#code-error"))
	}
	next, _ := totp.GenerateCode(setup.Secret, now.Add(identity.TOTPPeriod))
	mustRedirect(t, b.Post("/signin/code", url.Values{"code": {next}}), "/account")
	if b.SessionCookie() == "" {
		t.Fatal("no session after the code")
	}

	// A forged or missing pending cookie goes back to the start.
	other := newBrowser(t, a)
	mustRedirect(t, other.Get("/signin/code"), "/signin")
	other.SetCookie(&http.Cookie{Name: pending.Name, Value: "v1:AAAA" + pending.Value[7:], Path: "/"})
	mustRedirect(t, other.Post("/signin/code", url.Values{"code": {next}}), "/signin")
	if other.SessionCookie() != "" {
		t.Fatal("a forged pending cookie signed in")
	}
	// A recovery code works in the second step too.
	mustRedirect(t, other.Post("/signin", url.Values{"email": {"mia@example.com"}, "password": {testPassword}}), "/signin/code")
	mustRedirect(t, other.Post("/signin/code", url.Values{"code": {codes[0]}}), "/")
}

func TestForgotPasswordAnswersAlike(t *testing.T) {
	t.Parallel()
	a := startKite(t)
	newBrowser(t, a).SignUp("Rob Reset", "rob@example.com", "Rob's")
	b := newBrowser(t, a)
	known := b.Post("/forgot-password", url.Values{"email": {"rob@example.com"}})
	unknown := b.Post("/forgot-password", url.Values{"email": {"ghost@example.com"}})
	if known.Status != 200 || unknown.Status != 200 || known.Text("h1") != "Check your email" || unknown.Text("h1") != "Check your email" {
		t.Fatalf("known %d %q, unknown %d %q", known.Status, known.Text("h1"), unknown.Status, unknown.Text("h1"))
	}
	if strings.Replace(known.Text("main"), "rob@example.com", "X", 1) != strings.Replace(unknown.Text("main"), "ghost@example.com", "X", 1) {
		t.Error("the answers differ for a known and an unknown email")
	}
	if p := b.Post("/forgot-password", url.Values{"email": {"not an email"}}); p.Status != 422 || p.Text("#email-error") == "" {
		t.Errorf("malformed email: %d", p.Status)
	}
	p := b.Get("/reset-password?token=made-up")
	if p.Status != 400 || !strings.Contains(p.Text("main"), "This link has expired") || p.Find("input[name=password]") != nil {
		t.Fatalf("made-up reset token: %d %s", p.Status, p.Text("main"))
	}
	if p := b.Post("/reset-password", url.Values{"token": {"made-up"}, "password": {"a long new passphrase"}}); p.Status != 400 || !strings.Contains(p.Text("main"), "expired") {
		t.Errorf("posting a made-up token: %d", p.Status)
	}
}

func TestTelegramWidgetOnlyWhenConfigured(t *testing.T) {
	t.Parallel()
	plain := newBrowser(t, startKite(t)).Get("/signin")
	if plain.Find("script[src^=https://telegram.org]") != nil || strings.Contains(plain.Header.Get("Content-Security-Policy"), "telegram") {
		t.Error("the widget shows without Telegram configured")
	}
	if plain.Find("a[href^=/auth/google/start]") != nil {
		t.Error("Google sign-in shows without being configured")
	}

	const token = "123456:ABC-test-token"
	a := startKite(t, func(c *config.Config) { c.TelegramLoginToken, c.TelegramLoginBot = token, "kite_test_bot" })
	b := newBrowser(t, a)
	p := b.Get("/signin")
	script := p.Find("script[src^=https://telegram.org/js/telegram-widget.js]")
	if script == nil || webtest.Attr(script, "data-telegram-login") != "kite_test_bot" ||
		webtest.Attr(script, "data-auth-url") != a.Config().PublicURL+"/auth/telegram/callback" {
		t.Fatalf("widget script: %v", script)
	}
	csp := p.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self' https://telegram.org") || !strings.Contains(csp, "frame-src https://oauth.telegram.org") ||
		!strings.Contains(csp, "default-src 'self'") {
		t.Errorf("sign-in page CSP: %s", csp)
	}
	if other := b.Get("/signup").Header.Get("Content-Security-Policy"); other != httpx.CSP {
		t.Errorf("another page got the widened policy: %s", other)
	}

	login := identity.TelegramLogin{ID: 42, FirstName: "Tom", Username: "tom", AuthDate: time.Now().Unix()}
	login.Hash = identity.SignTelegramLogin(token, login)
	q := url.Values{"id": {"42"}, "first_name": {"Tom"}, "username": {"tom"}, "auth_date": {strconv.FormatInt(login.AuthDate, 10)}, "hash": {login.Hash}}
	forged := url.Values{"id": {"43"}, "first_name": {"Tom"}, "username": {"tom"}, "auth_date": {strconv.FormatInt(login.AuthDate, 10)}, "hash": {login.Hash}}
	mustRedirect(t, b.Get("/auth/telegram/callback?"+forged.Encode()), "/signin")
	if b.SessionCookie() != "" {
		t.Fatal("forged Telegram data signed in")
	}
	if p := b.Get("/signin"); !strings.Contains(p.Text("#toasts"), "Telegram did not vouch") {
		t.Errorf("no explanation of the refusal: %q", p.Text("#toasts"))
	}
	mustRedirect(t, b.Get("/auth/telegram/callback?"+q.Encode()), "/")
	if b.SessionCookie() == "" {
		t.Fatal("Telegram sign-in set no session")
	}
	// A new Telegram user has no organization yet: they are asked to create one.
	mustRedirect(t, b.Get("/"), "/organizations/new")
}

func TestGoogleSignIn(t *testing.T) {
	t.Parallel()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	a := startKite(t, func(c *config.Config) {
		c.GoogleClientID, c.GoogleClientSecret, c.GoogleIssuer = m.ClientID, m.ClientSecret, m.Issuer()
	})
	existing := newBrowser(t, a)
	existing.SignUp("Jane Doe", "jane.doe@example.com", "Jane's")

	b := newBrowser(t, a)
	p := b.Get("/signin?next=/account")
	link := p.Find("a[href^=/auth/google/start]")
	if link == nil || !strings.Contains(webtest.Text(link), "Sign in with Google") {
		t.Fatal("no Google button when Google is configured")
	}
	start := b.Get(webtest.Attr(link, "href"))
	if start.Status != http.StatusSeeOther || !strings.HasPrefix(start.Location, m.AuthorizationEndpoint()) {
		t.Fatalf("start: %d %s", start.Status, start.Location)
	}
	authURL, _ := url.Parse(start.Location)
	state, nonce := authURL.Query().Get("state"), authURL.Query().Get("nonce")
	if state == "" || nonce == "" || authURL.Query().Get("redirect_uri") != a.Config().PublicURL+"/auth/google/callback" {
		t.Fatalf("authorization request: %s", start.Location)
	}
	if b.Cookie("__Host-kite_oauth") == "" && b.Cookie("kite_oauth") == "" {
		t.Fatal("no state cookie")
	}

	// The provider sends the browser back with a code; a wrong state is refused.
	code := identitytest.AuthorizeCode(t, m, authURL.Query())
	mustRedirect(t, b.Get("/auth/google/callback?"+url.Values{"code": {code}, "state": {"forged"}}.Encode()), "/signin")
	if b.SessionCookie() != "" {
		t.Fatal("a forged state signed in")
	}
	start = b.Get("/auth/google/start?next=/account")
	authURL, _ = url.Parse(start.Location)
	code = identitytest.AuthorizeCode(t, m, authURL.Query())
	mustRedirect(t, b.Get("/auth/google/callback?"+url.Values{"code": {code}, "state": {authURL.Query().Get("state")}}.Encode()), "/account")
	if b.SessionCookie() == "" {
		t.Fatal("Google sign-in set no session")
	}
	// mockoidc's user has a verified jane.doe@example.com: the account is linked, not duplicated.
	p = b.Get("/account")
	if webtest.Attr(p.Find("input#profile-email"), "value") != "jane.doe@example.com" {
		t.Errorf("signed in as %q", webtest.Attr(p.Find("input#profile-email"), "value"))
	}
	// The state cookie is spent.
	mustRedirect(t, b.Get("/auth/google/callback?"+url.Values{"code": {code}, "state": {authURL.Query().Get("state")}}.Encode()), "/signin")
	_ = nonce
}

func TestDeviceLabel(t *testing.T) {
	t.Parallel()
	for ua, want := range map[string]string{
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36":                   "Chrome on macOS",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0":           "Edge on Windows",
		"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0":                                                                  "Firefox on Linux",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1": "Safari on iOS",
		"Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36":                                "Chrome on Android",
		"curl/8.5.0": "curl",
		"":           "Unknown device",
	} {
		if got := identity.DeviceLabel(ua); got != want {
			t.Errorf("DeviceLabel(%q) = %q, want %q", ua, got, want)
		}
	}
}
