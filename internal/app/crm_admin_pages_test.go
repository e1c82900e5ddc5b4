package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kite-crm/kite/internal/app"
	"github.com/kite-crm/kite/internal/app/apptest"
	"github.com/kite-crm/kite/internal/config"
	"github.com/kite-crm/kite/internal/identity"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
	"github.com/kite-crm/kite/internal/web/webtest"
)

// The CRM's admin pages (custom fields settings, duplicates and merge,
// global search), driven over HTTP as a browser does, on every database.

// crmDesk is an organization whose owner, member and viewer each have a
// signed-in browser, and whose owner also speaks the JSON API.
type crmDesk struct {
	a                     *app.App
	owner, member, viewer *apptest.Browser
	api                   *jsonAPI
}

// eachDatabase runs fn as a parallel subtest on every configured database.
func eachDatabase(t *testing.T, fn func(t *testing.T, a *app.App)) {
	for _, kind := range dbtest.Kinds(t) {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			if kind == db.Postgres {
				b := dbtest.New(t, db.Postgres, true)
				fn(t, apptest.StartKite(t, func(c *config.Config) { c.DatabaseURL = b.URL }))
				return
			}
			fn(t, apptest.StartKite(t))
		})
	}
}

func newCRMDesk(t *testing.T, a *app.App, orgName string) *crmDesk {
	t.Helper()
	ctx := context.Background()
	d := &crmDesk{a: a, owner: apptest.NewBrowser(t, a)}
	email := strings.ToLower(orgName) + "-owner@example.com"
	d.owner.SignUp("Olga "+orgName, email, orgName)
	owner, err := a.Identity.UserByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	orgs, err := a.Orgs.ForUser(ctx, owner.ID)
	if err != nil || len(orgs) != 1 {
		t.Fatalf("orgs of the owner: %v %v", orgs, err)
	}
	actor := org.Actor{UserID: owner.ID, Name: owner.Name, OrgID: orgs[0].ID, Role: org.Owner}
	for _, m := range []struct {
		role org.Role
		b    **apptest.Browser
	}{{org.Member, &d.member}, {org.Viewer, &d.viewer}} {
		mail := strings.ToLower(orgName) + "-" + string(m.role) + "@example.com"
		if _, _, err := a.Identity.SignUp(ctx, identity.SignUpInput{Name: string(m.role), Email: mail, Password: apptest.TestPassword},
			identity.ClientMeta{IP: "127.0.0.1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Orgs.AddMember(ctx, actor, mail, m.role); err != nil {
			t.Fatal(err)
		}
		*m.b = apptest.NewBrowser(t, a)
		(*m.b).SignIn(mail)
	}
	d.api = signInAPI(t, a, email)
	return d
}

// jsonAPI calls Kite's JSON API with a bearer token.
type jsonAPI struct {
	t     *testing.T
	base  string
	token string
}

func signInAPI(t *testing.T, a *app.App, email string) *jsonAPI {
	t.Helper()
	c := &jsonAPI{t: t, base: a.URL() + "/api/v1"}
	res := c.must(http.StatusOK, "POST", "/auth/signin", map[string]any{"email": email, "password": apptest.TestPassword})
	c.token, _ = res["access_token"].(string)
	return c
}

func (c *jsonAPI) must(status int, method, path string, body any) map[string]any {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		c.t.Fatalf("%s %s: %d %s, want %d", method, path, res.StatusCode, raw, status)
	}
	out := map[string]any{}
	json.Unmarshal(raw, &out)
	return out
}

// idOf is the "id" of an API answer.
func idOf(res map[string]any) string {
	s, _ := res["id"].(string)
	return s
}

func mustStatus(t *testing.T, p *apptest.Page, want int) {
	t.Helper()
	if p.Status != want {
		t.Fatalf("answer %d, want %d\n%s", p.Status, want, p.Text("main"))
	}
}

