package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/hkdf"
)

// Access token settings.
const (
	AccessTokenIssuer   = "kite"
	AccessTokenAudience = "kite-api"
	// AccessTokenLeeway is the clock skew tolerated on exp and iat.
	AccessTokenLeeway = 30 * time.Second
	// MinKeyLength is the shortest signing key accepted for access tokens.
	MinKeyLength = 32
)

// Errors returned by ParseAccessToken; both may be wrapped.
var (
	// ErrTokenExpired means the token was valid but its exp has passed.
	ErrTokenExpired = errors.New("identity: token expired")
	// ErrTokenInvalid means the token is malformed, badly signed, signed
	// with another algorithm, or has the wrong issuer, audience or claims.
	ErrTokenInvalid = errors.New("identity: token invalid")
)

// RandomToken returns a new 256-bit random token, base64url without padding,
// after prefix (e.g. "kite_" for API keys, "" for refresh tokens), and hash,
// the HashToken of the whole token, which is what should be stored.
func RandomToken(prefix string) (token string, hash string) {
	token = prefix + randomBase64URL(32)
	return token, HashToken(token)
}

// HashToken returns the hex SHA-256 of token, the form in which tokens are
// stored and looked up.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// randomBase64URL returns n bytes from crypto/rand, base64url without padding.
// crypto/rand.Read never fails (it crashes the program instead).
func randomBase64URL(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DeriveKey returns a 32-byte key for one purpose (e.g. "access-token")
// derived from the application secret with HKDF-SHA256, so different uses of
// the one secret never share a key. The same inputs always give the same key.
func DeriveKey(secret, purpose string) []byte {
	key := make([]byte, 32)
	r := hkdf.New(sha256.New, []byte(secret), nil, []byte(purpose))
	if _, err := io.ReadFull(r, key); err != nil {
		panic("identity: hkdf cannot produce 32 bytes: " + err.Error()) // unreachable: limit is 255*32
	}
	return key
}

// AccessClaims are the claims of an access token: the user (sub), the
// session it belongs to (sid), and the registered claims iss, aud, iat, exp
// and jti.
type AccessClaims struct {
	UserID    string `json:"sub"`
	SessionID string `json:"sid"`
	jwt.RegisteredClaims
}

// SignAccessToken returns an HS256 JWT for userID and sessionID issued at now
// and expiring ttl later, with iss "kite", aud "kite-api" and a random jti.
// key must be at least MinKeyLength bytes (see DeriveKey).
func SignAccessToken(key []byte, userID, sessionID string, now time.Time, ttl time.Duration) (string, error) {
	if len(key) < MinKeyLength {
		return "", fmt.Errorf("identity: access token key shorter than %d bytes", MinKeyLength)
	}
	if userID == "" || sessionID == "" || ttl <= 0 {
		return "", errors.New("identity: access token needs a user, a session and a positive ttl")
	}
	claims := AccessClaims{
		UserID:    userID,
		SessionID: sessionID,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    AccessTokenIssuer,
			Audience:  jwt.ClaimStrings{AccessTokenAudience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			ID:        randomBase64URL(16),
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
}

// ParseAccessToken verifies token as of now and returns its claims. It
// accepts only HS256 signatures by key, requires exp, iat, iss "kite", aud
// "kite-api", sub and sid, and tolerates AccessTokenLeeway of clock skew. It
// fails with ErrTokenExpired when only the expiry is wrong and ErrTokenInvalid
// otherwise.
func ParseAccessToken(key []byte, token string, now time.Time) (AccessClaims, error) {
	if len(key) < MinKeyLength {
		return AccessClaims{}, fmt.Errorf("%w: signing key too short", ErrTokenInvalid)
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(AccessTokenIssuer),
		jwt.WithAudience(AccessTokenAudience),
		jwt.WithIssuedAt(),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(AccessTokenLeeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	var claims AccessClaims
	_, err := parser.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return key, nil })
	switch {
	case err == nil:
		return claims, nil
	case onlyExpired(err):
		return AccessClaims{}, fmt.Errorf("%w: %v", ErrTokenExpired, err)
	default:
		return AccessClaims{}, fmt.Errorf("%w: %v", ErrTokenInvalid, err)
	}
}

// Validate reports an error when sub or sid is missing; the JWT parser calls
// it after the registered claims are checked.
func (c AccessClaims) Validate() error {
	if c.UserID == "" || c.SessionID == "" {
		return errMissingSubject
	}
	return nil
}

var errMissingSubject = errors.New("sub or sid missing")

// onlyExpired reports whether err says that a correctly signed token is past
// its expiry and nothing else is wrong with its claims.
func onlyExpired(err error) bool {
	if !errors.Is(err, jwt.ErrTokenExpired) {
		return false
	}
	for _, other := range []error{
		jwt.ErrTokenInvalidIssuer, jwt.ErrTokenInvalidAudience, jwt.ErrTokenUsedBeforeIssued,
		jwt.ErrTokenNotValidYet, jwt.ErrTokenRequiredClaimMissing, jwt.ErrTokenMalformed, errMissingSubject,
	} {
		if errors.Is(err, other) {
			return false
		}
	}
	return true
}
