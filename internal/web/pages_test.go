package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"golang.org/x/net/html"

	"github.com/kite-crm/kite/internal/web/webtest"
)

// kvValue returns the text of the value of the KeyValue row labelled key.
func kvValue(t *testing.T, doc *html.Node, key string) string {
	t.Helper()
	for _, row := range findAll(doc, func(e *html.Node) bool { return hasClass(e, "kv-row") }) {
		dts := findAll(row, tag("dt"))
		dds := findAll(row, tag("dd"))
		if len(dts) == 1 && len(dds) == 1 && text(dts[0]) == key {
			return text(dds[0])
		}
	}
	t.Fatalf("no row %q on the page", key)
	return ""
}

func TestStatusPageShowsEveryField(t *testing.T) {
	t.Parallel()
	mux, _, _ := newTestMux(t, staticStatus(fakeStatus()))
	res, body := get(t, mux, "/status")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	if got := res.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	doc := parseHTML(t, body)

	checks := map[string]string{
		"Version":        "v1.4.2",
		"Database":       "PostgreSQL",
		"Location":       "db.internal:5432/kite",
		"Schema version": "12 of 14 behind",
		"Uptime":         "3h 12m",
		"Started":        "2026-03-14 11:56 UTC",
		"Updated":        "15:09:26 UTC",
	}
	for key, want := range checks {
		if got := kvValue(t, doc, key); !strings.HasPrefix(got, want) {
			t.Errorf("%s = %q, want it to start with %q", key, got, want)
		}
	}
	badges := findAll(doc, func(e *html.Node) bool { return hasClass(e, "badge-warning") && text(e) == "behind" })
	if len(badges) != 1 {
		t.Errorf("want one warning badge \"behind\", found %d", len(badges))
	}

	wantQueue := map[string]string{
		"available": "3", "scheduled": "0", "running": "1", "retryable": "2",
		"completed": "12,873", "cancelled": "0", "discarded": "5",
	}
	rows := findAll(doc, func(e *html.Node) bool { return e.Data == "tr" && hasAttr(e, "data-state") })
	if len(rows) != len(wantQueue) {
		t.Fatalf("queue table has %d rows, want %d", len(rows), len(wantQueue))
	}
	for i, row := range rows {
		state := attr(row, "data-state")
		if state != queueStates[i].state {
			t.Errorf("row %d is %q, want %q (fixed order)", i, state, queueStates[i].state)
		}
		cells := findAll(row, func(e *html.Node) bool { return e.Data == "td" || e.Data == "th" })
		if got := text(cells[0]); !strings.EqualFold(got, state) {
			t.Errorf("row %q labelled %q", state, got)
		}
		if got := text(cells[len(cells)-1]); got != wantQueue[state] {
			t.Errorf("%s count = %q, want %q", state, got, wantQueue[state])
		}
	}
}

func TestStatusPageSchemaCurrent(t *testing.T) {
	t.Parallel()
	d := fakeStatus()
	d.SchemaVersion = 14
	mux, _, _ := newTestMux(t, staticStatus(d))
	_, body := get(t, mux, "/status")
	doc := parseHTML(t, body)
	if got := kvValue(t, doc, "Schema version"); !strings.HasPrefix(got, "14 of 14 current") {
		t.Errorf("Schema version = %q, want \"14 of 14 current…\"", got)
	}
	if len(findAll(doc, func(e *html.Node) bool { return hasClass(e, "badge-success") && text(e) == "current" })) != 1 {
		t.Error("want one success badge \"current\"")
	}
}

func TestStatusPageNeverShowsAPassword(t *testing.T) {
	t.Parallel()
	for _, where := range []string{
		"postgres://kite:s3cret-pw@db.internal:5432/kite",
		"host=db.internal port=5432 dbname=kite password=s3cret-pw",
		"postgres://db.internal/kite?password=s3cret-pw&sslmode=require",
	} {
		d := fakeStatus()
		d.DatabaseWhere = where
		mux, _, _ := newTestMux(t, staticStatus(d))
		_, body := get(t, mux, "/status")
		if strings.Contains(body, "s3cret-pw") {
			t.Errorf("the page shows the password of %q", where)
		}
		if !strings.Contains(body, "db.internal") {
			t.Errorf("the page lost the host of %q", where)
		}
	}
}