func TestCRMAdminCustomFieldsPages(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, a *app.App) {
		d := newCRMDesk(t, a, "Fields")
		const path = "/settings/custom-fields"

		p := d.owner.Get(path)
		mustStatus(t, p, http.StatusOK)
		if tab := p.Find("nav.tabs a[aria-current=page]"); webtest.Text(tab) != "Custom fields" {
			t.Errorf("the current settings tab is %q", webtest.Text(tab))
		}
		if !strings.Contains(p.Text("#contact-fields"), "No contact fields yet") || !strings.Contains(p.Text("#company-fields"), "No company fields yet") {
			t.Errorf("no empty state per object:\n%s", p.Text("main"))
		}

		// Add a choice list; the key comes from the label.
		add := url.Values{"object": {"contact"}, "label": {"Budget tier"}, "key": {""}, "type": {"select"}, "options": {"Small\r\nLarge\r\n\r\nSmall"}}
		apptest.MustRedirect(t, d.owner.Post(path, add), path+"#contact-fields")
		p = d.owner.Get(path)
		row := p.Find("tr[data-field=budget_tier]")
		if row == nil || !strings.Contains(webtest.Text(row), "Budget tier") || !strings.Contains(webtest.Text(row), "Small, Large") ||
			!strings.Contains(p.Text("#toasts"), "Added the contact field Budget tier") {
			t.Fatalf("the new field is not listed with its choices:\n%s", p.Text("main"))
		}
		if p.Find("#company-fields tr[data-field=budget_tier]") != nil {
			t.Error("a contact field is listed under companies")
		}
		fieldID := strings.TrimPrefix(webtest.Attr(webtest.Find(row, "a[href^=/settings/custom-fields/]"), "href"), path+"/")

		// The service's problems show next to their fields, with 422 (409
		// for a key already taken).
		for _, c := range []struct {
			form   url.Values
			status int
			field  string
			says   string
		}{
			{url.Values{"object": {"contact"}, "label": {"  "}, "type": {"text"}}, 422, "#cf-label-error", "Give the field a name."},
			{url.Values{"object": {"contact"}, "label": {"Tier"}, "type": {"select"}, "options": {"\n \n"}}, 422, "#cf-options-error", "A select field needs options."},
			{url.Values{"object": {"contact"}, "label": {"Tier"}, "key": {"9 lives"}, "type": {"text"}}, 422, "#cf-key-error", "starts with a letter"},
			{url.Values{"object": {"contact"}, "label": {"Tier"}, "type": {"colour"}}, 422, "#cf-type-error", "Choose text"},
			{url.Values{"object": {"contact"}, "label": {"Budget tier"}, "type": {"text"}}, 409, "#cf-key-error", "already has a field with key budget_tier"},
		} {
			p := d.owner.Post(path, c.form)
			if p.Status != c.status || !strings.Contains(p.Text(c.field), c.says) {
				t.Errorf("%v: %d, %s says %q; want %d %q", c.form, p.Status, c.field, p.Text(c.field), c.status, c.says)
			}
			if label := p.Find("#cf-label"); webtest.Attr(label, "value") != c.form.Get("label") {
				t.Errorf("the typed label was lost: %q", webtest.Attr(label, "value"))
			}
		}

		// Rename it and change its choices; a blank name is refused there too.
		edit := path + "/" + fieldID
		p = d.owner.Get(edit)
		mustStatus(t, p, http.StatusOK)
		if webtest.Attr(p.Find("#cf-label"), "value") != "Budget tier" || !strings.Contains(p.Body, ">Small\nLarge</textarea>") {
			t.Fatalf("the edit form does not hold the field:\n%s", p.Body)
		}
		p = d.owner.Post(edit, url.Values{"label": {""}, "options": {"Small"}})
		if p.Status != 422 || p.Text("#cf-label-error") != "Give the field a name." {
			t.Errorf("blank rename: %d %q", p.Status, p.Text("#cf-label-error"))
		}
		apptest.MustRedirect(t, d.owner.Post(edit, url.Values{"label": {"Budget"}, "options": {"Small\nMedium\nLarge"}}), path+"#contact-fields")
		if row := d.owner.Get(path).Find("tr[data-field=budget_tier]"); !strings.Contains(webtest.Text(row), "Budget") ||
			!strings.Contains(webtest.Text(row), "Small, Medium, Large") || strings.Contains(webtest.Text(row), "Budget tier") {
			t.Fatalf("after the rename the row says %q", webtest.Text(row))
		}
		d.api.must(201, "POST", "/contacts", map[string]any{"first_name": "Val", "custom_fields": map[string]any{"budget_tier": "Medium"}})

		// Members and viewers read the list; they cannot change it.
		for _, b := range []*apptest.Browser{d.member, d.viewer} {
			p := b.Get(path)
			if p.Status != 200 || p.Find("tr[data-field=budget_tier]") == nil || p.Find("#custom-field-form") != nil ||
				p.Find("form[action$=/remove]") != nil || !strings.Contains(p.Text("main"), "Only owners and admins can change custom fields") {
				t.Errorf("read-only list: %d\n%s", p.Status, p.Text("main"))
			}
			mustStatus(t, b.Post(path, add), http.StatusForbidden)
			mustStatus(t, b.Post(edit, url.Values{"label": {"Hijacked"}}), http.StatusForbidden)
			mustStatus(t, b.Post(edit+"/remove", nil), http.StatusForbidden)
			mustStatus(t, b.Get(edit), http.StatusForbidden)
		}

		// Removing asks first, saying the values go too; then the field is gone.
		form := d.owner.Get(path).Find("form[action=" + edit + "/remove]")
		if !strings.Contains(webtest.Attr(form, "data-confirm"), "Its value on every contact is removed too") {
			t.Errorf("the removal is not confirmed: %q", webtest.Attr(form, "data-confirm"))
		}
		apptest.MustRedirect(t, d.owner.Post(edit+"/remove", nil), path+"#contact-fields")
		if p := d.owner.Get(path); p.Find("tr[data-field=budget_tier]") != nil || !strings.Contains(p.Text("#toasts"), "Removed the field Budget and its values") {
			t.Fatalf("the removed field is still listed:\n%s", p.Text("main"))
		}
		mustStatus(t, d.owner.Post(edit+"/remove", nil), http.StatusNotFound)
		mustStatus(t, d.owner.Get(path+"/not-an-id"), http.StatusNotFound)
	})
}

