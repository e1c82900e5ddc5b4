package identity

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"

	"github.com/kite-crm/kite/internal/platform/httpx"
)

// What the browser pages need from the identity service beyond the JSON
// API: a sign-in that waits for its second factor, the QR code of a TOTP
// setup, a look at a reset link before it is used, short-lived sealed
// cookies, and a readable name for a session's device.

// SecureRequest reports whether the browser keeps Secure cookies for r
// (https, or a loopback host), as SetSessionCookie decides.
func SecureRequest(r *http.Request) bool { return secureRequest(r) }

// PendingSignIn is a sign-in whose password (or Google / Telegram proof)
// was accepted and which waits for the second factor. It travels sealed in
// a short-lived cookie; no session exists until the code is checked.
type PendingSignIn struct {
	UserID string `json:"u"`
	// Proof fingerprints the password hash at the first step: a password
	// changed or reset in between voids the pending sign-in.
	Proof   string `json:"p"`
	Next    string `json:"n,omitempty"`
	Expires int64  `json:"e"`
}

// PendingSignInTTL is how long the second step may take.
const PendingSignInTTL = 5 * time.Minute

// NewPendingSignIn starts the second step for u.
func (s *Service) NewPendingSignIn(u User, next string) PendingSignIn {
	return PendingSignIn{UserID: u.ID, Proof: passwordProof(u), Next: next, Expires: s.now().Add(PendingSignInTTL).Unix()}
}

func passwordProof(u User) string { return HashToken("pending sign-in:" + u.PasswordHash)[:24] }

var errPendingExpired = httpx.NewProblem(http.StatusUnauthorized, "signin_expired",
	"This sign-in took too long or is no longer valid. Sign in again.")

// CompleteSignIn checks the second factor (a TOTP code, each usable once,
// or an unused recovery code) of a pending sign-in and returns the user.
// Failures are throttled per account and address like every other code
// check; success forgets the account's failed sign-ins.
func (s *Service) CompleteSignIn(ctx context.Context, p PendingSignIn, code string, meta ClientMeta) (User, error) {
	if p.UserID == "" || s.now().Unix() > p.Expires {
		return User{}, errPendingExpired
	}
	u, err := s.UserByID(ctx, p.UserID)
	if err != nil || !u.MFAEnabled() || subtle.ConstantTimeCompare([]byte(passwordProof(u)), []byte(p.Proof)) != 1 {
		return User{}, errPendingExpired
	}
	if strings.TrimSpace(code) == "" {
		return User{}, Invalid(&FieldError{Field: "code", Message: "Enter the code from your authenticator app, or a recovery code."})
	}
	if err := s.checkSecondFactor(ctx, &u, code, meta); err != nil {
		if err == errMFAInvalid {
			s.hooks.Audit(ctx, u.ID, "user.sign_in_failed", meta, map[string]any{"step": "mfa"})
		}
		return User{}, err
	}
	if u.Email != "" {
		s.throttle.Reset(ctx, "signin", u.Email)
	}
	return u, nil
}

// IsMFARequired reports whether a sign-in failed only for want of the
// second factor (the password was right).
func IsMFARequired(err error) bool { return err == errMFARequired }

// PendingTOTPSetup returns the secret being set up and its otpauth URL,
// for showing them again while the setup is not finished.
func (s *Service) PendingTOTPSetup(ctx context.Context, userID string) (TOTPSetup, error) {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return TOTPSetup{}, err
	}
	secret, err := s.PendingTOTP(ctx, userID)
	if err != nil {
		return TOTPSetup{}, err
	}
	account := u.Email
	if account == "" {
		account = u.Name
	}
	return TOTPSetup{Secret: secret, OTPAuthURL: otpauthURL("Kite", account, secret)}, nil
}

// PendingTOTPQRCode renders the QR code of the secret being set up as a
// size × size PNG, locally: the secret never leaves the server.
func (s *Service) PendingTOTPQRCode(ctx context.Context, userID string, size int) ([]byte, error) {
	setup, err := s.PendingTOTPSetup(ctx, userID)
	if err != nil {
		return nil, err
	}
	key, err := otp.NewKeyFromURL(setup.OTPAuthURL)
	if err != nil {
		return nil, err
	}
	return TOTPQRCodePNG(key, size)
}