func TestStatusPageEmptyQueue(t *testing.T) {
	t.Parallel()
	d := fakeStatus()
	d.Queue = nil
	mux, _, _ := newTestMux(t, staticStatus(d))
	_, body := get(t, mux, "/status")
	doc := parseHTML(t, body)
	if rows := findAll(doc, tag("tr")); len(rows) != 0 {
		t.Errorf("empty queue still draws %d table rows", len(rows))
	}
	empty := findAll(doc, func(e *html.Node) bool { return hasClass(e, "empty-state") })
	if len(empty) != 1 || !strings.Contains(text(empty[0]), "No queue information") {
		t.Error("empty queue: want the empty state")
	}
}

func TestStatusPageRefreshesLiveCard(t *testing.T) {
	t.Parallel()
	mux, _, _ := newTestMux(t, staticStatus(fakeStatus()))
	_, body := get(t, mux, "/status")
	doc := parseHTML(t, body)
	live := byID(doc, "status-live")
	if live == nil {
		t.Fatal("no #status-live")
	}
	want := map[string]string{"hx-get": "/status", "hx-select": "#status-live", "hx-trigger": "every 5s", "hx-swap": "outerHTML"}
	for k, v := range want {
		if got := attr(live, k); got != v {
			t.Errorf("#status-live %s = %q, want %q", k, got, v)
		}
	}
	// The refreshed part must hold the numbers that change.
	if !strings.Contains(text(live), "3h 12m") || !strings.Contains(text(live), "12,873") {
		t.Error("#status-live does not hold the uptime and the queue counts")
	}
	if strings.Contains(text(live), "PostgreSQL") {
		t.Error("#status-live holds the static application card too")
	}
}

func TestStatusPageErrorCard(t *testing.T) {
	t.Parallel()
	mux, _, logs := newTestMux(t, func(context.Context) (StatusData, error) {
		return StatusData{}, errors.New("dial tcp 10.0.0.7:5432: connection refused")
	})
	res, body := get(t, mux, "/status")
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", res.StatusCode)
	}
	if got := res.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	doc := parseHTML(t, body)
	alerts := findAll(doc, func(e *html.Node) bool { return attr(e, "role") == "alert" && hasClass(e, "card-danger") })
	if len(alerts) != 1 || !strings.Contains(text(alerts[0]), "Status unavailable") {
		t.Fatal("want one error card \"Status unavailable\" with role=alert")
	}
	if !strings.Contains(text(alerts[0]), "v1.4.2") {
		t.Error("the error card does not show the version")
	}
	if strings.Contains(body, "10.0.0.7") {
		t.Error("the page shows the internal error")
	}
	if !strings.Contains(logs.String(), "connection refused") {
		t.Error("the error was not logged")
	}
	page := byID(doc, "status-page")
	if page == nil || attr(page, "hx-trigger") != "every 5s" || attr(page, "hx-select") != "#status-page" {
		t.Error("the error page does not retry by itself")
	}
	if title := findAll(doc, tag("title")); len(title) != 1 || text(title[0]) != "System status · Kite" {
		t.Error("the error page lost its title")
	}
}

func TestHomeIsLeftToTheDashboard(t *testing.T) {
	t.Parallel()
	// "/" is the dashboard of the organization pages; this package alone
	// does not answer it.
	mux, _, _ := newTestMux(t, staticStatus(fakeStatus()))
	if res, _ := get(t, mux, "/"); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET / on the web package alone: status %d, want 404", res.StatusCode)
	}
}

