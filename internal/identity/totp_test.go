package identity

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"image/png"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// rfcSecret is the SHA-1 seed of RFC 6238 appendix B, "12345678901234567890", in base32.
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{
		Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func TestNewTOTPKey(t *testing.T) {
	t.Parallel()
	key, err := NewTOTPKey("Kite", "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if key.Issuer() != "Kite" || key.AccountName() != "ann@example.com" {
		t.Errorf("issuer/account = %q/%q", key.Issuer(), key.AccountName())
	}
	if key.Period() != 30 || key.Digits() != otp.DigitsSix || key.Algorithm() != otp.AlgorithmSHA1 {
		t.Errorf("period/digits/algorithm = %d/%v/%v, want 30/6/SHA1", key.Period(), key.Digits(), key.Algorithm())
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(key.Secret())
	if err != nil || len(raw) != 20 {
		t.Errorf("secret %q is not 160 bits of base32 (%v)", key.Secret(), err)
	}
	other, _ := NewTOTPKey("Kite", "ann@example.com")
	if other.Secret() == key.Secret() {
		t.Error("two keys share a secret")
	}
}

func TestValidateTOTPRFC6238Vector(t *testing.T) {
	t.Parallel()
	// RFC 6238: at T=59 s the 8-digit SHA-1 code is 94287082; 6 digits keep "287082".
	step, ok := ValidateTOTP(rfcSecret, "287082", time.Unix(59, 0), 0)
	if !ok || step != 1 {
		t.Errorf("ValidateTOTP(RFC vector) = %d, %v; want 1, true", step, ok)
	}
}

func TestValidateTOTPWindow(t *testing.T) {
	t.Parallel()
	key, err := NewTOTPKey("Kite", "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	cases := []struct {
		offset time.Duration
		ok     bool
	}{
		{0, true},
		{-30 * time.Second, true},
		{30 * time.Second, true},
		{-60 * time.Second, false},
		{60 * time.Second, false},
		{-10 * time.Minute, false},
	}
	for _, c := range cases {
		code := codeAt(t, key.Secret(), now.Add(c.offset))
		step, ok := ValidateTOTP(key.Secret(), code, now, 0)
		if ok != c.ok {
			t.Errorf("code from now%+v: ok=%v, want %v", c.offset, ok, c.ok)
		}
		if ok && step != TOTPStep(now.Add(c.offset)) {
			t.Errorf("code from now%+v matched step %d, want %d", c.offset, step, TOTPStep(now.Add(c.offset)))
		}
	}
}

func TestValidateTOTPRefusesReplay(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	code := codeAt(t, rfcSecret, now)
	step, ok := ValidateTOTP(rfcSecret, code, now, 0)
	if !ok {
		t.Fatal("first use refused")
	}
	if _, ok := ValidateTOTP(rfcSecret, code, now.Add(10*time.Second), step); ok {
		t.Error("the same code was accepted twice")
	}
	older := codeAt(t, rfcSecret, now.Add(-30*time.Second))
	if _, ok := ValidateTOTP(rfcSecret, older, now, step); ok {
		t.Error("an older code was accepted after a newer one was used")
	}
	next := codeAt(t, rfcSecret, now.Add(30*time.Second))
	if got, ok := ValidateTOTP(rfcSecret, next, now.Add(30*time.Second), step); !ok || got != step+1 {
		t.Errorf("the next step's code = %d, %v; want %d, true", got, ok, step+1)
	}
}

func TestValidateTOTPInputShape(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	code := codeAt(t, rfcSecret, now)
	for _, good := range []string{code, " " + code + " ", code[:3] + " " + code[3:]} {
		if _, ok := ValidateTOTP(rfcSecret, good, now, 0); !ok {
			t.Errorf("ValidateTOTP(%q) refused", good)
		}
	}
	eight := "94287082" // valid 8-digit code at T=59
	for _, bad := range []string{"", code[:5], code + "0", code[:5] + "x", "-" + code[1:], "１２３４５６", eight} {
		if _, ok := ValidateTOTP(rfcSecret, bad, time.Unix(59, 0), 0); ok {
			t.Errorf("ValidateTOTP(%q) accepted", bad)
		}
	}
	if _, ok := ValidateTOTP("not base32 !!", code, now, 0); ok {
		t.Error("an invalid secret matched")
	}
}

func TestTOTPQRCodePNG(t *testing.T) {
	t.Parallel()
	key, err := NewTOTPKey("Kite", "cat@example.com")
	if err != nil {
		t.Fatal(err)
	}
	data, err := TOTPQRCodePNG(key, 256)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
		t.Errorf("image is %dx%d, want 256x256", b.Dx(), b.Dy())
	}
	for _, size := range []int{0, -1, 5, 10000} {
		if _, err := TOTPQRCodePNG(key, size); err == nil {
			t.Errorf("size %d accepted", size)
		}
	}
	if _, err := TOTPQRCodePNG(nil, 256); err == nil {
		t.Error("nil key accepted")
	}
}

func TestNewRecoveryCodes(t *testing.T) {
	t.Parallel()
	codes, hashes, err := NewRecoveryCodes()
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 10 || len(hashes) != 10 {
		t.Fatalf("got %d codes and %d hashes, want 10 each", len(codes), len(hashes))
	}
	shape := regexp.MustCompile(`^[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}$`)
	seen := map[string]bool{}
	for i, code := range codes {
		if !shape.MatchString(code) {
			t.Errorf("code %q is not xxxx-xxxx-xxxx from the unambiguous alphabet", code)
		}
		if seen[code] {
			t.Errorf("code %q repeated", code)
		}
		seen[code] = true
		sum := sha256.Sum256([]byte(strings.ReplaceAll(code, "-", "")))
		if hashes[i] != hex.EncodeToString(sum[:]) {
			t.Errorf("hash %d is not the SHA-256 of the normalized code", i)
		}
	}
}

func TestRecoveryAlphabet(t *testing.T) {
	t.Parallel()
	distinct := map[rune]bool{}
	for _, r := range recoveryAlphabet {
		distinct[r] = true
	}
	if len(distinct) != 32 || len(recoveryAlphabet) != 32 {
		t.Errorf("alphabet has %d distinct of %d characters, want 32", len(distinct), len(recoveryAlphabet))
	}
	if strings.ContainsAny(recoveryAlphabet, "lo01") {
		t.Error("alphabet contains an ambiguous character")
	}
}

func TestHashRecoveryCodeNormalizes(t *testing.T) {
	t.Parallel()
	sum := sha256.Sum256([]byte("abcdefghijkl"))
	want := hex.EncodeToString(sum[:])
	for _, in := range []string{"abcd-efgh-ijkl", "ABCD EFGH-ijkl", " abcdefghijkl ", "ABCD-EFGH-IJKL"} {
		if got := HashRecoveryCode(in); got != want {
			t.Errorf("HashRecoveryCode(%q) = %s, want %s", in, got, want)
		}
	}
	if HashRecoveryCode("abcd-efgh-ijkm") == want {
		t.Error("a different code hashes the same")
	}
}
