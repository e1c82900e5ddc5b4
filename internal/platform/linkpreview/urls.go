package linkpreview

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxURLs is how many links in one message get a card; more would bury the
// message under its previews.
const maxURLs = 3

// URLs returns up to three distinct http(s) URLs found in chat text, in
// order of appearance. A URL runs from "http://" or "https://" to the next
// space, quote or angle bracket; trailing sentence punctuation and an
// unbalanced closing bracket (as in "(see https://x.example/a)") are not
// part of it.
func URLs(text string) []string {
	var out []string
	seen := make(map[string]bool)
	for i := 0; i < len(text) && len(out) < maxURLs; {
		n := schemeLen(text[i:])
		if n == 0 || (i > 0 && wordByte(text[i-1])) {
			i++
			continue
		}
		end := i + n
		for end < len(text) {
			r, size := utf8.DecodeRuneInString(text[end:])
			if !urlRune(r) {
				break
			}
			end += size
		}
		raw := trimTrailing(text[i:end])
		i = end
		if len(raw) <= n {
			continue
		}
		u, err := normalize(raw)
		if err != nil || seen[u.String()] {
			continue
		}
		seen[u.String()] = true
		out = append(out, raw)
	}
	return out
}

// schemeLen returns the length of a case-insensitive "http://" or
// "https://" at the start of s, or 0.
func schemeLen(s string) int {
	for _, p := range []string{"http://", "https://"} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return len(p)
		}
	}
	return 0
}

// wordByte reports whether b glues a following "http" into a longer word
// ("xhttp://..."), which is then not a link.
func wordByte(b byte) bool {
	return b == '_' || b == '/' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// urlRune reports whether r can continue a URL in running text. Non-ASCII
// letters are kept (internationalised paths); non-ASCII punctuation such as
// "。" or "，" ends the URL, as it does in chat clients.
func urlRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r > ' ' && r != 0x7f && !strings.ContainsRune(`<>"`+"`", r)
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// trimTrailing drops punctuation that ends a sentence rather than the URL.
func trimTrailing(s string) string {
	for len(s) > 0 {
		last := s[len(s)-1]
		switch last {
		case '.', ',', ';', ':', '!', '?', '\'', '*', '~':
			s = s[:len(s)-1]
			continue
		case ')', ']', '}':
			open := map[byte]byte{')': '(', ']': '[', '}': '{'}[last]
			if strings.Count(s, string(open)) < strings.Count(s, string(last)) {
				s = s[:len(s)-1]
				continue
			}
		}
		return s
	}
	return s
}

// normalize checks that raw is a link the fetcher will follow and returns
// its canonical form, used both for the request and as the cache key: scheme
// and host lower-cased, default port and fragment dropped, empty path "/".
func normalize(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > maxURLLen {
		return nil, fmt.Errorf("%w: empty or too long", ErrInvalidURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidURL, err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w: scheme %q", ErrInvalidURL, u.Scheme)
	}
	// Credentials in a shared link are either a leak or a trick
	// ("https://bank.example@evil.example/"); neither gets fetched.
	if u.User != nil {
		return nil, fmt.Errorf("%w: credentials in URL", ErrInvalidURL)
	}
	host := strings.ToLower(u.Hostname())
	if u.Opaque != "" || host == "" {
		return nil, fmt.Errorf("%w: no host", ErrInvalidURL)
	}
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	switch {
	case port != "":
		u.Host = net.JoinHostPort(host, port)
	case strings.Contains(host, ":"):
		u.Host = "[" + host + "]"
	default:
		u.Host = host
	}
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" {
		u.Path, u.RawPath = "/", ""
	}
	return u, nil
}
