package mail

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// newTestSender builds a Sender for url through New, trusting roots for TLS.
func newTestSender(t *testing.T, url string, roots *x509.CertPool) Sender {
	t.Helper()
	s, box, err := New(Options{URL: url, From: "Kite <kite@example.com>", Logger: slog.New(slog.DiscardHandler), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if box != nil {
		t.Fatal("New returned a dev mailbox although SMTP is configured")
	}
	smtpS, ok := s.(*smtpSender)
	if !ok {
		t.Fatalf("New returned %T, want the SMTP sender", s)
	}
	smtpS.rootCAs = roots
	return s
}

var resetMail = Message{
	To:      "Ana Lima <ana@example.com>",
	Subject: "Réinitialiser votre mot de passe",
	Text:    "Hello Ana,\n\nset a new password here: https://kite.example.com/reset?token=abc123&x=1\n\nThe link works for one hour.",
	HTML:    `<p>Hello Ana,</p><p><a href="https://kite.example.com/reset?token=abc123&amp;x=1">Set a new password</a></p>`,
}

// parsedMail is a received message split into the parts a person sees.
type parsedMail struct {
	Header netmail.Header
	Text   string
	HTML   string
}

func parseReceived(t *testing.T, data []byte) parsedMail {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, data)
	}
	out := parsedMail{Header: msg.Header}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type: %v", err)
	}
	if mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q, want multipart/alternative", mediaType)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		body, err := io.ReadAll(p) // quoted-printable is decoded by the reader
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			out.Text = strings.ReplaceAll(string(body), "\r\n", "\n")
		case "text/html":
			out.HTML = strings.ReplaceAll(string(body), "\r\n", "\n")
		default:
			t.Errorf("unexpected part %q", ct)
		}
	}
	return out
}

func decodeHeader(t *testing.T, v string) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(v)
	if err != nil {
		t.Fatalf("decode header %q: %v", v, err)
	}
	return s
}

// checkDelivered asserts the server got resetMail exactly once, from the
// configured sender, with both bodies intact.
func checkDelivered(t *testing.T, ts *testServer) received {
	t.Helper()
	got := ts.received()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	r := got[0]
	if r.From != "kite@example.com" {
		t.Errorf("MAIL FROM %q", r.From)
	}
	if len(r.To) != 1 || r.To[0] != "ana@example.com" {
		t.Errorf("RCPT TO %q", r.To)
	}
	if r.AuthUser != testUser {
		t.Errorf("authenticated as %q, want %q", r.AuthUser, testUser)
	}
	m := parseReceived(t, r.Data)
	from, err := m.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != "kite@example.com" || from[0].Name != "Kite" {
		t.Errorf("From header %q (%v)", m.Header.Get("From"), err)
	}
	to, err := m.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != "ana@example.com" || to[0].Name != "Ana Lima" {
		t.Errorf("To header %q (%v)", m.Header.Get("To"), err)
	}
	if got := decodeHeader(t, m.Header.Get("Subject")); got != resetMail.Subject {
		t.Errorf("Subject %q, want %q", got, resetMail.Subject)
	}
	if m.Header.Get("Message-Id") == "" || m.Header.Get("Date") == "" {
		t.Error("Message-ID or Date missing")
	}
	if len(m.Header["Bcc"]) != 0 || len(m.Header["Cc"]) != 0 {
		t.Error("unexpected Cc/Bcc headers")
	}
	if strings.TrimRight(m.Text, "\n") != resetMail.Text {
		t.Errorf("text part:\n%q\nwant:\n%q", m.Text, resetMail.Text)
	}
	if strings.TrimRight(m.HTML, "\n") != resetMail.HTML {
		t.Errorf("HTML part:\n%q\nwant:\n%q", m.HTML, resetMail.HTML)
	}
	return r
}

func TestSendDeliversTextAndHTML(t *testing.T) {
	t.Parallel()
	ts := startServer(t, serverOptions{})
	s := newTestSender(t, ts.url("smtp", "tls=none"), nil)
	if err := s.Send(context.Background(), resetMail); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if r := checkDelivered(t, ts); r.TLS {
		t.Error("tls=none still used TLS")
	}
}

