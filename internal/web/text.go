package web

import (
	"net/url"
	"regexp"
	"strings"
)

// TextPart is a run of plain text, or a link when Href is set: how pages
// draw text people wrote (notes, mails, chat messages) with its web
// addresses as links and everything else escaped.
type TextPart struct{ Text, Href string }

var webAddress = regexp.MustCompile(`https?://[^\s<>"]+`)

// Linkify splits text into plain runs and links to http(s) addresses.
// Punctuation that ends a sentence is not part of the address.
func Linkify(text string) []TextPart {
	var out []TextPart
	last := 0
	for _, m := range webAddress.FindAllStringIndex(text, -1) {
		start, end := m[0], m[1]
		end = start + len(trimAddress(text[start:end]))
		href := SafeHTTPURL(text[start:end])
		if href == "" {
			continue
		}
		if start > last {
			out = append(out, TextPart{Text: text[last:start]})
		}
		out = append(out, TextPart{Text: text[start:end], Href: href})
		last = end
	}
	if last < len(text) {
		out = append(out, TextPart{Text: text[last:]})
	}
	return out
}

// trimAddress drops trailing punctuation, keeping a closing parenthesis
// the address opened (as in Wikipedia links).
func trimAddress(a string) string {
	for a != "" {
		last := a[len(a)-1]
		switch {
		case strings.IndexByte(".,;:!?'*]}", last) >= 0:
		case last == ')' && strings.Count(a, "(") < strings.Count(a, ")"):
		default:
			return a
		}
		a = a[:len(a)-1]
	}
	return a
}

// SafeHTTPURL returns raw when it is an http or https address with a
// host, and "" for anything else (javascript:, data:, relative paths).
func SafeHTTPURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}
