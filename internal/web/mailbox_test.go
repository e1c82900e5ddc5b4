package web

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"
	"golang.org/x/net/html"
)

// renderPage writes c through Render and returns the body.
func renderPage(t *testing.T, c templ.Component) string {
	t.Helper()
	rec := httptest.NewRecorder()
	Render(rec, httptest.NewRequest(http.MethodGet, "/dev/mailbox", nil), http.StatusOK, c)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	return rec.Body.String()
}

// checkNoInlineCode fails on inline scripts, styles and handlers, which
// the Content-Security-Policy would block.
func checkNoInlineCode(t *testing.T, doc *html.Node) {
	t.Helper()
	for _, s := range findAll(doc, tag("script")) {
		if attr(s, "src") == "" || s.FirstChild != nil {
			t.Error("inline <script>")
		}
	}
	if len(findAll(doc, tag("style"))) != 0 {
		t.Error("<style> element")
	}
	for _, e := range findAll(doc, func(*html.Node) bool { return true }) {
		for _, a := range e.Attr {
			if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
				t.Errorf("attribute %s on <%s>", a.Key, e.Data)
			}
			if (a.Key == "href" || a.Key == "src") && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") {
				t.Errorf("javascript: URL on <%s>", e.Data)
			}
		}
	}
}

var mailSentAt = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func TestMailboxPageListsMails(t *testing.T) {
	t.Parallel()
	mails := []MailView{
		{ID: "b2", To: "ana@example.com", Subject: "Reset your password", Text: "x", SentAt: mailSentAt},
		{ID: "a1", To: "Bo <bo@example.com>", Subject: "<script>alert(1)</script> invite", Text: "y", SentAt: mailSentAt.Add(-time.Hour)},
	}
	doc := parseHTML(t, renderPage(t, MailboxPage(mails)))
	checkNoInlineCode(t, doc)

	if title := findAll(doc, tag("title")); len(title) != 1 || text(title[0]) != "Dev mailbox · Kite" {
		t.Error(`want the title "Dev mailbox · Kite"`)
	}
	current := findAll(doc, func(e *html.Node) bool { return attr(e, "aria-current") == "page" })
	if len(current) != 1 || !strings.Contains(text(current[0]), "System status") {
		t.Error("System status is not the current navigation item")
	}
	header := findAll(doc, func(e *html.Node) bool { return hasClass(e, "page-header") })
	if len(header) != 1 || !strings.Contains(text(header[0]), "No SMTP server is configured") || !strings.Contains(text(header[0]), "KITE_SMTP_URL") {
		t.Error("the page does not say it exists because no SMTP server is configured")
	}
	if len(findAll(doc, func(e *html.Node) bool { return hasClass(e, "empty-state") })) != 0 {
		t.Error("empty state shown although there are mails")
	}

	rows := findAll(doc, func(e *html.Node) bool { return e.Data == "tr" && hasAttr(e, "data-mail-id") })
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	want := []struct{ id, to, subject, href, sent, iso string }{
		{"b2", "ana@example.com", "Reset your password", "/dev/mailbox/b2", "2026-03-14 15:09:26 UTC", "2026-03-14T15:09:26Z"},
		{"a1", "Bo <bo@example.com>", "<script>alert(1)</script> invite", "/dev/mailbox/a1", "2026-03-14 14:09:26 UTC", "2026-03-14T14:09:26Z"},
	}
	for i, w := range want {
		row := rows[i]
		if attr(row, "data-mail-id") != w.id {
			t.Errorf("row %d is mail %q, want %q (order as given)", i, attr(row, "data-mail-id"), w.id)
		}
		cells := findAll(row, func(e *html.Node) bool { return e.Data == "td" || e.Data == "th" })
		if len(cells) != 3 {
			t.Fatalf("row %d has %d cells", i, len(cells))
		}
		if got := text(cells[0]); got != w.to {
			t.Errorf("row %d To = %q, want %q", i, got, w.to)
		}
		links := findAll(cells[1], tag("a"))
		if len(links) != 1 || attr(links[0], "href") != w.href || text(links[0]) != w.subject {
			t.Errorf("row %d subject cell = %q, want a link %q to %s", i, text(cells[1]), w.subject, w.href)
		}
		times := findAll(cells[2], tag("time"))
		if len(times) != 1 || text(times[0]) != w.sent || attr(times[0], "datetime") != w.iso {
			t.Errorf("row %d time = %q, want %q", i, text(cells[2]), w.sent)
		}
	}
	// The subject with markup is text, not a script.
	for _, s := range findAll(doc, tag("script")) {
		if attr(s, "src") == "" {
			t.Error("the subject became a <script>")
		}
	}
}

func TestMailboxPageEmpty(t *testing.T) {
	t.Parallel()
	doc := parseHTML(t, renderPage(t, MailboxPage(nil)))
	checkNoInlineCode(t, doc)
	empty := findAll(doc, func(e *html.Node) bool { return hasClass(e, "empty-state") })
	if len(empty) != 1 || !strings.Contains(text(empty[0]), "No mail yet") {
		t.Error("want the empty state \"No mail yet\"")
	}
	if len(findAll(doc, tag("table"))) != 0 {
		t.Error("an empty mailbox still draws a table")
	}
	if !strings.Contains(text(doc), "No SMTP server is configured") {
		t.Error("the empty page lacks the note about SMTP")
	}
}

