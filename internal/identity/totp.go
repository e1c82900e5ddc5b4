package identity

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// TOTP settings shared by key generation and validation (RFC 6238 defaults
// that every authenticator app understands).
const (
	TOTPPeriod = 30 * time.Second
	TOTPDigits = 6
	totpSkew   = 1 // steps accepted either side of the current one
)

// Recovery code shape: RecoveryCodeCount codes of three dash-separated groups
// of four characters from a 32-character alphabet (60 bits each).
const (
	RecoveryCodeCount  = 10
	recoveryGroups     = 3
	recoveryGroupLen   = 4
	recoveryCodeLength = recoveryGroups * recoveryGroupLen
	// recoveryAlphabet leaves out l, o, 0 and 1, which are easy to misread.
	recoveryAlphabet = "abcdefghijkmnpqrstuvwxyz23456789"
)

// NewTOTPKey returns a fresh random TOTP key (160-bit secret, SHA-1, 6
// digits, 30 s period) labelled with issuer and account for authenticator apps.
func NewTOTPKey(issuer, account string) (*otp.Key, error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      issuer,
		AccountName: account,
		Period:      uint(TOTPPeriod / time.Second),
		SecretSize:  20,
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return nil, fmt.Errorf("identity: generate totp key: %w", err)
	}
	return key, nil
}

// TOTPQRCodePNG renders the key's otpauth URL as a size x size PNG QR code,
// locally. It fails when size is not positive, larger than 4096, or too small
// to hold the code.
func TOTPQRCodePNG(key *otp.Key, size int) ([]byte, error) {
	if key == nil {
		return nil, errors.New("identity: totp qr code: nil key")
	}
	if size <= 0 || size > 4096 {
		return nil, fmt.Errorf("identity: totp qr code: size %d out of range", size)
	}
	img, err := key.Image(size, size)
	if err != nil {
		return nil, fmt.Errorf("identity: totp qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("identity: totp qr code: %w", err)
	}
	return buf.Bytes(), nil
}

// TOTPStep returns the RFC 6238 time step that contains t.
func TOTPStep(t time.Time) int64 {
	return t.Unix() / int64(TOTPPeriod/time.Second)
}

// ValidateTOTP checks a 6-digit code against the base32 secret for the time
// step containing now and one step either side. Spaces in code are ignored.
// It returns the matched step and true only when that step is later than
// lastStep, so storing the returned step and passing it back next time makes
// every code usable once (a replay, or an older code, is refused). Codes are
// compared in constant time; an invalid secret matches nothing.
func ValidateTOTP(secret, code string, now time.Time, lastStep int64) (step int64, ok bool) {
	code = strings.ReplaceAll(code, " ", "")
	if !isASCIIDigits(code, TOTPDigits) {
		return 0, false
	}
	current := TOTPStep(now)
	for s := current - totpSkew; s <= current+totpSkew; s++ {
		if s > lastStep && !ok && totpMatches(secret, code, s) {
			step, ok = s, true
		}
	}
	return step, ok
}

// totpMatches reports whether code is the secret's code for step.
func totpMatches(secret, code string, step int64) bool {
	if step < 0 {
		return false
	}
	want, err := hotp.GenerateCodeCustom(secret, uint64(step), hotp.ValidateOpts{
		Digits:    otp.DigitsSix,
		Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1
}

// isASCIIDigits reports whether s is exactly n ASCII digits.
func isASCIIDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// NewRecoveryCodes returns RecoveryCodeCount random one-time recovery codes
// formatted like "abcd-efgh-ijkm", and for each the HashRecoveryCode value to
// store. Only the hashes should be kept; the codes are shown once.
func NewRecoveryCodes() (codes []string, hashes []string, err error) {
	codes = make([]string, RecoveryCodeCount)
	hashes = make([]string, RecoveryCodeCount)
	for i := range codes {
		code, err := newRecoveryCode()
		if err != nil {
			return nil, nil, err
		}
		codes[i], hashes[i] = code, HashRecoveryCode(code)
	}
	return codes, hashes, nil
}

// newRecoveryCode draws one code from crypto/rand. The alphabet has 32
// letters, so taking 5 bits of each byte is free of modulo bias.
func newRecoveryCode() (string, error) {
	raw := make([]byte, recoveryCodeLength)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("identity: recovery code: %w", err)
	}
	var b strings.Builder
	for i, r := range raw {
		if i > 0 && i%recoveryGroupLen == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(recoveryAlphabet[r&31])
	}
	return b.String(), nil
}

// HashRecoveryCode returns the hex SHA-256 of the code normalized to lower
// case without dashes or white space, so "ABCD EFGH-ijkm" and "abcd-efgh-ijkm"
// hash alike.
func HashRecoveryCode(code string) string {
	sum := sha256.Sum256([]byte(normalizeRecoveryCode(code)))
	return hex.EncodeToString(sum[:])
}

func normalizeRecoveryCode(code string) string {
	code = strings.ToLower(code)
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, code)
}