func TestSendTextOnly(t *testing.T) {
	t.Parallel()
	ts := startServer(t, serverOptions{})
	s := newTestSender(t, ts.url("smtp", "tls=none"), nil)
	m := Message{To: "bo@example.com", Subject: "Welcome", Text: "Join: https://kite.example.com/invite/x"}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := ts.received()
	if len(got) != 1 {
		t.Fatalf("received %d messages", len(got))
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(got[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	if ct, _, _ := mime.ParseMediaType(msg.Header.Get("Content-Type")); ct != "text/plain" {
		t.Errorf("Content-Type %q, want text/plain for a mail without HTML", ct)
	}
}

func TestSendStartTLS(t *testing.T) {
	t.Parallel()
	cfg, roots := testCert(t)
	ts := startServer(t, serverOptions{TLS: cfg})
	s := newTestSender(t, ts.url("smtp", ""), roots)
	if err := s.Send(context.Background(), resetMail); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if r := checkDelivered(t, ts); !r.TLS {
		t.Error("smtp:// delivered without STARTTLS")
	}
}

func TestSendImplicitTLS(t *testing.T) {
	t.Parallel()
	cfg, roots := testCert(t)
	ts := startServer(t, serverOptions{TLS: cfg, Implicit: true})
	s := newTestSender(t, ts.url("smtps", ""), roots)
	if err := s.Send(context.Background(), resetMail); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if r := checkDelivered(t, ts); !r.TLS {
		t.Error("smtps:// delivered without TLS")
	}
}

func TestSendUntrustedCertificateIsPermanent(t *testing.T) {
	t.Parallel()
	cfg, _ := testCert(t)
	ts := startServer(t, serverOptions{TLS: cfg})
	s := newTestSender(t, ts.url("smtp", ""), x509.NewCertPool())
	err := s.Send(context.Background(), resetMail)
	if err == nil {
		t.Fatal("sent to a server with an untrusted certificate")
	}
	if IsTemporary(err) {
		t.Errorf("certificate error is temporary: %v", err)
	}
	if ts.authAttempts() != 0 || len(ts.received()) != 0 {
		t.Error("credentials or mail went to an unverified server")
	}
}

func TestSendRequiresSTARTTLS(t *testing.T) {
	t.Parallel()
	ts := startServer(t, serverOptions{}) // offers no STARTTLS
	s := newTestSender(t, ts.url("smtp", ""), nil)
	err := s.Send(context.Background(), resetMail)
	if err == nil {
		t.Fatal("smtp:// sent over a plain connection")
	}
	if !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("error does not say STARTTLS is missing: %v", err)
	}
	if IsTemporary(err) {
		t.Errorf("a server without STARTTLS is not a temporary failure: %v", err)
	}
	if ts.authAttempts() != 0 {
		t.Error("the password was sent over a plain connection")
	}
	if len(ts.received()) != 0 {
		t.Error("the message was delivered in clear text")
	}
}

func TestSendFailuresAreClassified(t *testing.T) {
	t.Parallel()
	smtpErr := func(code int, text string) *smtp.SMTPError {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: text}
	}
	cases := []struct {
		name      string
		opts      serverOptions
		temporary bool
	}{
		{"451 at RCPT (greylisting)", serverOptions{RcptErr: smtpErr(451, "Try again later")}, true},
		{"451 after DATA", serverOptions{DataErr: smtpErr(451, "Local error in processing")}, true},
		{"421 at MAIL FROM", serverOptions{MailErr: smtpErr(421, "Too many connections")}, true},
		{"452 at RCPT (mailbox full)", serverOptions{RcptErr: smtpErr(452, "Insufficient storage")}, true},
		{"550 at RCPT (no such user)", serverOptions{RcptErr: smtpErr(550, "No such user")}, false},
		{"554 after DATA (spam)", serverOptions{DataErr: smtpErr(554, "Message rejected")}, false},
		{"553 at MAIL FROM (sender not allowed)", serverOptions{MailErr: smtpErr(553, "Sender not allowed")}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, tc.opts)
			s := newTestSender(t, ts.url("smtp", "tls=none"), nil)
			err := s.Send(context.Background(), resetMail)
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if got := IsTemporary(err); got != tc.temporary {
				t.Errorf("IsTemporary = %v, want %v (%v)", got, tc.temporary, err)
			}
			wantWord := "permanent"
			if tc.temporary {
				wantWord = "temporary"
			}
			if !strings.Contains(err.Error(), wantWord) || !strings.Contains(err.Error(), "ana@example.com") {
				t.Errorf("error %q does not name the recipient and say %s", err, wantWord)
			}
			if len(ts.received()) != 0 {
				t.Error("the server stored a message it refused")
			}
		})
	}
}

