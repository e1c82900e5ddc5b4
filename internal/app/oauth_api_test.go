package app

import (
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
	"github.com/pquerna/otp/totp"

	"github.com/kite-crm/kite/internal/identity"
	"github.com/kite-crm/kite/internal/identity/identitytest"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// authorizeCode gets a code for our client from the mock provider.
func authorizeCode(t *testing.T, m *mockoidc.MockOIDC, redirect, nonce string) string {
	return identitytest.AuthorizeCode(t, m, url.Values{"client_id": {m.ClientID}, "response_type": {"code"},
		"scope": {"openid email profile"}, "redirect_uri": {redirect}, "state": {"st"}, "nonce": {nonce}})
}

func TestGoogleSignIn(t *testing.T) {
	t.Parallel()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	cfg := testConfig(t, dbtest.New(t, "sqlite", true))
	cfg.GoogleClientID, cfg.GoogleClientSecret, cfg.GoogleIssuer = m.ClientID, m.ClientSecret, m.Issuer()
	a := startApp(t, cfg)
	api := newClient(t, a)
	// An existing account with the same (verified) email is linked, not duplicated.
	existing := api.signUp("jane.doe@example.com", "Jane's")

	const redirect = "http://localhost/auth/google/callback"
	code := authorizeCode(t, m, redirect, "n-1")
	if r := api.do("POST", "/auth/oauth/google", map[string]any{"code": code, "redirect_uri": redirect, "nonce": "wrong"}); r.Status != 401 {
		t.Fatalf("wrong nonce: %d %s", r.Status, r.Raw)
	}
	code = authorizeCode(t, m, redirect, "n-2")
	r := api.must(200, "POST", "/auth/oauth/google", map[string]any{"code": code, "redirect_uri": redirect, "nonce": "n-2"})
	me := api.as(r.Str("access_token"), "").must(200, "GET", "/me", nil)
	if me.Str("user.id") != existing.UserID {
		t.Fatalf("Google sign-in made a new user %s instead of linking %s", me.Str("user.id"), existing.UserID)
	}

	// ID tokens: signed by the provider for our client — accepted; for
	// another audience, expired, or with a bad signature — refused.
	now := m.Now()
	sign := func(aud string, exp time.Time) string {
		tok, err := m.Keypair.SignJWT(&mockoidc.IDTokenClaims{RegisteredClaims: &jwt.RegisteredClaims{
			Issuer: m.Issuer(), Subject: "1234567890", Audience: jwt.ClaimStrings{aud},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp)}})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	api.must(200, "POST", "/auth/oauth/google", map[string]any{"id_token": sign(m.ClientID, now.Add(time.Hour))})
	for name, tok := range map[string]string{
		"other audience": sign("someone-else", now.Add(time.Hour)),
		"expired":        sign(m.ClientID, now.Add(-time.Hour)),
		"bad signature":  sign(m.ClientID, now.Add(time.Hour))[:40] + "x" + sign(m.ClientID, now.Add(time.Hour))[41:],
	} {
		if r := api.do("POST", "/auth/oauth/google", map[string]any{"id_token": tok}); r.Status != 401 {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
}

func TestGoogleAndTelegramOffWhenNotConfigured(t *testing.T) {
	t.Parallel()
	a := startApp(t, testConfig(t, dbtest.New(t, "sqlite", true)))
	api := newClient(t, a)
	if r := api.do("POST", "/auth/oauth/google", map[string]any{"id_token": "x"}); r.Status != 404 || r.Code() != "not_configured" {
		t.Fatalf("google: %d %s", r.Status, r.Raw)
	}
	if r := api.do("POST", "/auth/oauth/telegram", map[string]any{"id": 1, "first_name": "T", "auth_date": 1, "hash": "x"}); r.Status != 404 {
		t.Fatalf("telegram: %d %s", r.Status, r.Raw)
	}
}

func TestTelegramSignIn(t *testing.T) {
	t.Parallel()
	const botToken = "123456:ABC-test-token"
	cfg := testConfig(t, dbtest.New(t, "sqlite", true))
	cfg.TelegramLoginToken, cfg.TelegramLoginBot = botToken, "kite_test_bot"
	a := startApp(t, cfg)
	api := newClient(t, a)
	login := identity.TelegramLogin{ID: 42, FirstName: "Tom", Username: "tom", AuthDate: time.Now().Unix()}
	login.Hash = identity.SignTelegramLogin(botToken, login)
	body := func(l identity.TelegramLogin) map[string]any {
		return map[string]any{"id": l.ID, "first_name": l.FirstName, "username": l.Username, "auth_date": l.AuthDate, "hash": l.Hash}
	}
	first := api.must(200, "POST", "/auth/oauth/telegram", body(login))
	again := api.must(200, "POST", "/auth/oauth/telegram", body(login))
	u1 := api.as(first.Str("access_token"), "").must(200, "GET", "/me", nil).Str("user.id")
	u2 := api.as(again.Str("access_token"), "").must(200, "GET", "/me", nil).Str("user.id")
	if u1 == "" || u1 != u2 {
		t.Fatalf("Telegram id 42 became users %q and %q", u1, u2)
	}
	forged := login
	forged.ID = 43
	if r := api.do("POST", "/auth/oauth/telegram", body(forged)); r.Status != 401 {
		t.Fatalf("forged hash: %d", r.Status)
	}
	old := identity.TelegramLogin{ID: 42, FirstName: "Tom", Username: "tom", AuthDate: time.Now().Add(-61 * time.Minute).Unix()}
	old.Hash = identity.SignTelegramLogin(botToken, old)
	if r := api.do("POST", "/auth/oauth/telegram", body(old)); r.Status != 401 || r.Code() != "oauth_expired" {
		t.Fatalf("old auth_date: %d %s", r.Status, r.Raw)
	}
}

// Signing in with Telegram does not skip the second factor.
func TestExternalSignInAsksForMFA(t *testing.T) {
	t.Parallel()
	const botToken = "654321:XYZ-test-token"
	cfg := testConfig(t, dbtest.New(t, "sqlite", true))
	cfg.TelegramLoginToken, cfg.TelegramLoginBot = botToken, "kite_test_bot"
	a := startApp(t, cfg)
	api := newClient(t, a)
	login := identity.TelegramLogin{ID: 7, FirstName: "Mo", AuthDate: time.Now().Unix()}
	login.Hash = identity.SignTelegramLogin(botToken, login)
	body := map[string]any{"id": login.ID, "first_name": login.FirstName, "auth_date": login.AuthDate, "hash": login.Hash}
	tok := api.must(200, "POST", "/auth/oauth/telegram", body).Str("access_token")
	secret := api.as(tok, "").must(200, "POST", "/auth/mfa/totp/setup", nil).Str("secret")
	code, _ := totp.GenerateCode(secret, time.Now())
	api.as(tok, "").must(200, "POST", "/auth/mfa/totp/enable", map[string]any{"code": code})
	if r := api.do("POST", "/auth/oauth/telegram", body); r.Status != 401 || r.Code() != "mfa_required" {
		t.Fatalf("Telegram sign-in with MFA on and no code: %d %s", r.Status, r.Raw)
	}
	body["totp_code"], _ = totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	api.must(200, "POST", "/auth/oauth/telegram", body)
}