// otpauthURL is the key URI authenticator apps read, with the settings
// NewTOTPKey uses.
func otpauthURL(issuer, account, secret string) string {
	q := url.Values{}
	q.Set("secret", secret)
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", strconv.Itoa(TOTPDigits))
	q.Set("period", strconv.Itoa(int(TOTPPeriod/time.Second)))
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + account, RawQuery: q.Encode()}
	return u.String()
}

// ResetTokenUsable reports whether a password reset link can still be
// used (it exists, is unused and younger than an hour), so the page can
// say so before the person types a new password.
func (s *Service) ResetTokenUsable(ctx context.Context, token string) bool {
	if token == "" {
		return false
	}
	var r passwordReset
	err := s.db.Read.NewSelect().Model(&r).Where("token_hash = ?", HashToken(token)).Scan(ctx)
	return err == nil && r.UsedAt == nil && s.now().UTC().Before(r.ExpiresAt)
}

// IsResetInvalid reports whether err says a reset link is spent or expired.
func IsResetInvalid(err error) bool { return err == errResetInvalid }

// sealedCookie is a short-lived HttpOnly cookie whose value is sealed with
// the app key for one purpose: the browser can hold it, not read or forge it.
type sealedCookie struct {
	name    string // without the __Host- prefix
	purpose string
	ttl     time.Duration
}

func (c sealedCookie) set(s *Service, w http.ResponseWriter, r *http.Request, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	hc := &http.Cookie{Name: c.name, Value: s.keys.Seal(string(b), c.purpose), Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: int(c.ttl / time.Second)}
	if secureRequest(r) {
		hc.Name, hc.Secure = "__Host-"+c.name, true
	}
	http.SetCookie(w, hc)
	return nil
}

func (c sealedCookie) open(s *Service, r *http.Request, v any) bool {
	for _, name := range []string{"__Host-" + c.name, c.name} {
		hc, err := r.Cookie(name)
		if err != nil || hc.Value == "" {
			continue
		}
		plain, err := s.keys.Open(hc.Value, c.purpose)
		if err != nil {
			return false
		}
		return json.Unmarshal([]byte(plain), v) == nil
	}
	return false
}

func (c sealedCookie) clear(w http.ResponseWriter, r *http.Request) {
	hc := &http.Cookie{Name: c.name, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1}
	if secureRequest(r) {
		hc.Name, hc.Secure = "__Host-"+c.name, true
	}
	http.SetCookie(w, hc)
}

// DeviceLabel names the browser and system of a user agent simply, like
// "Chrome on macOS"; an unknown agent is "Unknown device".
func DeviceLabel(ua string) string {
	browser, system := "", ""
	has := func(s string) bool { return strings.Contains(ua, s) }
	switch {
	case has("Edg/"):
		browser = "Edge"
	case has("OPR/"), has("Opera"):
		browser = "Opera"
	case has("Firefox/"), has("FxiOS/"):
		browser = "Firefox"
	case has("HeadlessChrome/"):
		browser = "Headless Chrome"
	case has("Chrome/"), has("CriOS/"), has("Chromium/"):
		browser = "Chrome"
	case has("Safari/"):
		browser = "Safari"
	case has("curl/"):
		browser = "curl"
	case has("Go-http-client"):
		browser = "Go program"
	}
	switch {
	case has("iPhone"), has("iPad"), has("iOS"):
		system = "iOS"
	case has("Android"):
		system = "Android"
	case has("CrOS"):
		system = "ChromeOS"
	case has("Mac OS X"), has("Macintosh"):
		system = "macOS"
	case has("Windows"):
		system = "Windows"
	case has("Linux"), has("X11"):
		system = "Linux"
	}
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return "Browser on " + system
	}
	return "Unknown device"
}

// CancelTOTPSetup forgets a setup that was started but not finished; MFA
// that is on stays on.
func (s *Service) CancelTOTPSetup(ctx context.Context, userID string) error {
	_, err := s.db.NewUpdate().Model((*User)(nil)).Set("totp_pending = NULL").Where("id = ?", userID).Exec(ctx)
	return err
}