func TestCRMAdminDuplicatesAndMergePages(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, a *app.App) {
		d := newCRMDesk(t, a, "Dedupe")
		rival := newCRMDesk(t, a, "Rival")
		d.api.must(201, "POST", "/custom-fields", map[string]any{"object": "contact", "label": "Tier", "type": "text"})
		keep := idOf(d.api.must(201, "POST", "/contacts", map[string]any{"first_name": "Ann", "phone": "+1 415 555 2671",
			"telegram_username": "ann_lee", "tags": []string{"vip"}, "custom_fields": map[string]any{"tier": "gold"}}))
		dup := idOf(d.api.must(201, "POST", "/contacts", map[string]any{"first_name": "Annie", "last_name": "Lee", "email": "ann@example.com",
			"phone": "(415) 555-2671", "telegram_username": "@Ann_Lee", "tags": []string{"lead"}, "custom_fields": map[string]any{"tier": "silver"}}))
		d.api.must(201, "POST", "/contacts", map[string]any{"first_name": "Solo", "phone": "+49 30 1234567"})
		d.api.must(201, "POST", "/contacts/"+dup+"/notes", map[string]any{"body": "Met at the fair"})
		theirs := idOf(rival.api.must(201, "POST", "/contacts", map[string]any{"first_name": "Ann", "phone": "+1 415 555 2671"}))

		// The two spellings of one number make one group (not a second one
		// for the username they share too), with a way to merge.
		p := d.owner.Get("/contacts/duplicates")
		mustStatus(t, p, http.StatusOK)
		group := p.Find("section[data-reason=phone]")
		if group == nil || webtest.Find(group, "li[data-contact="+keep+"]") == nil || webtest.Find(group, "li[data-contact="+dup+"]") == nil ||
			len(webtest.Select(p.Doc(), "section[data-reason]")) != 1 {
			t.Fatalf("want one phone group of Ann and Annie:\n%s", p.Text("main"))
		}
		mergeURL := "/contacts/" + keep + "/merge?with=" + dup
		if webtest.Find(group, "a[href="+mergeURL+"]") == nil {
			t.Fatalf("the group has no merge link to %s", mergeURL)
		}
		if p := rival.owner.Get("/contacts/duplicates"); !strings.Contains(p.Text("main"), "No duplicates found") {
			t.Errorf("another org sees no empty state:\n%s", p.Text("main"))
		}

		// Viewers see the groups and cannot merge.
		p = d.viewer.Get("/contacts/duplicates")
		if p.Status != 200 || p.Find("section[data-reason=phone]") == nil || p.Find("a[href^=/contacts/"+keep+"/merge]") != nil {
			t.Errorf("viewer's duplicates: %d\n%s", p.Status, p.Text("main"))
		}
		mustStatus(t, d.viewer.Get(mergeURL), http.StatusForbidden)
		mustStatus(t, d.viewer.Post("/contacts/"+keep+"/merge", url.Values{"with": {dup}}), http.StatusForbidden)

		// The merge page sets the two side by side: a choice where both
		// have a different value, none where only one has a value.
		p = d.member.Get(mergeURL)
		mustStatus(t, p, http.StatusOK)
		for _, field := range []string{"first_name", "custom_fields.tier"} {
			if len(webtest.Select(p.Doc(), "input[name="+field+"]")) != 2 {
				t.Errorf("no choice for %s", field)
			}
		}
		if p.Find("input[name=email]") != nil || !strings.Contains(p.Text("tr[data-field=email]"), "ann@example.com") {
			t.Errorf("the email only one has should be shown without a choice: %q", p.Text("tr[data-field=email]"))
		}
		if form := p.Find("form#merge-form"); !strings.Contains(webtest.Attr(form, "data-confirm"), "Annie Lee is deleted") ||
			!strings.Contains(p.Text("main"), "Notes, tags and every record later linked to Annie Lee move to Ann") {
			t.Errorf("the page does not explain and confirm the merge:\n%s", p.Text("main"))
		}

		// Another org's contact, a missing one or the same one twice is not found.
		for _, path := range []string{"/contacts/" + keep + "/merge?with=" + theirs, "/contacts/" + theirs + "/merge?with=" + keep,
			"/contacts/" + keep + "/merge?with=" + keep, "/contacts/" + keep + "/merge", "/contacts/nope/merge?with=" + dup,
			"/contacts/" + keep + "/unmerge?with=" + dup} {
			mustStatus(t, d.member.Get(path), http.StatusNotFound)
		}
		mustStatus(t, d.member.Post("/contacts/"+keep+"/merge", url.Values{"with": {theirs}}), http.StatusNotFound)
		rival.api.must(200, "GET", "/contacts/"+theirs, nil)

		// Merge, taking Annie's first name and tier: the survivor keeps the
		// chosen values, gains the other's email, tags and notes.
		p = d.member.Post("/contacts/"+keep+"/merge", url.Values{"with": {dup}, "first_name": {"take"}, "custom_fields.tier": {"take"}})
		apptest.MustRedirect(t, p, "/contacts/"+keep)
		got := d.api.must(200, "GET", "/contacts/"+keep, nil)
		tags, _ := json.Marshal(got["tags"])
		if got["first_name"] != "Annie" || got["last_name"] != "Lee" || got["email"] != "ann@example.com" || got["phone"] != "+14155552671" ||
			string(tags) != `["lead","vip"]` || got["custom_fields"].(map[string]any)["tier"] != "silver" {
			t.Fatalf("merged contact = %v", got)
		}
		notes, _ := json.Marshal(d.api.must(200, "GET", "/contacts/"+keep+"/notes", nil)["items"])
		if !strings.Contains(string(notes), "Met at the fair") {
			t.Errorf("the note did not move: %s", notes)
		}
		d.api.must(404, "GET", "/contacts/"+dup, nil)
		if p := d.owner.Get("/contacts/duplicates"); !strings.Contains(p.Text("main"), "No duplicates found") {
			t.Errorf("the merged group is still listed:\n%s", p.Text("main"))
		}
		mustStatus(t, d.member.Get(mergeURL), http.StatusNotFound)
	})
}