func TestNotFoundPage(t *testing.T) {
	t.Parallel()
	mux, _, _ := newTestMux(t, staticStatus(fakeStatus()))
	res, body := get(t, mux, "/contacts/<b>42</b>")
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("status %d, want 404", res.StatusCode)
	}
	if got := res.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	doc := parseHTML(t, body)
	if h1 := findAll(doc, tag("h1")); len(h1) != 1 || text(h1[0]) != "Page not found" {
		t.Error("want the heading \"Page not found\"")
	}
	if title := findAll(doc, tag("title")); len(title) != 1 || text(title[0]) != "Page not found · Kite" {
		t.Error("want the title \"Page not found · Kite\"")
	}
	back := findAll(doc, func(e *html.Node) bool {
		return e.Data == "a" && attr(e, "href") == "/status" && hasClass(e, "btn")
	})
	if len(back) != 1 {
		t.Error("want a link back to /status")
	}
	if len(findAll(doc, tag("b"))) != 0 {
		t.Error("the path was not escaped")
	}
}

func TestLayout(t *testing.T) {
	t.Parallel()
	mux, _, _ := newTestMux(t, staticStatus(fakeStatus()))
	_, body := get(t, mux, "/status")
	doc := parseHTML(t, body)

	if h := findAll(doc, tag("html")); len(h) != 1 || attr(h[0], "lang") != "en" {
		t.Error(`want <html lang="en">`)
	}
	if title := findAll(doc, tag("title")); len(title) != 1 || text(title[0]) != "System status · Kite" {
		t.Error("want the title \"System status · Kite\"")
	}
	skip := findAll(doc, func(e *html.Node) bool { return hasClass(e, "skip-link") })
	if len(skip) != 1 || attr(skip[0], "href") != "#main" {
		t.Error("want a skip link to #main")
	}
	if m := byID(doc, "main"); m == nil || m.Data != "main" {
		t.Error(`want <main id="main">`)
	}
	if brand := findAll(doc, func(e *html.Node) bool { return hasClass(e, "brand") }); len(brand) != 1 || text(brand[0]) != "Kite" {
		t.Error("want the product name in the top bar")
	}
	isSearch := func(e *html.Node) bool { return e.Data == "input" && attr(e, "type") == "search" }
	if len(findAll(doc, isSearch)) != 0 {
		t.Error("a page without an organization shows the search box, whose answers need one")
	}
	// In an organization the search box is a live combobox over a listbox.
	inOrg := renderDoc(t, Layout(Page{Title: "X", Shell: testShell()}))
	search := findAll(inOrg, isSearch)
	if len(search) != 1 || hasAttr(search[0], "disabled") || attr(search[0], "role") != "combobox" ||
		attr(search[0], "hx-get") != "/search/suggest" || attr(search[0], "aria-keyshortcuts") != "/" {
		t.Fatal("want one live search combobox asking /search/suggest, focused by /")
	}
	list := byID(inOrg, attr(search[0], "aria-controls"))
	if list == nil || attr(list, "role") != "listbox" || attr(search[0], "aria-expanded") != "false" {
		t.Error("the combobox does not control a closed listbox")
	}
	if form := findAll(inOrg, func(e *html.Node) bool { return e.Data == "form" && attr(e, "action") == "/search" }); len(form) != 1 {
		t.Error("Enter in the search box does not lead to the full results page")
	}
	toggle := findAll(doc, func(e *html.Node) bool { return hasAttr(e, "data-theme-toggle") })
	if len(toggle) != 1 || toggle[0].Data != "button" || attr(toggle[0], "aria-label") == "" {
		t.Error("want a theme toggle button with an aria-label")
	}
	meta := findAll(doc, func(e *html.Node) bool { return e.Data == "meta" && attr(e, "name") == "htmx-config" })
	if len(meta) != 1 || !strings.Contains(attr(meta[0], "content"), `"allowEval":false`) ||
		!strings.Contains(attr(meta[0], "content"), `"includeIndicatorStyles":false`) {
		t.Error("want htmx configured without eval and without indicator styles")
	}
}

