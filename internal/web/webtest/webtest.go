// Package webtest holds checks shared by the tests of Kite's pages: parsing
// a page, finding its elements, and the rules every page keeps under the
// strict Content-Security-Policy (no inline script, style or handler).
package webtest

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// Parse parses a page or fails the test.
func Parse(t testing.TB, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	return doc
}

// FindAll returns the elements under n for which match is true, in
// document order.
func FindAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for c := range n.Descendants() {
		if c.Type == html.ElementNode && match(c) {
			out = append(out, c)
		}
	}
	return out
}

// Find returns the first element matching a selector, or nil. A selector
// is one or more simple selectors separated by spaces (descendants):
// "tag", "#id", ".class", "[attr]", "[attr=value]", "[attr^=prefix]",
// "[attr$=suffix]", each optionally after a tag name ("form[action=/x]
// button").
func Find(n *html.Node, selector string) *html.Node {
	if n == nil {
		return nil
	}
	all := Select(n, selector)
	if len(all) == 0 {
		return nil
	}
	return all[0]
}

// Select returns every element under n matching a selector (see Find), in
// document order.
func Select(n *html.Node, selector string) []*html.Node {
	parts := splitSelector(selector)
	if n == nil || len(parts) == 0 {
		return nil
	}
	found := FindAll(n, Matcher(parts[0]))
	for _, part := range parts[1:] {
		seen := map[*html.Node]bool{}
		var next []*html.Node
		for _, f := range found {
			for _, e := range FindAll(f, Matcher(part)) {
				if !seen[e] {
					seen[e] = true
					next = append(next, e)
				}
			}
		}
		found = next
	}
	return found
}

// splitSelector splits at spaces outside brackets.
func splitSelector(selector string) []string {
	var parts []string
	depth, start := 0, 0
	for i, r := range selector {
		switch {
		case r == '[':
			depth++
		case r == ']':
			depth--
		case r == ' ' && depth == 0:
			if p := selector[start:i]; p != "" {
				parts = append(parts, p)
			}
			start = i + 1
		}
	}
	if p := selector[start:]; p != "" {
		parts = append(parts, p)
	}
	return parts
}

// Matcher turns a simple selector (one part of what Find takes) into a
// match function.
func Matcher(selector string) func(*html.Node) bool {
	tag, rest := selector, ""
	if i := strings.IndexAny(selector, "#.["); i >= 0 {
		tag, rest = selector[:i], selector[i:]
	}
	return func(e *html.Node) bool {
		if tag != "" && e.Data != tag {
			return false
		}
		switch {
		case rest == "":
			return true
		case rest[0] == '#':
			return Attr(e, "id") == rest[1:]
		case rest[0] == '.':
			return HasClass(e, rest[1:])
		case rest[0] == '[':
			k, v, hasValue := strings.Cut(strings.Trim(rest, "[]"), "=")
			if !hasValue {
				return HasAttr(e, k)
			}
			v = strings.Trim(v, `"'`)
			switch {
			case strings.HasSuffix(k, "^"):
				k = strings.TrimSuffix(k, "^")
				return HasAttr(e, k) && strings.HasPrefix(Attr(e, k), v)
			case strings.HasSuffix(k, "$"):
				k = strings.TrimSuffix(k, "$")
				return HasAttr(e, k) && strings.HasSuffix(Attr(e, k), v)
			}
			return HasAttr(e, k) && Attr(e, k) == v
		}
		return false
	}
}

// Attr returns an attribute's value, or "".
func Attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// HasAttr reports whether n has the attribute.
func HasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// HasClass reports whether n has the class.
func HasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(Attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

// Text is the visible text of n with runs of white space collapsed.
func Text(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
			b.WriteByte(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// InlineCode lists what in a page would need the Content-Security-Policy
// to allow inline code: <script> without src or with content, <style>,
// style attributes, on* handlers, htmx's script attributes and javascript:
// URLs. A page may load a script from elsewhere only if its own policy
// allows it; that is checked by the browser tests.
func InlineCode(doc *html.Node) []string {
	var out []string
	for _, s := range FindAll(doc, func(e *html.Node) bool { return e.Data == "script" }) {
		if Attr(s, "src") == "" {
			out = append(out, "a <script> without src")
		}
		if s.FirstChild != nil {
			out = append(out, "a <script> with inline content")
		}
	}
	for range FindAll(doc, func(e *html.Node) bool { return e.Data == "style" }) {
		out = append(out, "a <style> element")
	}
	for _, e := range FindAll(doc, func(*html.Node) bool { return true }) {
		for _, a := range e.Attr {
			switch {
			case a.Key == "style":
				out = append(out, "style attribute on <"+e.Data+">")
			case strings.HasPrefix(a.Key, "on"):
				out = append(out, "inline handler "+a.Key+" on <"+e.Data+">")
			case strings.HasPrefix(a.Key, "hx-on"), strings.HasPrefix(a.Key, "data-hx-on"), a.Key == "hx-vars",
				a.Key == "hx-vals" && strings.HasPrefix(a.Val, "js:"):
				out = append(out, "htmx script attribute "+a.Key+" on <"+e.Data+">")
			case (a.Key == "href" || a.Key == "src" || a.Key == "action" || a.Key == "formaction") &&
				strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:"):
				out = append(out, "javascript: URL on <"+e.Data+">")
			}
		}
	}
	return out
}

// CheckPage fails the test for inline code in a page and for form
// controls without a label; name says which page it is.
func CheckPage(t testing.TB, name, body string) {
	t.Helper()
	doc := Parse(t, body)
	for _, p := range InlineCode(doc) {
		t.Errorf("%s: %s", name, p)
	}
	for _, p := range UnlabelledControls(doc) {
		t.Errorf("%s: %s", name, p)
	}
}

// UnlabelledControls lists visible inputs, selects and textareas that have
// no <label for>, no enclosing label and no aria-label.
func UnlabelledControls(doc *html.Node) []string {
	labelled := map[string]bool{}
	for _, l := range FindAll(doc, func(e *html.Node) bool { return e.Data == "label" }) {
		labelled[Attr(l, "for")] = true
	}
	var out []string
	for _, c := range FindAll(doc, func(e *html.Node) bool {
		return e.Data == "input" || e.Data == "select" || e.Data == "textarea"
	}) {
		if c.Data == "input" && (Attr(c, "type") == "hidden" || Attr(c, "type") == "submit") {
			continue
		}
		if HasAttr(c, "aria-label") || HasAttr(c, "aria-labelledby") || (Attr(c, "id") != "" && labelled[Attr(c, "id")]) {
			continue
		}
		inLabel := false
		for p := c.Parent; p != nil; p = p.Parent {
			if p.Type == html.ElementNode && p.Data == "label" {
				inLabel = true
			}
		}
		if !inLabel {
			out = append(out, "<"+c.Data+" name="+Attr(c, "name")+"> has no label")
		}
	}
	return out
}
