package mail

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		raw  string
		want Config
	}{
		{"smtp://user:pass@mail.example.com:587", Config{Host: "mail.example.com", Port: 587, Username: "user", Password: "pass", Security: StartTLS}},
		{"smtp://user:pass@mail.example.com", Config{Host: "mail.example.com", Port: 587, Username: "user", Password: "pass", Security: StartTLS}},
		{"SMTP://mail.example.com:2525/", Config{Host: "mail.example.com", Port: 2525, Security: StartTLS}},
		{"smtp://mail.example.com:587?tls=starttls", Config{Host: "mail.example.com", Port: 587, Security: StartTLS}},
		{"smtps://apikey:p%40ss%2Fw%3Ard@smtp.example.com", Config{Host: "smtp.example.com", Port: 465, Username: "apikey", Password: "p@ss/w:rd", Security: ImplicitTLS}},
		{"smtp://localhost:1025?tls=none", Config{Host: "localhost", Port: 1025, Security: NoTLS}},
		{"smtp://[::1]:25?tls=NONE", Config{Host: "::1", Port: 25, Security: NoTLS}},
		{"  smtp://relay:25?tls=none&from=Kite <noreply@example.com>  ", Config{Host: "relay", Port: 25, Security: NoTLS, From: "Kite <noreply@example.com>"}},
		{"smtps://u:p@h?from=Kite%20Sales%20%3Ckite+sales@example.com%3E", Config{Host: "h", Port: 465, Username: "u", Password: "p", Security: ImplicitTLS, From: "Kite Sales <kite+sales@example.com>"}},
	}
	for _, tc := range cases {
		got, err := ParseURL(tc.raw)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tc.raw, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseURL(%q)\n got %+v\nwant %+v", tc.raw, got, tc.want)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		raw, wantIn string
	}{
		{"", "empty"},
		{"mail.example.com:587", "scheme must be smtp or smtps"},
		{"mail.example.com", "no scheme"},
		{"http://mail.example.com", `not "http"`},
		{"smtp://", "no host"},
		{"smtp:mail.example.com", "no host"},
		{"smtp://user:hunter2@mail.example.com:abc", "not a URL"},
		{"smtp://mail.example.com:0", "port"},
		{"smtp://mail.example.com:70000", "port"},
		{"smtp://mail.example.com/inbox", "path"},
		{"smtp://user@mail.example.com", "without a password"},
		{"smtp://:hunter2@mail.example.com", "without a user name"},
		{"smtps://mail.example.com?tls=none", "smtps always uses TLS"},
		{"smtp://mail.example.com?tls=yes", "tls="},
		{"smtp://mail.example.com?form=a@example.com", `unknown parameter "form"`},
		{"smtp://mail.example.com?from=", "from= is empty"},
		{"smtp://mail.example.com?from=not an address", "from"},
		{"smtp://mail.example.com?from=a@example.com%0D%0ABcc:b@example.com", "from"},
		{"smtp://mail.example.com?tls=none&tls=none", "twice"},
	}
	for _, tc := range cases {
		_, err := ParseURL(tc.raw)
		if err == nil {
			t.Errorf("ParseURL(%q) accepted it", tc.raw)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "KITE_SMTP_URL: ") {
			t.Errorf("ParseURL(%q) error %q does not start with KITE_SMTP_URL", tc.raw, msg)
		}
		if !strings.Contains(msg, tc.wantIn) {
			t.Errorf("ParseURL(%q) error %q does not say %q", tc.raw, msg, tc.wantIn)
		}
		if strings.Contains(msg, "hunter2") {
			t.Errorf("ParseURL(%q) error shows the password: %q", tc.raw, msg)
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("ParseURL(%q) error is more than one line: %q", tc.raw, msg)
		}
	}
}