func TestNavigation(t *testing.T) {
	t.Parallel()
	mux, _, _ := newTestMux(t, staticStatus(fakeStatus()))
	_, body := get(t, mux, "/status")
	doc := parseHTML(t, body)

	navs := findAll(doc, func(e *html.Node) bool { return e.Data == "nav" && attr(e, "aria-label") == "Main" })
	if len(navs) != 1 {
		t.Fatal(`want one <nav aria-label="Main">`)
	}
	nav := navs[0]
	items := findAll(nav, func(e *html.Node) bool { return hasClass(e, "nav-item") })
	byLabel := map[string]*html.Node{}
	for _, it := range items {
		label := findAll(it, func(e *html.Node) bool { return hasClass(e, "nav-label") })
		if len(label) == 1 {
			byLabel[text(label[0])] = it
		}
	}
	areas := []string{"Home", "Inbox", "Contacts", "Companies", "Deals", "Campaigns", "Agents", "Automation", "Analytics", "Notifications", "Settings", "System status"}
	built := map[string]string{"Home": "/", "Inbox": "/inbox", "Contacts": "/contacts", "Companies": "/companies", "Deals": "/deals", "Settings": "/settings/organization", "System status": "/status"}
	if len(items) != len(areas) {
		t.Errorf("nav has %d items, want %d", len(items), len(areas))
	}
	for _, area := range areas {
		it := byLabel[area]
		if it == nil {
			t.Errorf("nav misses %q", area)
			continue
		}
		if href, ok := built[area]; ok {
			if it.Data != "a" || attr(it, "href") != href {
				t.Errorf("%q is not a link to %s", area, href)
			}
			if (area == "System status") != (attr(it, "aria-current") == "page") {
				t.Errorf("%q: aria-current=%q on the status page", area, attr(it, "aria-current"))
			}
			continue
		}
		if it.Data == "a" || hasAttr(it, "href") {
			t.Errorf("%q is a link, but the area is not built", area)
		}
		if attr(it, "aria-disabled") != "true" {
			t.Errorf("%q lacks aria-disabled=\"true\"", area)
		}
		if !strings.HasSuffix(text(it), "Soon") {
			t.Errorf("%q lacks the \"Soon\" badge", area)
		}
	}
	if current := findAll(nav, func(e *html.Node) bool { return hasAttr(e, "aria-current") }); len(current) != 1 {
		t.Errorf("%d items are marked current, want 1", len(current))
	}
}

func TestNavigationFollowsTheTable(t *testing.T) {
	t.Parallel()
	// Making an area ready must turn its entry into a link, with no markup change.
	items := navItems()
	ready, area := 0, ""
	for i := range items {
		if items[i].Ready {
			ready++
		} else if area == "" {
			area = items[i].Key
			items[i].Ready, items[i].Href = true, "/"+area
		}
	}
	if area == "" {
		t.Skip("every area is built")
	}
	var b strings.Builder
	for _, it := range items {
		if err := navEntry(it, it.Key == area).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
	}
	doc := parseHTML(t, b.String())
	links := findAll(doc, tag("a"))
	var made *html.Node
	for _, l := range links {
		if attr(l, "href") == "/"+area {
			made = l
		}
	}
	if len(links) != ready+1 || made == nil || attr(made, "aria-current") != "page" {
		t.Errorf("a ready %s item did not become the current link: %s", area, b.String())
	}
}

func TestAPIDocsPage(t *testing.T) {
	t.Parallel()
	mux, w, _ := newTestMux(t, staticStatus(fakeStatus()))
	res, body := get(t, mux, "/api/docs")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	doc := parseHTML(t, body)
	mount := byID(doc, "api-docs")
	if mount == nil || attr(mount, "data-spec-url") != "/api/v1/openapi.json" {
		t.Fatal("want #api-docs pointing at /api/v1/openapi.json")
	}
	var srcs []string
	for _, s := range findAll(doc, tag("script")) {
		srcs = append(srcs, attr(s, "src"))
	}
	want := []string{w.Asset(assetSwaggerUI), w.Asset("js/api-docs.js")}
	if strings.Join(srcs, " ") != strings.Join(want, " ") {
		t.Errorf("scripts = %v, want %v", srcs, want)
	}
	for _, u := range pageURLs(doc) {
		if strings.HasPrefix(u, "http:") || strings.HasPrefix(u, "https:") || strings.HasPrefix(u, "//") {
			t.Errorf("the docs page loads %s from outside Kite", u)
		}
	}
}

