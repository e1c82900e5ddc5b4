package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

const testBotToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

// telegramNow is the fixed "now" of these tests.
func telegramNow() time.Time { return time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC) }

func signedLogin(l TelegramLogin) TelegramLogin { return signedLoginWith(testBotToken, l) }

func fullLogin() TelegramLogin {
	return signedLogin(TelegramLogin{
		ID: 987654321, FirstName: "Ann", LastName: "Lee", Username: "annlee",
		PhotoURL: "https://t.me/i/userpic/320/annlee.jpg", AuthDate: telegramNow().Add(-5 * time.Minute).Unix(),
	})
}

func TestSignTelegramLoginFollowsTelegramsFormula(t *testing.T) {
	t.Parallel()
	// Built by hand from Telegram's documentation: sorted key=value lines, HMAC
	// keyed with SHA-256 of the bot token.
	l := TelegramLogin{ID: 42, FirstName: "Ann", Username: "ann", AuthDate: 1700000000}
	check := "auth_date=1700000000\nfirst_name=Ann\nid=42\nusername=ann"
	secret := sha256.Sum256([]byte(testBotToken))
	mac := hmac.New(sha256.New, secret[:])
	mac.Write([]byte(check))
	if got, want := SignTelegramLogin(testBotToken, l), hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("SignTelegramLogin = %s, want %s", got, want)
	}
}

func TestVerifyTelegramLoginAccepts(t *testing.T) {
	t.Parallel()
	if err := VerifyTelegramLogin(testBotToken, fullLogin(), telegramNow()); err != nil {
		t.Errorf("correctly signed login: %v", err)
	}
	minimal := signedLogin(TelegramLogin{ID: 7, FirstName: "Bo", AuthDate: telegramNow().Unix()})
	if err := VerifyTelegramLogin(testBotToken, minimal, telegramNow()); err != nil {
		t.Errorf("login without optional fields: %v", err)
	}
	upper := fullLogin()
	upper.Hash = strings.ToUpper(upper.Hash)
	if err := VerifyTelegramLogin(testBotToken, upper, telegramNow()); err != nil {
		t.Errorf("upper-case hex hash: %v", err)
	}
}

func TestVerifyTelegramLoginFromWidgetJSON(t *testing.T) {
	t.Parallel()
	l := TelegramLogin{ID: 555, FirstName: "Cy", Username: "cy", AuthDate: telegramNow().Unix()}
	body := `{"id":555,"first_name":"Cy","username":"cy","auth_date":` +
		jsonNumber(telegramNow().Unix()) + `,"hash":"` + SignTelegramLogin(testBotToken, l) + `"}`
	var got TelegramLogin
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if err := VerifyTelegramLogin(testBotToken, got, telegramNow()); err != nil {
		t.Errorf("login decoded from widget JSON: %v", err)
	}
}

func jsonNumber(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestVerifyTelegramLoginRefusesChangedFields(t *testing.T) {
	t.Parallel()
	changes := map[string]func(*TelegramLogin){
		"id":         func(l *TelegramLogin) { l.ID++ },
		"first_name": func(l *TelegramLogin) { l.FirstName = "Eve" },
		"last_name":  func(l *TelegramLogin) { l.LastName = "" },
		"username":   func(l *TelegramLogin) { l.Username = "eve" },
		"photo_url":  func(l *TelegramLogin) { l.PhotoURL = "https://evil.example/x.jpg" },
		"auth_date":  func(l *TelegramLogin) { l.AuthDate++ },
	}
	for field, change := range changes {
		l := fullLogin()
		change(&l)
		if err := VerifyTelegramLogin(testBotToken, l, telegramNow()); !errors.Is(err, ErrTelegramHash) {
			t.Errorf("changed %s: %v, want ErrTelegramHash", field, err)
		}
	}
}

func TestVerifyTelegramLoginRefusesForgedHash(t *testing.T) {
	t.Parallel()
	good := fullLogin()
	forged := map[string]string{
		"empty":          "",
		"not hex":        "zz" + good.Hash[2:],
		"flipped digit":  flipHexDigit(good.Hash),
		"truncated":      good.Hash[:32],
		"other bot":      SignTelegramLogin("999:other", good),
		"plain sha256":   sha256Hex(telegramCheckString(good)),
		"token as key":   hmacHex([]byte(testBotToken), "auth_date=1"),
		"hash of fields": hmacHex(nil, "id=987654321"),
	}
	for name, hash := range forged {
		l := good
		l.Hash = hash
		if err := VerifyTelegramLogin(testBotToken, l, telegramNow()); !errors.Is(err, ErrTelegramHash) {
			t.Errorf("%s hash: %v, want ErrTelegramHash", name, err)
		}
	}
	if err := VerifyTelegramLogin("123456789:another-token", good, telegramNow()); !errors.Is(err, ErrTelegramHash) {
		t.Errorf("wrong bot token: %v, want ErrTelegramHash", err)
	}
	if err := VerifyTelegramLogin("", signedLoginWith("", good), telegramNow()); !errors.Is(err, ErrTelegramNotConfigured) {
		t.Errorf("empty bot token: %v, want ErrTelegramNotConfigured", err)
	}
}

func signedLoginWith(token string, l TelegramLogin) TelegramLogin {
	l.Hash = SignTelegramLogin(token, l)
	return l
}

func flipHexDigit(h string) string {
	if h[0] == '0' {
		return "1" + h[1:]
	}
	return "0" + h[1:]
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func hmacHex(key []byte, msg string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msg))
	return hex.EncodeToString(mac.Sum(nil))
}

func TestVerifyTelegramLoginAge(t *testing.T) {
	t.Parallel()
	cases := []struct {
		age time.Duration
		err error
	}{
		{0, nil},
		{59 * time.Minute, nil},
		{time.Hour, nil},
		{61 * time.Minute, ErrTelegramExpired},
		{48 * time.Hour, ErrTelegramExpired},
		{-30 * time.Second, nil},
		{-2 * time.Minute, ErrTelegramExpired},
	}
	for _, c := range cases {
		l := signedLogin(TelegramLogin{ID: 1, FirstName: "Di", AuthDate: telegramNow().Add(-c.age).Unix()})
		if err := VerifyTelegramLogin(testBotToken, l, telegramNow()); !errors.Is(err, c.err) {
			t.Errorf("auth_date %v old: %v, want %v", c.age, err, c.err)
		}
	}
}
