package web

import (
	"net/url"
	"strings"
	"time"
)

// MailView is one mail of the dev mailbox, as the pages show it. The app
// copies it from the mail package's dev Mailbox; everything in it is
// untrusted text and is escaped when drawn.
type MailView struct {
	ID, To, Subject, Text, HTML string
	SentAt                      time.Time
}

// mailboxPath is where the dev mailbox pages live.
const mailboxPath = "/dev/mailbox"

// mailURL is the address of one mail's page.
func mailURL(id string) string {
	return mailboxPath + "/" + url.PathEscape(id)
}

// mailSubject is the subject to show; a mail without one still gets a label.
func mailSubject(m MailView) string {
	if s := strings.TrimSpace(m.Subject); s != "" {
		return s
	}
	return "(no subject)"
}

// mailTime writes t as "2026-03-14 15:09:26 UTC".
func mailTime(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

func mailTimeISO(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