func TestConfigStringHidesPassword(t *testing.T) {
	t.Parallel()
	c, err := ParseURL("smtps://user:hunter2@mail.example.com?from=Kite <k@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	s := c.String()
	if strings.Contains(s, "hunter2") || !strings.Contains(s, "user:xxxxx@mail.example.com:465") || !strings.HasPrefix(s, "smtps://") {
		t.Errorf("String() = %q", s)
	}
	back, err := ParseURL(s)
	if err != nil || back.From != c.From || back.Security != c.Security || back.Port != c.Port {
		t.Errorf("String() %q does not parse back to the same config: %+v, %v", s, back, err)
	}
}

func TestNewChoosesSender(t *testing.T) {
	t.Parallel()
	quiet := slog.New(slog.DiscardHandler)
	s, box, err := New(Options{Logger: quiet})
	if err != nil || box == nil {
		t.Fatalf("New without URL: box %v, err %v; want a dev mailbox", box, err)
	}
	if _, ok := s.(*devSender); !ok {
		t.Errorf("New without URL returned %T", s)
	}

	s, box, err = New(Options{URL: "smtp://u:p@mail.example.com", Logger: quiet})
	if err != nil || box != nil {
		t.Fatalf("New with URL: box %v, err %v; want no mailbox", box, err)
	}
	ss, ok := s.(*smtpSender)
	if !ok {
		t.Fatalf("New with URL returned %T", s)
	}
	if ss.from.String() != "\"Kite\" <kite@localhost>" || ss.timeout != defaultTimeout {
		t.Errorf("defaults: from %q timeout %v", ss.from, ss.timeout)
	}

	s, _, err = New(Options{URL: "smtp://mail.example.com?from=Sales <sales@example.com>", From: "Other <o@example.com>", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.(*smtpSender).from.Address; got != "sales@example.com" {
		t.Errorf("from= of the URL lost to Options.From: %q", got)
	}

	_, _, err = New(Options{URL: "smtp://user:hunter2@mail.example.com:99999", Logger: quiet})
	if err == nil || !strings.HasPrefix(err.Error(), "KITE_SMTP_URL: ") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("bad URL: err = %v", err)
	}

	_, _, err = New(Options{From: "not an address", Logger: quiet})
	if err == nil || !strings.Contains(err.Error(), "Options.From") {
		t.Errorf("bad Options.From: err = %v", err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	ok := []Message{
		{To: "ana@example.com", Subject: "Hi", Text: "x"},
		{To: "Ana Lima <ana@example.com>", Subject: "Réinitialiser\tle mot de passe", Text: "x", HTML: "<p>x</p>"},
	}
	for _, m := range ok {
		if _, err := validate(m); err != nil {
			t.Errorf("validate(%+v): %v", m, err)
		}
	}
	bad := []struct {
		m      Message
		wantIn string
	}{
		{Message{Subject: "Hi", Text: "x"}, "no recipient"},
		{Message{To: "ana", Subject: "Hi", Text: "x"}, "not one valid address"},
		{Message{To: "ana@example.com, bo@example.com", Subject: "Hi", Text: "x"}, "not one valid address"},
		{Message{To: "ana@example.com\nBcc: bo@example.com", Subject: "Hi", Text: "x"}, "line break"},
		{Message{To: "ana@example.com", Subject: " ", Text: "x"}, "empty subject"},
		{Message{To: "ana@example.com", Subject: "a\r\nb", Text: "x"}, "line break"},
		{Message{To: "ana@example.com", Subject: "a\x00b", Text: "x"}, "control character"},
		{Message{To: "ana@example.com", Subject: "a\xffb", Text: "x"}, "UTF-8"},
		{Message{To: "ana@example.com", Subject: "Hi", Text: " \n"}, "empty text"},
		{Message{To: "ana@example.com", Subject: "Hi", HTML: "<p>only html</p>"}, "empty text"},
	}
	for _, tc := range bad {
		_, err := validate(tc.m)
		if !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("validate(%+v) = %v, want ErrInvalidMessage", tc.m, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.wantIn) {
			t.Errorf("validate(%+v) = %q, want it to say %q", tc.m, err, tc.wantIn)
		}
	}
}
