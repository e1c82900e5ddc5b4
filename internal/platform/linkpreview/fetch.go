package linkpreview

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
)

// Length caps keep a hostile page from filling a chat with its card.
const (
	maxTitle       = 200
	maxDescription = 500
	maxSiteName    = 100
	maxURLLen      = 2048
)

// fetch requests u and builds its preview from the page's <head>.
func (f *Fetcher) fetch(ctx context.Context, u *url.URL) (Preview, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Preview{}, fmt.Errorf("%w: %v", ErrInvalidURL, err)
	}
	req.Header.Set("User-Agent", f.opts.UserAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1")
	resp, err := f.client.Do(req)
	if err != nil {
		return Preview{}, fmt.Errorf("linkpreview: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Preview{}, fmt.Errorf("linkpreview: %s answered HTTP %d", u.Redacted(), resp.StatusCode)
	}

	// The limit applies after transparent gzip decoding, so a compressed
	// bomb is cut off just like a long page.
	body := bufio.NewReader(io.LimitReader(resp.Body, f.opts.MaxBytes))
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		// Some servers omit the header; sniff it as a browser would.
		head, _ := body.Peek(512)
		ct = http.DetectContentType(head)
	}
	mt, _, _ := mime.ParseMediaType(ct)
	if mt != "text/html" && mt != "application/xhtml+xml" {
		return Preview{}, fmt.Errorf("%w: %s is %q", ErrNotHTML, u.Redacted(), mt)
	}
	// charset picks the encoding from a BOM, the header or a <meta> in the
	// first KiB, and converts to UTF-8.
	r, err := charset.NewReader(body, ct)
	if err != nil {
		return Preview{}, fmt.Errorf("linkpreview: read %s: %w", u.Redacted(), err)
	}
	h, err := parseHead(r)
	if err != nil {
		return Preview{}, fmt.Errorf("linkpreview: read %s: %w", u.Redacted(), err)
	}
	return h.preview(u.String(), resp.Request.URL), nil
}

// head is what parseHead collects: meta tags by lower-cased property or
// name (first occurrence wins, as browsers and crawlers do), plus the few
// elements used as fallbacks.
type head struct {
	meta     map[string]string
	title    string
	base     string
	imageSrc string
}

// parseHead tokenizes the document up to the end of <head>. A tokenizer is
// enough (no tree is needed) and lets it stop early; a body cut off by the
// byte limit simply ends the scan.
func parseHead(r io.Reader) (*head, error) {
	h := &head{meta: make(map[string]string)}
	z := html.NewTokenizer(r)
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if err := z.Err(); err != io.EOF {
				return nil, err
			}
			return h, nil
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "head" {
				return h, nil
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "body":
				return h, nil
			case "title":
				// The tokenizer treats <title> as raw text, so its content
				// arrives as one text token.
				if tt == html.StartTagToken && h.title == "" && z.Next() == html.TextToken {
					h.title = string(z.Text())
				}
			case "meta", "link", "base":
				if !hasAttr {
					continue
				}
				h.element(string(name), attrs(z))
			}
		}
	}
}

func attrs(z *html.Tokenizer) map[string]string {
	a := make(map[string]string, 4)
	for {
		k, v, more := z.TagAttr()
		if _, seen := a[string(k)]; !seen {
			a[string(k)] = string(v)
		}
		if !more {
			return a
		}
	}
}

func (h *head) element(name string, a map[string]string) {
	switch name {
	case "meta":
		// Open Graph uses property=, Twitter and plain HTML use name=, and
		// plenty of sites mix them up, so both are read.
		key := a["property"]
		if key == "" {
			key = a["name"]
		}
		key = strings.ToLower(strings.TrimSpace(key))
		content, ok := a["content"]
		if key == "" || !ok {
			return
		}
		if _, seen := h.meta[key]; !seen {
			h.meta[key] = content
		}
	case "link":
		if h.imageSrc == "" && hasToken(a["rel"], "image_src") {
			h.imageSrc = a["href"]
		}
	case "base":
		if h.base == "" {
			h.base = a["href"]
		}
	}
}

func hasToken(list, want string) bool {
	for _, t := range strings.Fields(list) {
		if strings.EqualFold(t, want) {
			return true
		}
	}
	return false
}

// preview picks each field from the most specific source available: Open
// Graph, then Twitter cards, then plain HTML.
func (h *head) preview(link string, final *url.URL) Preview {
	p := Preview{URL: link}
	p.Title = clean(h.first("og:title", "twitter:title"), maxTitle)
	if p.Title == "" {
		p.Title = clean(h.title, maxTitle)
	}
	p.Description = clean(h.first("og:description", "twitter:description", "description"), maxDescription)
	p.SiteName = clean(h.first("og:site_name", "application-name"), maxSiteName)

	// Relative image URLs are relative to the page that was finally served
	// (after redirects), or to its <base>.
	base := final
	if h.base != "" {
		if b, err := final.Parse(strings.TrimSpace(h.base)); err == nil {
			base = b
		}
	}
	for _, key := range []string{"og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"} {
		if p.Image = imageURL(base, h.meta[key]); p.Image != "" {
			return p
		}
	}
	p.Image = imageURL(base, h.imageSrc)
	return p
}

func (h *head) first(keys ...string) string {
	for _, k := range keys {
		if v := strings.TrimSpace(h.meta[k]); v != "" {
			return v
		}
	}
	return ""
}

// imageURL resolves ref against base and keeps it only if it is a plain
// http(s) URL: the card's <img> must not carry javascript:, data: or
// credentials. The image is loaded by the reader's browser, not the server.
func imageURL(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || len(ref) > maxURLLen {
		return ""
	}
	u, err := base.Parse(ref)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return ""
	}
	s := u.String()
	if len(s) > maxURLLen {
		return ""
	}
	return s
}

// clean makes page text fit for a card: valid UTF-8, no control or
// direction-override characters (which could make the card misrepresent
// the link), whitespace collapsed, and at most limit runes.
func clean(s string, limit int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r):
			return ' '
		case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)[:limit-1]
	return strings.TrimRightFunc(string(r), unicode.IsSpace) + "…"
}
