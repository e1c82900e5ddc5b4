package app

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pquerna/otp/totp"

	"github.com/kite-crm/kite/internal/identity"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

func TestSignUpSignInRefreshLogout(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		a := startApp(t, testConfig(t, b))
		api := newClient(t, a)
		acc := api.signUp("Ann@Example.com", "Acme")
		if acc.OrgID == "" || acc.Access == "" || acc.Refresh == "" {
			t.Fatalf("sign-up answer incomplete: %+v", acc)
		}
		me := api.as(acc.Access, "").must(200, "GET", "/me", nil)
		if me.Str("user.email") != "ann@example.com" || me.Body["organizations"].([]any)[0].(map[string]any)["role"] != "owner" {
			t.Fatalf("/me = %s", me.Raw)
		}
		// The same email again, in any case, is taken.
		r := api.do("POST", "/auth/signup", map[string]any{"email": "ANN@example.com", "password": testPassword, "name": "X"})
		if r.Status != 409 || r.Code() != "email_taken" {
			t.Fatalf("duplicate sign-up: %d %s", r.Status, r.Raw)
		}
		// Wrong password and unknown email answer alike.
		wrong := api.do("POST", "/auth/signin", map[string]any{"email": "ann@example.com", "password": "not the password"})
		unknown := api.do("POST", "/auth/signin", map[string]any{"email": "nobody@example.com", "password": "not the password"})
		if wrong.Status != 401 || unknown.Status != 401 || wrong.Code() != unknown.Code() || wrong.Str("detail") != unknown.Str("detail") {
			t.Fatalf("wrong password %d %s vs unknown email %d %s", wrong.Status, wrong.Raw, unknown.Status, unknown.Raw)
		}
		in := api.must(200, "POST", "/auth/signin", map[string]any{"email": "ann@example.com", "password": testPassword})
		// Refresh rotates; the old refresh token is spent.
		next := api.must(200, "POST", "/auth/refresh", map[string]any{"refresh_token": in.Str("refresh_token")})
		if next.Str("refresh_token") == in.Str("refresh_token") || next.Str("access_token") == "" {
			t.Fatal("refresh did not rotate")
		}
		// Presenting the spent token revokes the whole session family.
		reused := api.do("POST", "/auth/refresh", map[string]any{"refresh_token": in.Str("refresh_token")})
		if reused.Status != 401 || reused.Code() != "refresh_reused" {
			t.Fatalf("reuse: %d %s", reused.Status, reused.Raw)
		}
		if r := api.do("POST", "/auth/refresh", map[string]any{"refresh_token": next.Str("refresh_token")}); r.Status != 401 {
			t.Fatalf("the family's newest token still works after reuse: %d", r.Status)
		}
		if r := api.as(next.Str("access_token"), "").do("GET", "/me", nil); r.Status != 401 {
			t.Fatalf("access token of a revoked session still works: %d", r.Status)
		}
		// Logout ends the session server-side.
		api.must(204, "POST", "/auth/logout", map[string]any{"refresh_token": acc.Refresh})
		if r := api.as(acc.Access, "").do("GET", "/me", nil); r.Status != 401 {
			t.Fatalf("access token after logout: %d", r.Status)
		}
		api.must(204, "POST", "/auth/logout", map[string]any{"refresh_token": acc.Refresh}) // twice is harmless
	})
}

func TestSignUpValidation(t *testing.T) {
	t.Parallel()
	a := startApp(t, testConfig(t, dbtest.New(t, "sqlite", true)))
	api := newClient(t, a)
	cases := []struct {
		body  map[string]any
		code  string
		field string
	}{
		{map[string]any{"email": "not-an-email", "password": testPassword, "name": "A"}, "invalid", "body.email"},
		{map[string]any{"email": "a@example.com", "password": "short", "name": "A"}, "weak_password", "body.password"},
		{map[string]any{"email": "a@example.com", "password": "password123", "name": "A"}, "weak_password", "body.password"},
		{map[string]any{"email": "a@example.com", "password": strings.Repeat("x", 129), "name": "A"}, "weak_password", "body.password"},
		{map[string]any{"email": "a@example.com", "password": testPassword, "name": "   "}, "invalid", "body.name"},
		{map[string]any{"email": "a@example.com", "password": testPassword, "name": strings.Repeat("n", 101)}, "invalid", "body.name"},
	}
	for _, c := range cases {
		r := api.do("POST", "/auth/signup", c.body)
		if r.Status != 422 || r.Code() != c.code || !strings.Contains(r.Raw, c.field) {
			t.Errorf("%v: %d %s, want 422 %s on %s", c.body, r.Status, r.Raw, c.code, c.field)
		}
	}
	if r := api.do("POST", "/auth/signup", map[string]any{"email": "a@example.com", "password": testPassword, "name": "A", "role": "admin"}); r.Status != 422 {
		t.Errorf("unknown field accepted: %d", r.Status)
	}
	if r := api.do("GET", "/me", nil); r.Status != 401 {
		t.Errorf("/me without credentials: %d", r.Status)
	}
}

