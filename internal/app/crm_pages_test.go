package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/kite-crm/kite/internal/app"
	"github.com/kite-crm/kite/internal/app/apptest"
	"github.com/kite-crm/kite/internal/config"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
	"github.com/kite-crm/kite/internal/web"
	"github.com/kite-crm/kite/internal/web/webtest"
)

// The contact and company pages, driven over HTTP as a browser does, on
// every configured database.

// eachKite runs fn against a whole Kite on each database of the run.
func eachKite(t *testing.T, fn func(t *testing.T, a *app.App)) {
	t.Helper()
	for _, kind := range dbtest.Kinds(t) {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			var edit []func(*config.Config)
			if kind == db.Postgres {
				b := dbtest.New(t, db.Postgres, true)
				edit = append(edit, func(c *config.Config) { c.DatabaseURL = b.URL })
			}
			fn(t, apptest.StartKite(t, edit...))
		})
	}
}

// signedUp is a browser signed up with a new organization.
func signedUp(t *testing.T, a *app.App, email, orgName string) *apptest.Browser {
	t.Helper()
	b := apptest.NewBrowser(t, a)
	b.SignUp("Owner "+email, email, orgName)
	return b
}

// create posts a "new" form and returns the id of the record it opened.
func create(t *testing.T, b *apptest.Browser, path string, form url.Values) string {
	t.Helper()
	p := b.Post(path, form)
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, path+"/") {
		t.Fatalf("POST %s %v: %d %q\n%s", path, form, p.Status, p.Location, p.Body)
	}
	return strings.TrimPrefix(p.Location, path+"/")
}

// rows are the records a list page shows, by name, in order.
func rows(p *apptest.Page) []string { return rowNames(p.Doc()) }

func rowNames(doc *html.Node) []string {
	var names []string
	for _, th := range webtest.Select(doc, "tr[data-id] th") {
		names = append(names, webtest.Text(th))
	}
	return names
}

// okPage loads a page, fails unless it is 200, and checks it keeps the
// page rules (no inline code, labelled controls).
func okPage(t *testing.T, b *apptest.Browser, path string) *apptest.Page {
	t.Helper()
	p := b.Get(path)
	if p.Status != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", path, p.Status, p.Body)
	}
	webtest.CheckPage(t, path, p.Body)
	return p
}

func texts(nodes []*html.Node) string {
	var out []string
	for _, n := range nodes {
		out = append(out, webtest.Text(n))
	}
	return strings.Join(out, " | ")
}

