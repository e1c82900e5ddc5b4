package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Accepted age of a Telegram Login Widget authorization.
const (
	TelegramLoginMaxAge    = time.Hour
	TelegramLoginMaxFuture = time.Minute
)

// Errors returned by VerifyTelegramLogin.
var (
	// ErrTelegramHash means the data was not signed with the bot's token.
	ErrTelegramHash = errors.New("identity: telegram login signature is invalid")
	// ErrTelegramExpired means auth_date is more than an hour old or more
	// than a minute in the future.
	ErrTelegramExpired = errors.New("identity: telegram login has expired")
	// ErrTelegramNotConfigured means no bot token was given, so nothing can
	// be verified.
	ErrTelegramNotConfigured = errors.New("identity: telegram login is not configured")
)

// TelegramLogin is the data the Telegram Login Widget hands to the site
// after the user approves the login, with the field names Telegram uses.
type TelegramLogin struct {
	ID        int64  `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
	Username  string `json:"username,omitempty"`
	PhotoURL  string `json:"photo_url,omitempty"`
	AuthDate  int64  `json:"auth_date"`
	Hash      string `json:"hash"`
}

// VerifyTelegramLogin checks that l was signed by Telegram for the bot whose
// token is botToken (HMAC-SHA256 keyed with SHA-256 of the token over the
// data-check-string, compared in constant time) and that auth_date is at most
// an hour before now and at most a minute after it. It returns nil,
// ErrTelegramHash, ErrTelegramExpired or ErrTelegramNotConfigured.
func VerifyTelegramLogin(botToken string, l TelegramLogin, now time.Time) error {
	if botToken == "" {
		return ErrTelegramNotConfigured
	}
	got, err := hex.DecodeString(l.Hash)
	if err != nil || !hmac.Equal(got, telegramMAC(botToken, l)) {
		return ErrTelegramHash
	}
	signed := time.Unix(l.AuthDate, 0)
	if now.Sub(signed) > TelegramLoginMaxAge || signed.Sub(now) > TelegramLoginMaxFuture {
		return ErrTelegramExpired
	}
	return nil
}

// SignTelegramLogin returns the hex hash Telegram would send with l for the
// bot whose token is botToken; l.Hash itself is ignored. It lets tests and a
// fake widget produce logins that VerifyTelegramLogin accepts.
func SignTelegramLogin(botToken string, l TelegramLogin) string {
	return hex.EncodeToString(telegramMAC(botToken, l))
}

func telegramMAC(botToken string, l TelegramLogin) []byte {
	secret := sha256.Sum256([]byte(botToken))
	mac := hmac.New(sha256.New, secret[:])
	mac.Write([]byte(telegramCheckString(l)))
	return mac.Sum(nil)
}

// telegramCheckString builds Telegram's data-check-string: every received
// field except hash as key=value, sorted by key, joined by "\n". Optional
// fields that are empty were not sent and are left out.
func telegramCheckString(l TelegramLogin) string {
	// Already in alphabetical order of key.
	fields := []struct{ key, value string }{
		{"auth_date", strconv.FormatInt(l.AuthDate, 10)},
		{"first_name", l.FirstName},
		{"id", strconv.FormatInt(l.ID, 10)},
		{"last_name", l.LastName},
		{"photo_url", l.PhotoURL},
		{"username", l.Username},
	}
	lines := make([]string, 0, len(fields))
	for _, f := range fields {
		if f.value != "" {
			lines = append(lines, f.key+"="+f.value)
		}
	}
	return strings.Join(lines, "\n")
}