// forge builds a JWT with the given header and claims, signed with key
// (or unsigned for alg none).
func forge(t *testing.T, alg string, claims jwt.MapClaims, key []byte) string {
	t.Helper()
	if alg == "none" {
		tok := jwt.NewWithClaims(jwt.SigningMethodNone, claims)
		s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestForgedAndExpiredTokensRefused(t *testing.T) {
	t.Parallel()
	a := startApp(t, testConfig(t, dbtest.New(t, "sqlite", true)))
	api := newClient(t, a)
	acc := api.signUp("tok@example.com", "Tok")
	parts := strings.Split(acc.Access, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), acc.UserID[:8], "00000000", 1))) + "." + parts[2]
	claims := jwt.MapClaims{"sub": acc.UserID, "sid": "x", "iss": "kite", "aud": "kite-api", "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
	cases := map[string]string{
		"alg none":    forge(t, "none", claims, nil),
		"wrong key":   forge(t, "HS256", claims, []byte(strings.Repeat("k", 32))),
		"tampered":    tampered,
		"garbage":     "not.a.jwt",
		"api key-ish": "kite_nonsense",
	}
	for name, tok := range cases {
		if r := api.as(tok, "").do("GET", "/me", nil); r.Status != 401 {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
	key := a.Keys.Derive("kite access tokens v1")
	expired, _ := identity.SignAccessToken(key, acc.UserID, "sid", time.Now().Add(-time.Hour), time.Minute)
	if r := api.as(expired, "").do("GET", "/me", nil); r.Status != 401 || r.Code() != "token_expired" {
		t.Errorf("expired token: %d %s", r.Status, r.Raw)
	}
}

func TestTOTPFlow(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		a := startApp(t, testConfig(t, b))
		api := newClient(t, a)
		acc := api.signUp("mfa@example.com", "MFA")
		me := api.as(acc.Access, "")
		setup := me.must(200, "POST", "/auth/mfa/totp/setup", nil)
		secret := setup.Str("secret")
		if secret == "" || !strings.HasPrefix(setup.Str("otpauth_url"), "otpauth://totp/") {
			t.Fatalf("setup = %s", setup.Raw)
		}
		if r := me.do("POST", "/auth/mfa/totp/enable", map[string]any{"code": "000000"}); r.Status != 401 || r.Code() != "mfa_invalid" {
			t.Fatalf("wrong enable code: %d %s", r.Status, r.Raw)
		}
		now := time.Now()
		code, _ := totp.GenerateCode(secret, now)
		enabled := me.must(200, "POST", "/auth/mfa/totp/enable", map[string]any{"code": code})
		recovery, _ := enabled.Body["recovery_codes"].([]any)
		if len(recovery) != 10 {
			t.Fatalf("recovery codes = %v", enabled.Body)
		}
		signin := func(code string) response {
			return api.do("POST", "/auth/signin", map[string]any{"email": acc.Email, "password": testPassword, "totp_code": code})
		}
		if r := signin(""); r.Status != 401 || r.Code() != "mfa_required" {
			t.Fatalf("no code: %d %s", r.Status, r.Raw)
		}
		// The code used to enable is spent; so is any code of an older step.
		if r := signin(code); r.Status != 401 || r.Code() != "mfa_invalid" {
			t.Fatalf("replayed code: %d %s", r.Status, r.Raw)
		}
		nextCode, _ := totp.GenerateCode(secret, now.Add(30*time.Second))
		if r := signin(nextCode); r.Status != 200 {
			t.Fatalf("next step's code: %d %s", r.Status, r.Raw)
		}
		if r := signin(nextCode); r.Status != 401 || r.Code() != "mfa_invalid" {
			t.Fatalf("same code twice: %d %s", r.Status, r.Raw)
		}
		rc := recovery[0].(string)
		if r := signin(strings.ToUpper(rc)); r.Status != 200 {
			t.Fatalf("recovery code: %d %s", r.Status, r.Raw)
		}
		if r := signin(rc); r.Status != 401 {
			t.Fatalf("recovery code twice: %d", r.Status)
		}
		// Disabling needs a valid code.
		if r := me.do("POST", "/auth/mfa/totp/disable", map[string]any{"code": "123"}); r.Status != 401 {
			t.Fatalf("disable with a bad code: %d", r.Status)
		}
		me.must(204, "POST", "/auth/mfa/totp/disable", map[string]any{"code": recovery[1].(string)})
		if r := signin(""); r.Status != 200 {
			t.Fatalf("sign-in after disabling MFA: %d %s", r.Status, r.Raw)
		}
	})
}

var linkPattern = regexp.MustCompile(`https?://\S+`)

