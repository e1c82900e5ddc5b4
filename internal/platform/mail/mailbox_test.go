package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a log sink safe for concurrent sends.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newDev(t *testing.T) (Sender, *Mailbox, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	s, box, err := New(Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if box == nil {
		t.Fatal("no dev mailbox without SMTP URL")
	}
	return s, box, logs
}

func TestDevMailboxKeepsTheLast200NewestFirst(t *testing.T) {
	t.Parallel()
	s, box, _ := newDev(t)
	ctx := context.Background()
	var first string
	for i := range 205 {
		m := Message{To: "ana@example.com", Subject: fmt.Sprintf("mail %d", i), Text: "body"}
		if err := s.Send(ctx, m); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		if i == 0 {
			first = box.List()[0].ID
		}
	}
	list := box.List()
	if len(list) != 200 {
		t.Fatalf("mailbox holds %d mails, want 200", len(list))
	}
	if list[0].Subject != "mail 204" || list[199].Subject != "mail 5" {
		t.Errorf("order: first %q, last %q; want newest (mail 204) first, mail 5 last", list[0].Subject, list[199].Subject)
	}
	for i := 1; i < len(list); i++ {
		if list[i].SentAt.After(list[i-1].SentAt) {
			t.Fatalf("mail %d is newer than mail %d", i, i-1)
		}
	}
	if _, ok := box.Get(first); ok {
		t.Error("the oldest mail was not dropped")
	}
	ids := map[string]bool{}
	for _, m := range list {
		if m.ID == "" || ids[m.ID] {
			t.Fatalf("empty or repeated ID %q", m.ID)
		}
		ids[m.ID] = true
	}
	list[0].Subject = "changed by the caller"
	if box.List()[0].Subject != "mail 204" {
		t.Error("List shares its slice with the mailbox")
	}
}

func TestDevMailboxGet(t *testing.T) {
	t.Parallel()
	s, box, _ := newDev(t)
	m := Message{To: "Ana <ana@example.com>", Subject: "Invitation", Text: "Join https://kite.example.com/invite/1", HTML: "<b>Join</b>"}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), Message{To: "bo@example.com", Subject: "Other", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	id := box.List()[1].ID
	got, ok := box.Get(id)
	if !ok {
		t.Fatalf("Get(%q) found nothing", id)
	}
	if got.To != m.To || got.Subject != m.Subject || got.Text != m.Text || got.HTML != m.HTML || got.SentAt.IsZero() {
		t.Errorf("Get = %+v", got)
	}
	if _, ok := box.Get("no-such-id"); ok {
		t.Error("Get of an unknown ID found a mail")
	}
	if _, ok := box.Get(""); ok {
		t.Error("Get of an empty ID found a mail")
	}
}

func TestDevSenderLogsTheLink(t *testing.T) {
	t.Parallel()
	s, box, logs := newDev(t)
	m := Message{
		To:      "ana@example.com",
		Subject: "Reset your password",
		Text:    "Hello,\nopen https://kite.example.com/reset?token=t0k3n&u=1. Then https://kite.example.com/other\n",
	}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one log line, got %d:\n%s", len(lines), logs)
	}
	line := lines[0]
	for _, want := range []string{
		"to=ana@example.com",
		`subject="Reset your password"`,
		`link="https://kite.example.com/reset?token=t0k3n&u=1"`,
		"/dev/mailbox/" + box.List()[0].ID,
	} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %s:\n%s", want, line)
		}
	}
	if strings.Contains(line, "/other") {
		t.Errorf("log line has more than the first link:\n%s", line)
	}
}

func TestDevSenderValidates(t *testing.T) {
	t.Parallel()
	s, box, logs := newDev(t)
	err := s.Send(context.Background(), Message{To: "ana@example.com", Subject: "x\r\nBcc: b@example.com", Text: "x"})
	if !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("err = %v, want ErrInvalidMessage", err)
	}
	if len(box.List()) != 0 || logs.String() != "" {
		t.Error("an invalid message was kept or logged")
	}
}

func TestDevMailboxConcurrentSends(t *testing.T) {
	t.Parallel()
	s, box, _ := newDev(t)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 20 {
				_ = s.Send(context.Background(), Message{To: "a@example.com", Subject: fmt.Sprintf("%d-%d", i, j), Text: "x"})
				box.List()
			}
		})
	}
	wg.Wait()
	if n := len(box.List()); n != 200 {
		t.Errorf("after 320 concurrent sends the mailbox holds %d, want 200", n)
	}
}

func TestFirstLink(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"no link here":                                     "",
		"see https://a.example.com/x?y=1.":                 "https://a.example.com/x?y=1",
		"(http://a.example.com/path)":                      "http://a.example.com/path",
		"ftp://no.example.com then http://yes.example.com": "http://yes.example.com",
		"<https://a.example.com/b>":                        "https://a.example.com/b",
	}
	for in, want := range cases {
		if got := firstLink(in); got != want {
			t.Errorf("firstLink(%q) = %q, want %q", in, got, want)
		}
	}
}
