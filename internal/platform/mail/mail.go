// Package mail sends Kite's own transactional mail: password resets,
// invitations, notifications.
//
// With an SMTP server configured (KITE_SMTP_URL, see ParseURL) a Sender
// delivers through it and reports whether a failure is worth retrying
// (IsTemporary). Without one, mail is never lost on a fresh machine: every
// message is written to the log, with the first link of its body, and kept
// in an in-memory dev Mailbox that the web UI shows at /dev/mailbox.
//
// Customer conversations over email are not sent here; they belong to the
// email channel.
package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Message is one mail to one person.
type Message struct {
	To      string // one address, "ana@example.com" or "Ana <ana@example.com>"
	Subject string // one line
	Text    string // plain-text body (required)
	HTML    string // optional HTML alternative
}

// Sender delivers messages. Implementations are safe for concurrent use.
type Sender interface {
	// Send delivers m or returns why it could not. A message that fails
	// validation is refused with an error wrapping ErrInvalidMessage and is
	// never sent; IsTemporary tells whether another failure is worth a retry.
	Send(ctx context.Context, m Message) error
}

// Options configures New.
type Options struct {
	URL     string        // KITE_SMTP_URL; empty = dev mailbox + log
	From    string        // default sender "Kite <kite@localhost>" when the URL has no from
	Logger  *slog.Logger  // nil means slog.Default(), so dev links are never lost
	Timeout time.Duration // per send, default 15s
}

// defaultFrom is the sender used when neither the URL nor Options name one.
const defaultFrom = "Kite <kite@localhost>"

// defaultTimeout bounds one send when Options.Timeout is not set.
const defaultTimeout = 15 * time.Second

// New returns the Sender the configuration asks for. With an empty URL that
// is the dev sender, and the Mailbox it keeps mail in; with an SMTP URL the
// Mailbox is nil. A malformed URL or sender address is an error of one line
// that names the setting (KITE_SMTP_URL) and what is wrong with it, never
// the password. New does not connect to the server.
func New(o Options) (Sender, *Mailbox, error) {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	fromOpt := o.From
	if strings.TrimSpace(fromOpt) == "" {
		fromOpt = defaultFrom
	}
	if strings.TrimSpace(o.URL) == "" {
		if _, err := parseFrom(fromOpt); err != nil {
			return nil, nil, fmt.Errorf("mail: Options.From: %w", err)
		}
		box := &Mailbox{}
		return &devSender{box: box, log: log}, box, nil
	}
	cfg, err := ParseURL(o.URL)
	if err != nil {
		return nil, nil, err
	}
	fromRaw, origin := cfg.From, "KITE_SMTP_URL: from"
	if fromRaw == "" {
		fromRaw, origin = fromOpt, "mail: Options.From"
	}
	from, err := parseFrom(fromRaw)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", origin, err)
	}
	return &smtpSender{cfg: cfg, from: from, timeout: timeout, log: log}, nil, nil
}

// ErrInvalidMessage is wrapped by the error Send returns for a message that
// cannot be sent as it is (no valid recipient, an empty or multi-line
// subject, no text). Such a failure is permanent.
var ErrInvalidMessage = errors.New("invalid mail message")

// validate checks m and returns its parsed recipient. Header values are
// checked here, before any library sees them, so no line break can smuggle
// in a header of its own.
func validate(m Message) (*mail.Address, error) {
	if strings.TrimSpace(m.To) == "" {
		return nil, fmt.Errorf("mail: %w: no recipient", ErrInvalidMessage)
	}
	if hasControl(m.To) {
		return nil, fmt.Errorf("mail: %w: recipient contains a line break or control character", ErrInvalidMessage)
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("mail: %w: recipient %q is not one valid address: %v", ErrInvalidMessage, m.To, err)
	}
	switch {
	case strings.TrimSpace(m.Subject) == "":
		return nil, fmt.Errorf("mail: %w: empty subject", ErrInvalidMessage)
	case !utf8.ValidString(m.Subject):
		return nil, fmt.Errorf("mail: %w: subject is not valid UTF-8", ErrInvalidMessage)
	case strings.ContainsAny(m.Subject, "\r\n"):
		return nil, fmt.Errorf("mail: %w: subject contains a line break", ErrInvalidMessage)
	case hasControl(m.Subject):
		return nil, fmt.Errorf("mail: %w: subject contains a control character", ErrInvalidMessage)
	case strings.TrimSpace(m.Text) == "":
		return nil, fmt.Errorf("mail: %w: empty text body", ErrInvalidMessage)
	case !utf8.ValidString(m.Text) || !utf8.ValidString(m.HTML):
		return nil, fmt.Errorf("mail: %w: body is not valid UTF-8", ErrInvalidMessage)
	}
	return to, nil
}

// hasControl reports whether s holds a control character other than a tab.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r != '\t' && unicode.IsControl(r) })
}

// parseFrom parses a sender such as "Kite <noreply@example.com>".
func parseFrom(s string) (*mail.Address, error) {
	if hasControl(s) {
		return nil, errors.New("sender address contains a line break or control character")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a valid sender address (want \"Name <addr@example.com>\" or \"addr@example.com\"): %v", s, err)
	}
	return a, nil
}