func TestSendWrongPasswordIsPermanent(t *testing.T) {
	t.Parallel()
	ts := startServer(t, serverOptions{})
	url := "smtp://" + testUser + ":wrong@" + net.JoinHostPort(ts.Host, strconv.Itoa(ts.Port)) + "?tls=none"
	err := newTestSender(t, url, nil).Send(context.Background(), resetMail)
	if err == nil {
		t.Fatal("Send succeeded with a wrong password")
	}
	if IsTemporary(err) {
		t.Errorf("535 is temporary: %v", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error shows the password: %v", err)
	}
}

func TestSendConnectionRefusedIsTemporary(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	s := newTestSender(t, "smtp://"+addr+"?tls=none", nil)
	err = s.Send(context.Background(), resetMail)
	if err == nil {
		t.Fatal("Send to a closed port succeeded")
	}
	if !IsTemporary(err) {
		t.Errorf("connection refused is permanent: %v", err)
	}
}

func TestSendTimesOutOnASilentServer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() { // accepts, never greets
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { // until the client gives up and closes
				_, _ = io.Copy(io.Discard, c)
				_ = c.Close()
			}()
		}
	}()
	s, _, err := New(Options{URL: "smtp://" + ln.Addr().String() + "?tls=none", Logger: slog.New(slog.DiscardHandler), Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = s.Send(context.Background(), resetMail)
	if err == nil {
		t.Fatal("Send to a silent server succeeded")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Send took %v with a 300ms timeout", d)
	}
	if !IsTemporary(err) {
		t.Errorf("a timeout is permanent: %v", err)
	}
}

func TestSendRefusesHeaderInjection(t *testing.T) {
	t.Parallel()
	ts := startServer(t, serverOptions{})
	s := newTestSender(t, ts.url("smtp", "tls=none"), nil)
	bad := []Message{
		{To: "ana@example.com", Subject: "Hello\r\nBcc: victim@example.org", Text: "x"},
		{To: "ana@example.com", Subject: "Hello\nBcc: victim@example.org", Text: "x"},
		{To: "ana@example.com", Subject: "Hello\rBcc: victim@example.org", Text: "x"},
		{To: "ana@example.com\r\nBcc: victim@example.org", Subject: "Hello", Text: "x"},
		{To: "ana@example.com, victim@example.org", Subject: "Hello", Text: "x"},
	}
	for _, m := range bad {
		err := s.Send(context.Background(), m)
		if !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("To %q Subject %q: err = %v, want ErrInvalidMessage", m.To, m.Subject, err)
		}
		if IsTemporary(err) {
			t.Errorf("an invalid message is temporary: %v", err)
		}
	}
	if got := ts.received(); len(got) != 0 {
		t.Errorf("the server received %d messages; first:\n%s", len(got), got[0].Data)
	}
}

func TestIsTemporaryOfOtherErrors(t *testing.T) {
	t.Parallel()
	if IsTemporary(nil) {
		t.Error("nil is temporary")
	}
	if IsTemporary(errors.New("boom")) {
		t.Error("an unknown error is temporary")
	}
	wrapped := &sendError{to: "a@example.com", temporary: true, err: io.EOF}
	if !IsTemporary(errors.Join(errors.New("job"), wrapped)) {
		t.Error("IsTemporary does not see through wrapping")
	}
}
