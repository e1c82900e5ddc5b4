package identity

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func tokenNow() time.Time { return time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC) }

func testKey() []byte { return DeriveKey("test app secret", "access-token") }

// validClaims are the claims SignAccessToken would produce, to be altered by tests.
func validClaims() AccessClaims {
	now := tokenNow()
	return AccessClaims{
		UserID: "user-1", SessionID: "session-1",
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: "kite", Audience: jwt.ClaimStrings{"kite-api"}, ID: "jti-1",
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(15 * time.Minute)),
		},
	}
}

func signHS256(t *testing.T, key []byte, claims jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func b64url(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestRandomToken(t *testing.T) {
	t.Parallel()
	token, hash := RandomToken("kite_")
	body, found := strings.CutPrefix(token, "kite_")
	raw, err := base64.RawURLEncoding.Strict().DecodeString(body)
	if !found || err != nil || len(raw) != 32 {
		t.Fatalf("token %q is not kite_ + 256 bits of raw base64url", token)
	}
	sum := sha256.Sum256([]byte(token))
	if hash != hex.EncodeToString(sum[:]) || HashToken(token) != hash {
		t.Errorf("hash %s is not the hex SHA-256 of the whole token", hash)
	}
	if bytes.Equal(raw, make([]byte, 32)) {
		t.Error("token is all zeros")
	}
	plain, plainHash := RandomToken("")
	if len(plain) != 43 || plainHash != HashToken(plain) {
		t.Errorf("unprefixed token %q (hash %s)", plain, plainHash)
	}
	if other, _ := RandomToken(""); other == plain {
		t.Error("two tokens are equal")
	}
}

func TestDeriveKey(t *testing.T) {
	t.Parallel()
	key := DeriveKey("app secret", "access-token")
	want, err := hkdf.Key(sha256.New, []byte("app secret"), nil, "access-token", 32)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(key, want) {
		t.Errorf("DeriveKey is not HKDF-SHA256(secret, info=purpose)")
	}
	if !bytes.Equal(key, DeriveKey("app secret", "access-token")) {
		t.Error("DeriveKey is not deterministic")
	}
	if bytes.Equal(key, DeriveKey("app secret", "csrf")) || bytes.Equal(key, DeriveKey("other secret", "access-token")) {
		t.Error("different purpose or secret gave the same key")
	}
}

func TestAccessTokenRoundTrip(t *testing.T) {
	t.Parallel()
	now := tokenNow()
	token, err := SignAccessToken(testKey(), "user-7", "session-9", now, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := ParseAccessToken(testKey(), token, now.Add(time.Minute))
	if err != nil {
		t.Fatalf("ParseAccessToken: %v", err)
	}
	if claims.UserID != "user-7" || claims.SessionID != "session-9" || claims.Issuer != "kite" ||
		len(claims.Audience) != 1 || claims.Audience[0] != "kite-api" || claims.ID == "" ||
		!claims.IssuedAt.Equal(now) || !claims.ExpiresAt.Equal(now.Add(15*time.Minute)) {
		t.Errorf("claims = %+v", claims)
	}

	// The wire format uses the registered names sub and sid, and alg HS256.
	parts := strings.Split(token, ".")
	var header, payload map[string]any
	h, _ := base64.RawURLEncoding.DecodeString(parts[0])
	p, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if json.Unmarshal(h, &header) != nil || json.Unmarshal(p, &payload) != nil {
		t.Fatal("token segments are not JSON")
	}
	if header["alg"] != "HS256" || payload["sub"] != "user-7" || payload["sid"] != "session-9" {
		t.Errorf("header %v payload %v", header, payload)
	}

	again, _ := SignAccessToken(testKey(), "user-7", "session-9", now, 15*time.Minute)
	if other, _ := ParseAccessToken(testKey(), again, now); other.ID == claims.ID {
		t.Error("two tokens share a jti")
	}
}

func TestSignAccessTokenRefusesBadInput(t *testing.T) {
	t.Parallel()
	now := tokenNow()
	if _, err := SignAccessToken([]byte("short"), "u", "s", now, time.Minute); err == nil {
		t.Error("a 5-byte key was accepted")
	}
	if _, err := SignAccessToken(testKey(), "", "s", now, time.Minute); err == nil {
		t.Error("an empty user was accepted")
	}
	if _, err := SignAccessToken(testKey(), "u", "s", now, 0); err == nil {
		t.Error("a zero ttl was accepted")
	}
}

func TestParseAccessTokenExpiry(t *testing.T) {
	t.Parallel()
	now := tokenNow()
	token, err := SignAccessToken(testKey(), "user-1", "session-1", now, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseAccessToken(testKey(), token, now.Add(15*time.Minute+20*time.Second)); err != nil {
		t.Errorf("20 s past exp, within leeway: %v", err)
	}
	if _, err := ParseAccessToken(testKey(), token, now.Add(15*time.Minute+31*time.Second)); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("31 s past exp: %v, want ErrTokenExpired", err)
	}
	if _, err := ParseAccessToken(testKey(), token, now.Add(-2*time.Minute)); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("issued 2 min in the future: %v, want ErrTokenInvalid", err)
	}
}

func TestParseAccessTokenRefusesForgeries(t *testing.T) {
	t.Parallel()
	key := testKey()
	good := signHS256(t, key, validClaims())
	if _, err := ParseAccessToken(key, good, tokenNow()); err != nil {
		t.Fatalf("baseline token refused: %v", err)
	}

	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, validClaims()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rs256, err := jwt.NewWithClaims(jwt.SigningMethodRS256, validClaims()).SignedString(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	// Algorithm confusion: an RS256 header over an HMAC made with the HS256 key.
	confusedInput := b64url(map[string]string{"alg": "RS256", "typ": "JWT"}) + "." + strings.Split(good, ".")[1]
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(confusedInput))
	confused := confusedInput + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))

	tamperedClaims := validClaims()
	tamperedClaims.UserID = "admin"
	goodParts := strings.Split(good, ".")
	tampered := goodParts[0] + "." + b64url(tamperedClaims) + "." + goodParts[2]

	wrongAud := validClaims()
	wrongAud.Audience = jwt.ClaimStrings{"kite-admin"}
	wrongIss := validClaims()
	wrongIss.Issuer = "someone-else"
	noSession := validClaims()
	noSession.SessionID = ""
	noExp := validClaims()
	noExp.ExpiresAt = nil
	expiredWrongAud := wrongAud
	expiredWrongAud.ExpiresAt = jwt.NewNumericDate(tokenNow().Add(-time.Hour))

	hs512, err := jwt.NewWithClaims(jwt.SigningMethodHS512, validClaims()).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}

	cases := map[string]string{
		"HS512 with the right key":   hs512,
		"alg none":                   none,
		"alg none, empty signature":  strings.TrimSuffix(none, ".") + ".",
		"other key":                  signHS256(t, DeriveKey("another secret", "access-token"), validClaims()),
		"RS256":                      rs256,
		"RS256 header, HMAC body":    confused,
		"tampered payload":           tampered,
		"wrong audience":             signHS256(t, key, wrongAud),
		"wrong issuer":               signHS256(t, key, wrongIss),
		"no sid":                     signHS256(t, key, noSession),
		"no exp":                     signHS256(t, key, noExp),
		"expired and wrong audience": signHS256(t, key, expiredWrongAud),
		"not a JWT":                  "kite_abcdef",
		"empty":                      "",
	}
	for name, token := range cases {
		claims, err := ParseAccessToken(key, token, tokenNow())
		if !errors.Is(err, ErrTokenInvalid) || errors.Is(err, ErrTokenExpired) {
			t.Errorf("%s: err = %v, want ErrTokenInvalid", name, err)
		}
		if claims.UserID != "" {
			t.Errorf("%s: claims returned with an error: %+v", name, claims)
		}
	}
	if _, err := ParseAccessToken([]byte("short"), good, tokenNow()); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("short verification key: %v, want ErrTokenInvalid", err)
	}
}