func TestPasswordResetOnceAndKeepsMFA(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		a := startApp(t, testConfig(t, b))
		api := newClient(t, a)
		acc := api.signUp("reset@example.com", "Reset")
		secret := api.as(acc.Access, "").must(200, "POST", "/auth/mfa/totp/setup", nil).Str("secret")
		code, _ := totp.GenerateCode(secret, time.Now())
		api.as(acc.Access, "").must(200, "POST", "/auth/mfa/totp/enable", map[string]any{"code": code})
		api.must(202, "POST", "/auth/password/forgot", map[string]any{"email": "reset@example.com"})
		api.must(202, "POST", "/auth/password/forgot", map[string]any{"email": "ghost@example.com"})
		if r := api.do("POST", "/auth/password/forgot", map[string]any{"email": "nope"}); r.Status != 422 {
			t.Fatalf("malformed email: %d", r.Status)
		}
		token := waitForMailToken(t, a, "reset@example.com")
		if len(a.Mailbox.List()) != 1 {
			t.Fatalf("mails: %d; unknown address must get none", len(a.Mailbox.List()))
		}
		if r := api.do("POST", "/auth/password/reset", map[string]any{"token": token, "password": "short"}); r.Status != 422 {
			t.Fatalf("weak new password: %d", r.Status)
		}
		api.must(204, "POST", "/auth/password/reset", map[string]any{"token": token, "password": "a brand new passphrase"})
		if r := api.do("POST", "/auth/password/reset", map[string]any{"token": token, "password": "another new passphrase"}); r.Status != 400 || r.Code() != "reset_invalid" {
			t.Fatalf("second use: %d %s", r.Status, r.Raw)
		}
		// Every session ended with the reset.
		if r := api.as(acc.Access, "").do("GET", "/me", nil); r.Status != 401 {
			t.Fatalf("old session survived the reset: %d", r.Status)
		}
		// The reset did not switch MFA off: the new password alone is not enough.
		if r := api.do("POST", "/auth/signin", map[string]any{"email": acc.Email, "password": "a brand new passphrase"}); r.Code() != "mfa_required" {
			t.Fatalf("after reset: %d %s, want mfa_required", r.Status, r.Raw)
		}
		next, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
		api.must(200, "POST", "/auth/signin", map[string]any{"email": acc.Email, "password": "a brand new passphrase", "totp_code": next})
	})
}

// waitForMailToken waits for the job that sends a mail to to, and returns
// the token in its link.
func waitForMailToken(t *testing.T, a *App, to string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range a.Mailbox.List() {
			if m.To == to {
				link := linkPattern.FindString(m.Text)
				u, err := url.Parse(link)
				if err != nil {
					t.Fatalf("link %q: %v", link, err)
				}
				return u.Query().Get("token")
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no mail to %s", to)
	return ""
}

func TestSignInThrottling(t *testing.T) {
	t.Parallel()
	a := startApp(t, testConfig(t, dbtest.New(t, "sqlite", true)))
	api := newClient(t, a)
	acc := api.signUp("slow@example.com", "Slow")
	for range 10 {
		if r := api.do("POST", "/auth/signin", map[string]any{"email": acc.Email, "password": "wrong guess"}); r.Status != 401 {
			t.Fatalf("guess answered %d", r.Status)
		}
	}
	r := api.do("POST", "/auth/signin", map[string]any{"email": acc.Email, "password": testPassword})
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("11th attempt: %d %v", r.Status, r.Header)
	}
	// Slowed down, not locked: after the wait, the right password works.
	time.Sleep(1100 * time.Millisecond)
	api.must(200, "POST", "/auth/signin", map[string]any{"email": acc.Email, "password": testPassword})
	// Another account from the same address is not affected.
	other := api.signUp("other@example.com", "Other")
	api.must(200, "POST", "/auth/signin", map[string]any{"email": other.Email, "password": testPassword})
}

func TestSessionsListAndRevoke(t *testing.T) {
	t.Parallel()
	a := startApp(t, testConfig(t, dbtest.New(t, "sqlite", true)))
	api := newClient(t, a)
	acc := api.signUp("sess@example.com", "Sess")
	second := api.must(200, "POST", "/auth/signin", map[string]any{"email": acc.Email, "password": testPassword})
	me := api.as(acc.Access, "")
	list := me.must(200, "GET", "/auth/sessions", nil).Items()
	if len(list) != 2 {
		t.Fatalf("sessions = %v", list)
	}
	var other string
	for _, s := range list {
		if s["current"] != true {
			other = s["id"].(string)
		}
	}
	me.must(204, "DELETE", "/auth/sessions/"+other, nil)
	if r := api.as(second.Str("access_token"), "").do("GET", "/me", nil); r.Status != 401 {
		t.Fatalf("revoked session still works: %d", r.Status)
	}
	if r := me.do("DELETE", "/auth/sessions/"+other, nil); r.Status != 404 {
		t.Fatalf("revoking twice: %d", r.Status)
	}
	// Another user's session id is not found.
	stranger := api.signUp("stranger@example.com", "")
	if r := api.as(stranger.Access, "").do("DELETE", "/auth/sessions/"+list[0]["id"].(string), nil); r.Status != 404 {
		t.Fatalf("other user's session: %d", r.Status)
	}
}