func TestMailPageLinksTextAndEscapesHTML(t *testing.T) {
	t.Parallel()
	body := "Hello <b>Ana</b> & team,\n\n" +
		"  Set a new password: https://kite.example.com/reset?token=abc&u=1.\n" +
		"Or open (http://localhost:8080/invite/x)\n" +
		"Not links: javascript:alert(1) ftp://files.example.com https://\n" +
		"\"https://kite.example.com/quoted\"onmouseover=alert(1)"
	htmlPart := `<p onclick="steal()">Hi</p><script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:alert(3)">x</a>`
	m := MailView{ID: "m1", To: "Ana <ana@example.com>", Subject: "Reset <your> password", Text: body, HTML: htmlPart, SentAt: mailSentAt}
	doc := parseHTML(t, renderPage(t, MailPage(m)))
	checkNoInlineCode(t, doc)

	if h1 := findAll(doc, tag("h1")); len(h1) != 1 || text(h1[0]) != "Reset <your> password" {
		t.Error("the heading is not the escaped subject")
	}
	if got := kvValue(t, doc, "To"); got != "Ana <ana@example.com>" {
		t.Errorf("To = %q", got)
	}
	if got := kvValue(t, doc, "Sent"); got != "2026-03-14 15:09:26 UTC" {
		t.Errorf("Sent = %q", got)
	}
	back := findAll(doc, func(e *html.Node) bool { return e.Data == "a" && attr(e, "href") == "/dev/mailbox" })
	if len(back) != 1 {
		t.Error("no link back to the mailbox")
	}

	pre := findAll(doc, func(e *html.Node) bool { return hasAttr(e, "data-mail-text") })
	if len(pre) != 1 || pre[0].Data != "pre" {
		t.Fatal("want one <pre data-mail-text>")
	}
	if got := rawText(pre[0]); got != body {
		t.Errorf("text body changed on the page:\n got %q\nwant %q", got, body)
	}
	var hrefs []string
	for _, a := range findAll(pre[0], tag("a")) {
		hrefs = append(hrefs, attr(a, "href"))
		if text(a) != attr(a, "href") {
			t.Errorf("link text %q differs from its href %q", text(a), attr(a, "href"))
		}
	}
	wantHrefs := []string{
		"https://kite.example.com/reset?token=abc&u=1",
		"http://localhost:8080/invite/x",
		"https://kite.example.com/quoted",
	}
	if !reflect.DeepEqual(hrefs, wantHrefs) {
		t.Errorf("links %q, want %q", hrefs, wantHrefs)
	}
	if n := len(findAll(pre[0], func(e *html.Node) bool { return e.Type == html.ElementNode && e.Data != "a" })); n != 0 {
		t.Errorf("the text body produced %d elements other than links", n)
	}

	src := findAll(doc, func(e *html.Node) bool { return hasAttr(e, "data-mail-html") })
	if len(src) != 1 {
		t.Fatal("want the HTML part as source")
	}
	if got := rawText(src[0]); got != htmlPart {
		t.Errorf("HTML source shown as %q, want %q", got, htmlPart)
	}
	for _, name := range []string{"p", "img", "script", "a"} {
		if n := len(findAll(src[0], tag(name))); n != 0 {
			t.Errorf("the HTML part was rendered: %d <%s> elements", n, name)
		}
	}
	if len(findAll(doc, tag("iframe"))) != 0 {
		t.Error("the HTML part is embedded in a frame")
	}
}

func TestMailPageWithoutHTML(t *testing.T) {
	t.Parallel()
	doc := parseHTML(t, renderPage(t, MailPage(MailView{ID: "x", To: "a@example.com", Subject: "Hi", Text: "plain", SentAt: mailSentAt})))
	if len(findAll(doc, func(e *html.Node) bool { return hasAttr(e, "data-mail-html") })) != 0 {
		t.Error("an HTML card for a mail without HTML")
	}
	if strings.Contains(text(doc), "HTML source") {
		t.Error("the page mentions an HTML part that does not exist")
	}
}

func TestLinkify(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want []TextPart
	}{
		{"", nil},
		{"no links", []TextPart{{Text: "no links"}}},
		{"https://a.example.com", []TextPart{{Text: "https://a.example.com", Href: "https://a.example.com"}}},
		{"go to http://a.example.com/x?y=1, then", []TextPart{
			{Text: "go to "}, {Text: "http://a.example.com/x?y=1", Href: "http://a.example.com/x?y=1"}, {Text: ", then"},
		}},
		{"https:// alone", []TextPart{{Text: "https:// alone"}}},
		{"http://.", []TextPart{{Text: "http://."}}},
	}
	for _, tc := range cases {
		if got := Linkify(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Linkify(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

// rawText is the text inside n exactly as a browser shows it, whitespace
// included.
func rawText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}