func TestCRMAdminSearchPages(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, a *app.App) {
		d := newCRMDesk(t, a, "Find")
		rival := newCRMDesk(t, a, "Elsewhere")
		co := idOf(d.api.must(201, "POST", "/companies", map[string]any{"name": "Łódź Logistics", "domain": "lodz.example"}))
		jose := idOf(d.api.must(201, "POST", "/contacts", map[string]any{"first_name": "José", "last_name": "Müller", "title": "CTO",
			"email": "jose@lodz.example", "company_id": co}))
		d.api.must(201, "POST", "/contacts", map[string]any{"first_name": "Anna", "last_name": "Smith"})
		rival.api.must(201, "POST", "/contacts", map[string]any{"first_name": "Jose", "last_name": "Other"})

		// A prefix without diacritics finds the contact, with a line that
		// says who it is; nothing of another organization shows.
		p := d.viewer.Get("/search/suggest?q=jose", "HX-Request", "true")
		mustStatus(t, p, http.StatusOK)
		option := p.Find("a[href=/contacts/" + jose + "]")
		if webtest.Attr(option, "role") != "option" || !strings.Contains(webtest.Text(option), "José Müller") ||
			!strings.Contains(webtest.Text(option), "CTO at Łódź Logistics · jose@lodz.example") {
			t.Fatalf("suggestions for jose:\n%s", p.Body)
		}
		if strings.Contains(p.Body, "Other") || strings.Contains(p.Body, "Anna") || strings.Contains(p.Body, "<html") {
			t.Errorf("the suggestions hold more than the matches:\n%s", p.Body)
		}
		// Companies are found the same way and come after contacts.
		p = d.member.Get("/search/suggest?q=LODZ", "HX-Request", "true")
		company := p.Find("a[href=/companies/" + co + "]")
		if company == nil || !strings.Contains(webtest.Text(company), "lodz.example") || strings.Index(p.Body, "/companies/") < strings.Index(p.Body, "/contacts/") {
			t.Fatalf("suggestions for LODZ:\n%s", p.Body)
		}
		if all := p.Find("a[href=/search?q=LODZ]"); webtest.Attr(all, "role") != "option" {
			t.Error("no option leads to the full results")
		}
		// An empty query closes the list; search syntax is only text.
		if p := d.member.Get("/search/suggest?q=+", "HX-Request", "true"); p.Status != 200 || strings.TrimSpace(p.Body) != "" {
			t.Errorf("empty query: %d %q", p.Status, p.Body)
		}
		if p := d.member.Get("/search/suggest?q="+url.QueryEscape(`")(*:& OR`), "HX-Request", "true"); p.Status != 200 ||
			!strings.Contains(p.Text("#search-option-none"), "No contacts or companies match") {
			t.Errorf("syntax characters: %d %s", p.Status, p.Body)
		}

		// Enter on the box opens the full results page.
		p = d.member.Get("/search?q=lodz")
		mustStatus(t, p, http.StatusOK)
		if p.Find("#search-results a[href=/contacts/"+jose+"]") == nil || p.Find("#search-results a[href=/companies/"+co+"]") == nil ||
			webtest.Attr(p.Find("input#search-q"), "value") != "lodz" {
			t.Fatalf("results page:\n%s", p.Text("main"))
		}
		if p := d.member.Get("/search?q=zzz"); !strings.Contains(p.Text("main"), "Nothing matches “zzz”") {
			t.Errorf("no results:\n%s", p.Text("main"))
		}
		// The top bar's search box is there for people in an organization.
		if box := p.Find("input#global-search"); webtest.Attr(box, "role") != "combobox" || webtest.HasAttr(box, "disabled") {
			t.Error("the top bar has no live search box")
		}
		apptest.MustRedirect(t, apptest.NewBrowser(t, a).Get("/search/suggest?q=jose"), "/signin?next=%2Fsearch%2Fsuggest%3Fq%3Djose")
	})
}
