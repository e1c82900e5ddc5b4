package web

import (
	"net/url"
	"regexp"
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

// textSegment is a run of plain text, or a link when URL is set.
type textSegment struct {
	Text string
	URL  string
}

// textLinkPattern finds http and https URLs in plain text.
var textLinkPattern = regexp.MustCompile(`https?://[^\s<>"'` + "`" + `]+`)

// linkify splits plain text into text and http(s) links, so a template can
// draw the links as <a> and escape everything. Sentence punctuation right
// after a URL ("…/reset?t=1.") stays text.
func linkify(text string) []textSegment {
	var out []textSegment
	rest := 0
	for _, loc := range textLinkPattern.FindAllStringIndex(text, -1) {
		start, end := loc[0], loc[1]
		link := strings.TrimRight(text[start:end], ".,;:!?)]}")
		if u, err := url.Parse(link); err != nil || u.Host == "" {
			continue
		}
		if start > rest {
			out = append(out, textSegment{Text: text[rest:start]})
		}
		out = append(out, textSegment{Text: link, URL: link})
		rest = start + len(link)
	}
	if rest < len(text) {
		out = append(out, textSegment{Text: text[rest:]})
	}
	return out
}