func TestCRMPagesListFilterSortAndLoadMore(t *testing.T) {
	t.Parallel()
	eachKite(t, func(t *testing.T, a *app.App) {
		b := signedUp(t, a, "lists@example.com", "Lists")

		empty := okPage(t, b, "/contacts")
		if !strings.Contains(empty.Text("main"), "No contacts yet") || empty.Find("a[href=/contacts/import]") == nil ||
			empty.Find("a[href=/contacts/new]") == nil || empty.Find("a[href=/contacts/duplicates]") == nil {
			t.Fatalf("empty contacts list:\n%s", empty.Text("main"))
		}
		if nav := empty.Find("nav#sidebar a[href=/contacts]"); nav == nil || webtest.Attr(nav, "aria-current") != "page" {
			t.Error("the Contacts nav item is not the current link")
		}

		acme := create(t, b, "/companies", url.Values{"name": {"Acme GmbH"}})
		for i := range 55 {
			form := url.Values{"first_name": {fmt.Sprintf("P%02d", i)}, "last_name": {fmt.Sprintf("L%02d", 54-i)},
				"email": {fmt.Sprintf("p%02d@example.com", i)}}
			if i%5 == 0 {
				form.Set("tags", "VIP")
				form.Set("company_id", acme)
			}
			create(t, b, "/contacts", form)
		}

		// Newest first, 50 rows and a "load more" row that fetches the rest by cursor.
		first := okPage(t, b, "/contacts")
		if got := rows(first); len(got) != 50 || got[0] != "P54 L00" || got[49] != "P05 L49" {
			t.Fatalf("first page: %d rows %v", len(got), got)
		}
		more := first.Find("#list-more a")
		next := webtest.Attr(more, "hx-get")
		if more == nil || !strings.Contains(next, "cursor=") || webtest.Attr(more, "hx-trigger") != "click, revealed" {
			t.Fatalf("no load-more row: %v", next)
		}
		rest := b.Get(next, "HX-Request", "true")
		if strings.Contains(rest.Body, "<html") || rest.Status != http.StatusOK {
			t.Fatalf("load more answered %d, a whole page instead of rows", rest.Status)
		}
		// Rows parse only inside a table.
		if got := rowNames(webtest.Parse(t, "<table><tbody>"+rest.Body+"</tbody></table>")); strings.Join(got, ",") != "P04 L50,P03 L51,P02 L52,P01 L53,P00 L54" || strings.Contains(rest.Body, "list-more") {
			t.Fatalf("next rows: %v", got)
		}

		// Filter by tag, in the URL; the company column names the company.
		tagged := okPage(t, b, "/contacts?tag=vip")
		if got := rows(tagged); len(got) != 11 || tagged.Find("#list-more") != nil {
			t.Fatalf("tag=vip: %v", got)
		}
		if !strings.Contains(tagged.Text("#records"), "Acme GmbH") {
			t.Error("the company column does not name the company")
		}
		if v := webtest.Attr(tagged.Find("#filter-tag"), "value"); v != "vip" {
			t.Errorf("the tag filter shows %q", v)
		}
		if got := rows(okPage(t, b, "/contacts?company_id="+acme+"&q=p05")); strings.Join(got, ",") != "P05 L49" {
			t.Errorf("company and search: %v", got)
		}

		// Sort by name (last names run backwards), and the header link reverses it.
		byName := okPage(t, b, "/contacts?sort=name")
		if got := rows(byName); got[0] != "P54 L00" {
			t.Fatalf("sort=name: %v", got[:3])
		}
		nameHeader := byName.Find("th[aria-sort=ascending] a")
		if nameHeader == nil || !strings.Contains(webtest.Attr(nameHeader, "href"), "sort=-name") {
			t.Fatalf("the sorted name header does not offer the reverse order")
		}
		if got := rows(okPage(t, b, "/contacts?sort=-name")); got[0] != "P00 L54" {
			t.Fatalf("sort=-name: %v", got[:3])
		}

		// Chosen columns.
		cols := okPage(t, b, "/contacts?cols=phone,title&tag=vip")
		heads := texts(webtest.Select(cols.Doc(), "#records thead th"))
		if !strings.Contains(heads, "Phone") || !strings.Contains(heads, "Job title") || strings.Contains(heads, "Email") {
			t.Fatalf("columns phone,title: %s", heads)
		}
		if c := cols.Find("#columns-form input[value=phone]"); c == nil || !webtest.HasAttr(c, "checked") {
			t.Error("the columns menu does not show phone as chosen")
		}

		// No matches: a way back to everything.
		none := okPage(t, b, "/contacts?q=zzzz&sort=name")
		if !strings.Contains(none.Text("main"), "No contacts match") || webtest.Attr(none.Find("#clear-filters"), "href") != "/contacts?sort=name" {
			t.Fatalf("no-match state:\n%s", none.Text("main"))
		}

		// What the list cannot use is explained, not a failure.
		odd := okPage(t, b, "/contacts?sort=shoe_size&owner_id=nobody&cf=color:red&created_after=yesterday&company_id=nope&cursor=garbage")
		problems := odd.Text("#list-problems")
		for _, want := range []string{"shoe_size", "owner", "color", "yesterday", "company"} {
			if !strings.Contains(problems, want) {
				t.Errorf("the page does not explain %q: %s", want, problems)
			}
		}
		if len(rows(odd)) != 50 {
			t.Errorf("with unusable filters the list shows %d rows", len(rows(odd)))
		}

		// Companies list, with its own nav item and company search.
		cos := okPage(t, b, "/companies")
		if got := rows(cos); strings.Join(got, ",") != "Acme GmbH" {
			t.Fatalf("companies: %v", got)
		}
		if nav := cos.Find("nav#sidebar a[href=/companies]"); nav == nil || webtest.Attr(nav, "aria-current") != "page" {
			t.Error("the Companies nav item is not the current link")
		}
		if cos.Text("title") != "Companies · Kite" {
			t.Errorf("title %q", cos.Text("title"))
		}
		opts := b.Get("/companies/options?q=acm&none=Any+company", "HX-Request", "true")
		if sel := webtest.Find(opts.Doc(), "option[selected]"); sel == nil || webtest.Attr(sel, "value") != acme {
			t.Fatalf("company search: %s", opts.Body)
		}
	})
}

