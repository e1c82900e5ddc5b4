package mail

import (
	"context"
	"crypto/rand"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// mailboxSize is how many mails the dev Mailbox keeps; older ones are dropped.
const mailboxSize = 200

// Stored is one mail kept in the dev Mailbox.
type Stored struct {
	ID                      string // unguessable, unique within the process
	To, Subject, Text, HTML string
	SentAt                  time.Time
}

// Mailbox keeps the last 200 mails sent while no SMTP server is
// configured, so sign-up, reset and invitation links can be followed on a
// development machine. It lives in memory only: a restart empties it, and
// each replica has its own. It is safe for concurrent use; the zero value
// is an empty mailbox.
type Mailbox struct {
	mu    sync.Mutex
	mails []Stored // oldest first
}

// add keeps s, dropping the oldest mail when the mailbox is full.
func (b *Mailbox) add(s Stored) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.mails) >= mailboxSize {
		b.mails = slices.Delete(b.mails, 0, len(b.mails)-mailboxSize+1)
	}
	b.mails = append(b.mails, s)
}

// List returns the kept mails, newest first. The slice is the caller's.
func (b *Mailbox) List() []Stored {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := slices.Clone(b.mails)
	slices.Reverse(out)
	return out
}

// Get returns the kept mail with the given ID; false when there is none
// (never sent, or already dropped).
func (b *Mailbox) Get(id string) (Stored, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.mails) - 1; i >= 0; i-- {
		if b.mails[i].ID == id {
			return b.mails[i], true
		}
	}
	return Stored{}, false
}

// devSender logs each message and keeps it in a Mailbox instead of sending.
type devSender struct {
	box *Mailbox
	log *slog.Logger
}

// Send validates m like the SMTP sender does, so a bad message fails in
// development too, then logs one line and keeps the mail.
func (d *devSender) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := validate(m); err != nil {
		return err
	}
	s := Stored{
		ID:      strings.ToLower(rand.Text()),
		To:      m.To,
		Subject: m.Subject,
		Text:    m.Text,
		HTML:    m.HTML,
		SentAt:  time.Now().UTC(),
	}
	d.box.add(s)
	d.log.InfoContext(ctx, "mail not sent, no SMTP server configured (KITE_SMTP_URL); kept in the dev mailbox",
		"to", m.To, "subject", m.Subject, "link", firstLink(m.Text), "mailbox", "/dev/mailbox/"+s.ID)
	return nil
}

// linkPattern finds http and https URLs in plain text.
var linkPattern = regexp.MustCompile(`https?://[^\s<>"'` + "`" + `]+`)

// firstLink returns the first http(s) URL in text, without trailing
// sentence punctuation, or "" when there is none.
func firstLink(text string) string {
	return strings.TrimRight(linkPattern.FindString(text), ".,;:!?)]}")
}
