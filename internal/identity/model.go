package identity

import (
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// User is a person who signs in.
type User struct {
	bun.BaseModel `bun:"table:users"`
	ID            string    `bun:"id,pk" json:"id"`
	Email         string    `bun:"email,nullzero" json:"email"`
	Name          string    `bun:"name" json:"name"`
	PasswordHash  string    `bun:"password_hash,nullzero" json:"-"`
	EmailVerified bool      `bun:"email_verified" json:"email_verified"`
	TOTPSecret    string    `bun:"totp_secret,nullzero" json:"-"`  // sealed
	TOTPPending   string    `bun:"totp_pending,nullzero" json:"-"` // sealed, during setup
	TOTPLastStep  int64     `bun:"totp_last_step" json:"-"`
	CreatedAt     time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at" json:"updated_at"`
}

// MFAEnabled reports whether sign-in asks for a TOTP code.
func (u User) MFAEnabled() bool { return u.TOTPSecret != "" }

// HasPassword reports whether the user can sign in with a password.
func (u User) HasPassword() bool { return u.PasswordHash != "" }

// Session is one sign-in of a user: a browser or an API client.
type Session struct {
	bun.BaseModel `bun:"table:sessions"`
	ID            string     `bun:"id,pk" json:"id"`
	UserID        string     `bun:"user_id" json:"-"`
	Kind          string     `bun:"kind" json:"kind"` // web | api
	TokenHash     string     `bun:"token_hash,nullzero" json:"-"`
	IP            string     `bun:"ip" json:"ip"`
	UserAgent     string     `bun:"user_agent" json:"user_agent"`
	CreatedAt     time.Time  `bun:"created_at" json:"created_at"`
	LastSeenAt    time.Time  `bun:"last_seen_at" json:"last_seen_at"`
	ExpiresAt     time.Time  `bun:"expires_at" json:"expires_at"`
	RevokedAt     *time.Time `bun:"revoked_at" json:"-"`
}

// Session kinds.
const (
	SessionWeb = "web"
	SessionAPI = "api"
)

// Active reports whether the session may still be used at now.
func (s Session) Active(now time.Time) bool {
	return s.RevokedAt == nil && now.Before(s.ExpiresAt)
}

type refreshToken struct {
	bun.BaseModel `bun:"table:refresh_tokens"`
	TokenHash     string     `bun:"token_hash,pk"`
	SessionID     string     `bun:"session_id"`
	CreatedAt     time.Time  `bun:"created_at"`
	SpentAt       *time.Time `bun:"spent_at"`
}

type recoveryCode struct {
	bun.BaseModel `bun:"table:recovery_codes"`
	UserID        string     `bun:"user_id,pk"`
	CodeHash      string     `bun:"code_hash,pk"`
	UsedAt        *time.Time `bun:"used_at"`
}

type passwordReset struct {
	bun.BaseModel `bun:"table:password_resets"`
	TokenHash     string     `bun:"token_hash,pk"`
	UserID        string     `bun:"user_id"`
	CreatedAt     time.Time  `bun:"created_at"`
	ExpiresAt     time.Time  `bun:"expires_at"`
	UsedAt        *time.Time `bun:"used_at"`
}

type externalIdentity struct {
	bun.BaseModel `bun:"table:user_identities"`
	Provider      string    `bun:"provider,pk"`
	Subject       string    `bun:"subject,pk"`
	UserID        string    `bun:"user_id"`
	Email         string    `bun:"email"`
	CreatedAt     time.Time `bun:"created_at"`
}

// ClientMeta describes where a request comes from, for sessions, throttling
// and the audit log.
type ClientMeta struct {
	IP        string
	UserAgent string
}

// FieldError is a validation failure of one input field.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// NormalizeEmail trims and lowercases an address and checks its form; the
// stored email is always normalized, so uniqueness is case-insensitive.
func NormalizeEmail(raw string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(raw))
	if e == "" {
		return "", &FieldError{"email", "Enter an email address."}
	}
	if len(e) > 254 {
		return "", &FieldError{"email", "An email address has at most 254 characters."}
	}
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || !strings.Contains(e[strings.LastIndex(e, "@")+1:], ".") {
		return "", &FieldError{"email", "This is not a valid email address."}
	}
	return e, nil
}

// CleanName trims a person's or organization's name and checks its length.
func CleanName(field, raw string, maxLen int) (string, error) {
	n := strings.Join(strings.Fields(raw), " ")
	switch {
	case n == "":
		return "", &FieldError{field, "This field is required."}
	case utf8.RuneCountInString(n) > maxLen:
		return "", &FieldError{field, "At most " + strconv.Itoa(maxLen) + " characters."}
	}
	return n, nil
}