func TestCRMPagesFormsShowErrorsNextToFields(t *testing.T) {
	t.Parallel()
	eachKite(t, func(t *testing.T, a *app.App) {
		b := signedUp(t, a, "forms@example.com", "Forms")
		token := apiToken(t, a, "forms@example.com")
		apiPost(t, a, token, "/custom-fields", map[string]any{"object": "contact", "label": "Seats", "type": "number"})

		form := okPage(t, b, "/contacts/new")
		for _, id := range []string{"first_name", "email", "company_id", "owner_id", "tags", "custom_fields-seats"} {
			if form.Find("#"+id) == nil {
				t.Errorf("the new contact form has no #%s", id)
			}
		}
		p := b.Post("/contacts", url.Values{"first_name": {"Ann"}, "email": {"not-an-email"}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Text("#email-error"), "valid email") {
			t.Fatalf("bad email: %d %q", p.Status, p.Text("#email-error"))
		}
		if webtest.Attr(p.Find("#first_name"), "value") != "Ann" || webtest.Attr(p.Find("#email"), "aria-invalid") != "true" {
			t.Error("the refused form lost what was typed or did not mark the field")
		}
		p = b.Post("/contacts", url.Values{"first_name": {"Ann"}, "custom_fields.seats": {"many"}})
		if p.Status != http.StatusUnprocessableEntity || p.Text("#custom_fields-seats-error") == "" {
			t.Fatalf("bad number: %d\n%s", p.Status, p.Text("main"))
		}
		id := create(t, b, "/contacts", url.Values{"first_name": {"Ann"}, "email": {"ann@example.com"}, "custom_fields.seats": {"12"}})
		if p := b.Post("/contacts", url.Values{"first_name": {"Dup"}, "email": {"ANN@example.com"}}); p.Status != http.StatusConflict || p.Text("#email-error") == "" {
			t.Errorf("taken email: %d %q", p.Status, p.Text("#email-error"))
		}
		// Inline edit of one field refused next to it.
		p = b.Post("/contacts/"+id, url.Values{"email": {"nope"}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Text("#field-email"), "valid email") {
			t.Fatalf("inline bad email: %d %q", p.Status, p.Text("#field-email"))
		}
		if v := webtest.Attr(p.Find("#edit-custom_fields-seats"), "value"); v != "12" {
			t.Errorf("custom number shows %q", v)
		}
		// Companies.
		p = b.Post("/companies", url.Values{"name": {"  "}, "website": {"acme.com"}})
		if p.Status != http.StatusUnprocessableEntity || p.Text("#name-error") == "" {
			t.Fatalf("nameless company: %d\n%s", p.Status, p.Text("main"))
		}
		p = b.Post("/companies", url.Values{"name": {"Acme"}, "domain": {"not a domain"}})
		if p.Status != http.StatusUnprocessableEntity || p.Text("#domain-error") == "" {
			t.Fatalf("bad domain: %d", p.Status)
		}
	})
}

func TestCRMPagesDetailInlineEditNotesAndActivity(t *testing.T) {
	t.Parallel()
	eachKite(t, func(t *testing.T, a *app.App) {
		b := signedUp(t, a, "detail@example.com", "Detail")
		co := create(t, b, "/companies", url.Values{"name": {"Globex"}, "website": {"globex.example"}})
		id := create(t, b, "/contacts", url.Values{"first_name": {"Ann"}, "last_name": {"Lee"}, "title": {"CEO"}, "company_id": {co}})
		path := "/contacts/" + id

		page := okPage(t, b, path)
		if page.Text("h1") != "Ann Lee" || page.Text("title") != "Ann Lee · Kite" || !strings.Contains(page.Text(".page-description"), "CEO at Globex") {
			t.Fatalf("heading %q / %q / %q", page.Text("h1"), page.Text("title"), page.Text(".page-description"))
		}
		// One field's form changes that field only.
		apptest.MustRedirect(t, b.Post(path, url.Values{"title": {"CTO"}}), path)
		apptest.MustRedirect(t, b.Post(path, url.Values{"tags": {"VIP, lead"}}), path)
		page = okPage(t, b, path)
		if v := webtest.Attr(page.Find("#edit-title"), "value"); v != "CTO" || webtest.Attr(page.Find("#edit-first_name"), "value") != "Ann" {
			t.Fatalf("after inline edit: title %q", v)
		}
		if tags := page.Text("#record-tags"); tags != "lead VIP" {
			t.Errorf("tags %q", tags)
		}
		var changed bool
		for _, li := range webtest.Select(page.Doc(), "#activity .change-list li") {
			if webtest.Text(li) == "Job title: CEO → CTO" {
				changed = true
			}
		}
		if !changed || !strings.Contains(page.Text("#activity"), "created this contact") {
			t.Fatalf("activity does not show the change:\n%s", page.Text("#activity"))
		}

		// Notes: links become links, markup stays text.
		apptest.MustRedirect(t, b.Post(path+"/notes", url.Values{"body": {"Deal room: https://deals.example/r?id=1. <b>bold</b> javascript:alert(1)"}}), path+"#notes")
		page = okPage(t, b, path)
		body := page.Find("#notes .note-body")
		link := webtest.Find(body, "a")
		if link == nil || webtest.Attr(link, "href") != "https://deals.example/r?id=1" || webtest.Attr(link, "rel") != "noopener noreferrer nofollow" {
			t.Fatalf("note link: %s", page.Body)
		}
		if webtest.Find(body, "b") != nil || !strings.Contains(webtest.Text(body), "<b>bold</b> javascript:alert(1)") || len(webtest.Select(body, "a")) != 1 {
			t.Fatalf("note markup was not kept as text: %q", webtest.Text(body))
		}
		noteID := strings.TrimPrefix(webtest.Attr(page.Find("#notes .note"), "id"), "note-")
		if p := b.Post(path+"/notes", url.Values{"body": {"   "}}); p.Status != http.StatusUnprocessableEntity || p.Text("#note-body-error") == "" {
			t.Fatalf("empty note: %d", p.Status)
		}
		apptest.MustRedirect(t, b.Post("/notes/"+noteID, url.Values{"body": {"Call back on Monday"}, "return": {path}}), path+"#notes")
		if got := okPage(t, b, path).Text("#notes .note-body"); got != "Call back on Monday" {
			t.Fatalf("edited note: %q", got)
		}
		apptest.MustRedirect(t, b.Post("/notes/"+noteID+"/delete", url.Values{"return": {path}}), path+"#notes")
		page = okPage(t, b, path)
		if page.Find("#notes .note") != nil {
			t.Fatal("the deleted note is still listed")
		}
		for _, want := range []string{"added a note", "edited a note", "deleted a note", "Tags: — → lead, VIP"} {
			if !strings.Contains(page.Text("#activity"), want) {
				t.Errorf("activity lacks %q:\n%s", want, page.Text("#activity"))
			}
		}

		// The company lists its contacts and has notes too.
		cp := okPage(t, b, "/companies/"+co)
		if cp.Text("#company-contacts") != "Ann Lee CTO" || cp.Find("a[href=/contacts/new?company_id="+co+"]") == nil {
			t.Fatalf("company contacts: %q", cp.Text("#company-contacts"))
		}
		apptest.MustRedirect(t, b.Post("/companies/"+co+"/notes", url.Values{"body": {"Big account"}}), "/companies/"+co+"#notes")
		apptest.MustRedirect(t, b.Post("/companies/"+co, url.Values{"industry": {"Energy"}}), "/companies/"+co)
		cp = okPage(t, b, "/companies/"+co)
		if cp.Text("#notes .note-body") != "Big account" || !strings.Contains(cp.Text("#activity"), "Industry: — → Energy") {
			t.Fatalf("company notes/activity:\n%s", cp.Text("main"))
		}

		// Delete (the form asks for confirmation in the browser).
		if f := page.Find("form#delete-record"); f == nil || webtest.Attr(f, "data-confirm") == "" {
			t.Fatal("the delete form does not ask for confirmation")
		}
		apptest.MustRedirect(t, b.Post(path+"/delete", nil), "/contacts")
		if p := b.Get(path); p.Status != http.StatusNotFound {
			t.Fatalf("deleted contact: %d", p.Status)
		}
		apptest.MustRedirect(t, b.Post("/companies/"+co+"/delete", nil), "/companies")
	})
}

func TestCRMPagesBulkActions(t *testing.T) {
	t.Parallel()
	eachKite(t, func(t *testing.T, a *app.App) {
		b := signedUp(t, a, "bulk@example.com", "Bulk")
		var ids []string
		for _, n := range []string{"Ann", "Bob", "Cy"} {
			ids = append(ids, create(t, b, "/contacts", url.Values{"first_name": {n}}))
		}
		list := okPage(t, b, "/contacts?sort=name")
		if list.Find("form#bulk-form") == nil || list.Find("input[data-select-all]") == nil ||
			len(webtest.Select(list.Doc(), "input[form=bulk-form]")) != 3 {
			t.Fatal("the list has no selection for bulk actions")
		}
		if webtest.Attr(list.Find("#bulk-form input[name=return]"), "value") != "/contacts?sort=name" {
			t.Error("the bulk form does not return to the view")
		}
		if webtest.Attr(list.Find("#bulk-form button[value=delete]"), "data-confirm") == "" {
			t.Error("bulk delete does not ask for confirmation")
		}
		bulk := func(action string, extra url.Values, selected ...string) {
			t.Helper()
			form := url.Values{"action": {action}, "ids": selected, "return": {"/contacts?sort=name"}}
			for k, v := range extra {
				form[k] = v
			}
			apptest.MustRedirect(t, b.Post("/contacts/bulk", form), "/contacts?sort=name")
		}
		bulk("tag", url.Values{"tag": {"hot"}}, ids[0], ids[1])
		if got := rows(okPage(t, b, "/contacts?tag=hot&sort=name")); strings.Join(got, ",") != "Ann,Bob" {
			t.Fatalf("tagged: %v", got)
		}
		bulk("untag", url.Values{"tag": {"hot"}}, ids[0])
		if got := rows(okPage(t, b, "/contacts?tag=hot")); strings.Join(got, ",") != "Bob" {
			t.Fatalf("untagged: %v", got)
		}
		// Nothing selected: a message, nothing changed.
		p := b.Post("/contacts/bulk", url.Values{"action": {"delete"}, "return": {"/contacts"}})
		apptest.MustRedirect(t, p, "/contacts")
		bulk("delete", nil, ids[1], ids[2])
		if got := rows(okPage(t, b, "/contacts")); strings.Join(got, ",") != "Ann" {
			t.Fatalf("after bulk delete: %v", got)
		}
		// A return address elsewhere is not followed.
		p = b.Post("/contacts/bulk", url.Values{"action": {"tag"}, "tag": {"x"}, "ids": {ids[0]}, "return": {"https://evil.example/"}})
		apptest.MustRedirect(t, p, "/contacts")

		// Companies: the same selection and actions.
		var cos []string
		for _, n := range []string{"Acme", "Bolt"} {
			cos = append(cos, create(t, b, "/companies", url.Values{"name": {n}}))
		}
		if cl := okPage(t, b, "/companies"); webtest.Attr(cl.Find("#bulk-form"), "action") != "/companies/bulk" || len(webtest.Select(cl.Doc(), "input[form=bulk-form]")) != 2 {
			t.Fatal("the companies list has no selection for bulk actions")
		}
		apptest.MustRedirect(t, b.Post("/companies/bulk", url.Values{"action": {"tag"}, "tag": {"key"}, "ids": {cos[1]}, "return": {"/companies"}}), "/companies")
		if got := rows(okPage(t, b, "/companies?tag=key")); strings.Join(got, ",") != "Bolt" {
			t.Fatalf("tagged companies: %v", got)
		}
		apptest.MustRedirect(t, b.Post("/companies/bulk", url.Values{"action": {"delete"}, "ids": cos, "return": {"/companies"}}), "/companies")
		if got := rows(okPage(t, b, "/companies")); len(got) != 0 {
			t.Fatalf("companies after bulk delete: %v", got)
		}
	})
}

func TestCRMPagesViewerReadOnlyAndOtherOrgs(t *testing.T) {
	t.Parallel()
	eachKite(t, func(t *testing.T, a *app.App) {
		owner := signedUp(t, a, "boss@example.com", "Boss")
		co := create(t, owner, "/companies", url.Values{"name": {"Initech"}})
		id := create(t, owner, "/contacts", url.Values{"first_name": {"Peter"}, "company_id": {co}})
		apptest.MustRedirect(t, owner.Post("/contacts/"+id+"/notes", url.Values{"body": {"hello"}}), "/contacts/"+id+"#notes")
		noteID := strings.TrimPrefix(webtest.Attr(owner.Get("/contacts/"+id).Find("#notes .note"), "id"), "note-")

		viewer := signedUp(t, a, "vera@example.com", "Vera's own")
		if p := owner.Post("/settings/members", url.Values{"email": {"vera@example.com"}, "role": {"viewer"}}); p.Status != http.StatusSeeOther {
			t.Fatalf("adding the viewer: %d", p.Status)
		}
		bossOrg := webtest.Attr(owner.Get("/contacts").Find("form[action="+web.OrgSwitchPath+"] input[name=org_id]"), "value")
		if p := viewer.Post(web.OrgSwitchPath, url.Values{"org_id": {bossOrg}}); p.Status != http.StatusSeeOther {
			t.Fatalf("switching to the owner's organization: %d", p.Status)
		}
		list := okPage(t, viewer, "/contacts")
		if got := rows(list); strings.Join(got, ",") != "Peter" {
			t.Fatalf("viewer list: %v", got)
		}
		if list.Find("a[href=/contacts/new]") != nil || list.Find("a[href=/contacts/import]") != nil || list.Find("#bulk-form") != nil || list.Find("input[data-select-row]") != nil {
			t.Error("the viewer's list has write controls")
		}
		detail := okPage(t, viewer, "/contacts/"+id)
		if len(webtest.Select(detail.Doc(), "main form[method=post]")) != 0 || detail.Find("#notes textarea") != nil {
			t.Error("the viewer's contact page has forms")
		}
		if !strings.Contains(detail.Text("main"), "Initech") || !strings.Contains(detail.Text("#notes"), "hello") {
			t.Errorf("the viewer does not see the contact:\n%s", detail.Text("main"))
		}
		if p := viewer.Get("/contacts/new"); p.Status != http.StatusForbidden {
			t.Errorf("viewer GET /contacts/new: %d", p.Status)
		}
		for path, form := range map[string]url.Values{
			"/contacts":                    {"first_name": {"X"}},
			"/contacts/" + id:              {"first_name": {"X"}},
			"/contacts/" + id + "/delete":  {},
			"/contacts/" + id + "/notes":   {"body": {"x"}},
			"/contacts/bulk":               {"action": {"delete"}, "ids": {id}},
			"/companies/" + co:             {"name": {"X"}},
			"/notes/" + noteID:             {"body": {"x"}},
			"/notes/" + noteID + "/delete": {},
		} {
			if p := viewer.Post(path, form); p.Status != http.StatusForbidden {
				t.Errorf("viewer POST %s: %d", path, p.Status)
			}
		}

		// Another organization's records are not found, for reading and writing.
		rival := signedUp(t, a, "rival@example.com", "Rival")
		for _, path := range []string{"/contacts/" + id, "/companies/" + co} {
			if p := rival.Get(path); p.Status != http.StatusNotFound || !strings.Contains(p.Text("main"), "Not found") {
				t.Errorf("rival GET %s: %d", path, p.Status)
			}
		}
		for path, form := range map[string]url.Values{
			"/contacts/" + id:              {"first_name": {"X"}},
			"/contacts/" + id + "/notes":   {"body": {"x"}},
			"/contacts/" + id + "/delete":  {},
			"/companies/" + co + "/delete": {},
			"/notes/" + noteID:             {"body": {"x"}, "return": {"/contacts/" + id}},
			"/notes/" + noteID + "/delete": {"return": {"/contacts/" + id}},
		} {
			if p := rival.Post(path, form); p.Status != http.StatusNotFound {
				t.Errorf("rival POST %s: %d", path, p.Status)
			}
		}
		if p := rival.Post("/contacts/bulk", url.Values{"action": {"delete"}, "ids": {id}}); p.Status != http.StatusSeeOther {
			t.Errorf("rival bulk: %d", p.Status)
		}
		if got := rows(okPage(t, owner, "/contacts")); strings.Join(got, ",") != "Peter" {
			t.Fatalf("the rival changed the owner's contacts: %v", got)
		}
		if p := rival.Get("/contacts?company_id=" + co); !strings.Contains(p.Text("#list-problems"), "company") {
			t.Error("a company of another org in the filter is not explained")
		}
	})
}

// apiToken signs in through the JSON API.
func apiToken(t *testing.T, a *app.App, email string) string {
	t.Helper()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	apiCall(t, a, "", "/auth/signin", map[string]any{"email": email, "password": apptest.TestPassword}, &out)
	return out.AccessToken
}

func apiPost(t *testing.T, a *app.App, token, path string, body any) {
	t.Helper()
	apiCall(t, a, token, path, body, nil)
}

func apiCall(t *testing.T, a *app.App, token, path string, body, out any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, a.URL()+"/api/v1"+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		t.Fatalf("POST %s: %d", path, res.StatusCode)
	}
	if out != nil {
		json.NewDecoder(res.Body).Decode(out)
	}
}