// failing is a component whose rendering fails after writing some output.
func failing() templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		_, _ = io.WriteString(w, "<p>half a page")
		return errors.New("template exploded")
	})
}

func TestRenderErrorGivesCleanServerErrorPage(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	Render(rec, httptest.NewRequest(http.MethodGet, "/somewhere", nil), http.StatusOK, failing())
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", rec.Code)
	}
	body := rec.Body.String()
	if strings.Contains(body, "half a page") {
		t.Error("the partial output of the failed page was sent")
	}
	if !strings.Contains(body, "Something went wrong") || !strings.HasPrefix(body, "<!doctype html>") {
		t.Errorf("want the 500 page, got %q", body)
	}
	if got := rec.Header().Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
}

func TestRenderWritesStatusAndPage(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	Render(rec, httptest.NewRequest(http.MethodGet, "/x", nil), http.StatusCreated, Badge("Won", "success"))
	if rec.Code != http.StatusCreated {
		t.Errorf("status %d, want 201", rec.Code)
	}
	if got := rec.Body.String(); got != `<span class="badge badge-success">Won</span>` {
		t.Errorf("body = %q", got)
	}
	if got := rec.Header().Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
}

// renderedPages returns every page this package draws, by name.
func renderedPages(t *testing.T) map[string]string {
	t.Helper()
	ok, _, _ := newTestMux(t, staticStatus(fakeStatus()))
	emptyQueue := fakeStatus()
	emptyQueue.Queue = nil
	empty, _, _ := newTestMux(t, staticStatus(emptyQueue))
	broken, _, _ := newTestMux(t, func(context.Context) (StatusData, error) { return StatusData{}, errors.New("down") })

	pages := map[string]string{}
	_, pages["status"] = get(t, ok, "/status")
	_, pages["status, empty queue"] = get(t, empty, "/status")
	_, pages["status, error"] = get(t, broken, "/status")
	_, pages["not found"] = get(t, ok, "/no/such/page")
	_, pages["api docs"] = get(t, ok, "/api/docs")
	rec := httptest.NewRecorder()
	Render(rec, httptest.NewRequest(http.MethodGet, "/x", nil), http.StatusOK, failing())
	pages["server error"] = rec.Body.String()
	for name, c := range componentPages() {
		rec := httptest.NewRecorder()
		Render(rec, httptest.NewRequest(http.MethodGet, "/x", nil), http.StatusOK, c)
		pages[name] = rec.Body.String()
	}
	return pages
}

func TestPagesHaveNoInlineScriptOrStyle(t *testing.T) {
	t.Parallel()
	for name, body := range renderedPages(t) {
		webtest.CheckPage(t, name, body)
	}
}

// pageURLs lists the href and src values of a page.
func pageURLs(doc *html.Node) []string {
	var out []string
	for _, e := range findAll(doc, func(*html.Node) bool { return true }) {
		for _, key := range []string{"href", "src"} {
			if v := attr(e, key); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

func TestPagesLinkOnlyHashedAssetsThatExist(t *testing.T) {
	t.Parallel()
	mux, _, _ := newTestMux(t, staticStatus(fakeStatus()))
	seen := 0
	for name, body := range renderedPages(t) {
		for _, u := range pageURLs(parseHTML(t, body)) {
			if !strings.HasPrefix(u, "/static/") {
				continue
			}
			seen++
			res, _ := get(t, mux, u)
			if res.StatusCode != http.StatusOK {
				t.Errorf("%s links %s: status %d", name, u, res.StatusCode)
				continue
			}
			if got := res.Header.Get("Cache-Control"); got != cacheImmutable {
				t.Errorf("%s links %s, which is not a current hashed URL (Cache-Control %q)", name, u, got)
			}
		}
	}
	if seen == 0 {
		t.Fatal("the pages link no static files")
	}
}
