package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/kite-crm/kite/internal/platform/dbtest"
)

func TestContactsCRUDValidationAndEvents(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		a := startApp(t, testConfig(t, b))
		api := newClient(t, a)
		acc := api.signUp("sales@example.com", "Sales")
		c := api.as(acc.Access, acc.OrgID)

		co := c.must(201, "POST", "/companies", map[string]any{"name": "Acme GmbH", "domain": "Acme.COM", "website": "acme.com"})
		if co.Str("domain") != "acme.com" || co.Str("website") != "https://acme.com" {
			t.Fatalf("company = %s", co.Raw)
		}
		ann := c.must(201, "POST", "/contacts", map[string]any{"first_name": "Ann", "last_name": "Lee", "email": "Ann.Lee@Example.com",
			"phone": "+1 (415) 555-2671", "telegram_username": "@ann_lee", "company_id": co.Str("id"), "owner_id": acc.UserID,
			"tags": []string{"VIP", "lead", "vip"}})
		if ann.Str("email") != "ann.lee@example.com" || ann.Str("phone") != "+14155552671" || ann.Str("telegram_username") != "ann_lee" {
			t.Fatalf("normalized contact = %s", ann.Raw)
		}
		if tags := fmt.Sprint(ann.Body["tags"]); tags != "[lead VIP]" {
			t.Fatalf("tags = %s", tags)
		}
		// Reads return the tags in name order too, in one query with the row.
		if got := c.must(200, "GET", "/contacts/"+ann.Str("id"), nil); fmt.Sprint(got.Body["tags"]) != "[lead VIP]" {
			t.Fatalf("read tags = %s", got.Raw)
		}
		// Email is unique per org, whatever its case.
		if r := c.do("POST", "/contacts", map[string]any{"first_name": "Dup", "email": "ANN.LEE@example.com"}); r.Status != 409 {
			t.Fatalf("duplicate email: %d %s", r.Status, r.Raw)
		}
		// Another org may have the same email.
		other := api.signUp("rival@example.com", "Rival")
		api.as(other.Access, other.OrgID).must(201, "POST", "/contacts", map[string]any{"email": "ann.lee@example.com"})

		for name, body := range map[string]map[string]any{
			"body.email":             {"email": "not-an-email"},
			"body.telegram_username": {"first_name": "X", "telegram_username": "a b"},
			"body.company_id":        {"first_name": "X", "company_id": "01930000-0000-7000-8000-000000000000"},
			"body.owner_id":          {"first_name": "X", "owner_id": other.UserID},
			"body.custom_fields.x":   {"first_name": "X", "custom_fields": map[string]any{"x": 1}},
			"body.first_name":        {"title": "Nameless"},
			"body.tags":              {"first_name": "X", "tags": []string{"a\x1fb"}},
		} {
			r := c.do("POST", "/contacts", body)
			if r.Status != 422 || !strings.Contains(r.Raw, name) {
				t.Errorf("%s: %d %s", name, r.Status, r.Raw)
			}
		}

		id := ann.Str("id")
		upd := c.must(200, "PATCH", "/contacts/"+id, map[string]any{"title": "CTO", "tags": []string{"VIP"}})
		if upd.Str("title") != "CTO" || upd.Str("first_name") != "Ann" || fmt.Sprint(upd.Body["tags"]) != "[VIP]" {
			t.Fatalf("patch = %s", upd.Raw)
		}
		// contact.updated carries each changed field, old -> new.
		var payload string
		a.DB.NewSelect().TableExpr("events").Column("payload").Where("type = ?", "contact.updated").Where("subject_id = ?", id).Scan(context.Background(), &payload)
		var ev struct {
			Changes map[string]struct{ Old, New any } `json:"changes"`
		}
		json.Unmarshal([]byte(payload), &ev)
		if ev.Changes["title"].Old != "" || ev.Changes["title"].New != "CTO" || ev.Changes["tags"].New == nil {
			t.Fatalf("contact.updated payload = %s", payload)
		}
		// Notes: add, list, edit, delete.
		n := c.must(201, "POST", "/contacts/"+id+"/notes", map[string]any{"body": "Met at the fair: https://fair.example"})
		c.must(200, "PATCH", "/notes/"+n.Str("id"), map[string]any{"body": "Met at the fair"})
		if notes := c.must(200, "GET", "/contacts/"+id+"/notes", nil).Items(); len(notes) != 1 || notes[0]["body"] != "Met at the fair" {
			t.Fatalf("notes = %v", notes)
		}
		if r := c.do("POST", "/contacts/"+id+"/notes", map[string]any{"body": "  "}); r.Status != 422 {
			t.Fatalf("empty note: %d", r.Status)
		}
		c.must(204, "DELETE", "/notes/"+n.Str("id"), nil)
		// Deleting the company unlinks its contacts.
		c.must(204, "DELETE", "/companies/"+co.Str("id"), nil)
		if got := c.must(200, "GET", "/contacts/"+id, nil); got.Str("company_id") != "" {
			t.Fatalf("contact still linked to a deleted company: %s", got.Raw)
		}
		c.must(204, "DELETE", "/contacts/"+id, nil)
		if r := c.do("DELETE", "/contacts/"+id, nil); r.Status != 404 {
			t.Fatalf("deleting twice: %d", r.Status)
		}
		var types []string
		a.DB.NewSelect().TableExpr("events").Column("type").Where("org_id = ?", acc.OrgID).Where("type LIKE 'contact.%' OR type LIKE 'company.%' OR type LIKE 'note.%'").OrderExpr("id").Scan(context.Background(), &types)
		want := "company.created contact.created contact.updated note.created note.updated note.deleted company.deleted contact.deleted"
		if strings.Join(types, " ") != want {
			t.Fatalf("events = %v", types)
		}
	})
}

func TestContactListsFiltersAndPages(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		a := startApp(t, testConfig(t, b))
		api := newClient(t, a)
		acc := api.signUp("lists@example.com", "Lists")
		c := api.as(acc.Access, acc.OrgID)
		co := c.must(201, "POST", "/companies", map[string]any{"name": "Zeta"}).Str("id")
		for i := range 25 {
			body := map[string]any{"first_name": fmt.Sprintf("P%02d", i), "last_name": fmt.Sprintf("L%02d", 24-i)}
			if i%5 == 0 {
				body["tags"] = []string{"five"}
				body["company_id"] = co
			}
			c.must(201, "POST", "/contacts", body)
		}
		collect := func(query string) []string {
			var names []string
			cursor := ""
			for range 20 {
				q := query
				if !strings.Contains(q, "limit=") {
					q += "&limit=7"
				}
				if cursor != "" {
					q += "&cursor=" + url.QueryEscape(cursor)
				}
				r := c.must(200, "GET", "/contacts?"+q, nil)
				for _, it := range r.Items() {
					names = append(names, it["first_name"].(string))
				}
				next, _ := r.Body["next_cursor"].(string)
				if next == "" {
					return names
				}
				cursor = next
			}
			t.Fatal("pagination never ended")
			return nil
		}
		newest := collect("sort=-created_at")
		if len(newest) != 25 || newest[0] != "P24" || newest[24] != "P00" {
			t.Fatalf("newest first: %v", newest)
		}
		byName := collect("sort=name")
		if len(byName) != 25 || byName[0] != "P24" || byName[24] != "P00" { // last names run backwards
			t.Fatalf("by name: %v", byName)
		}
		if tagged := collect("tag=FIVE&sort=created_at"); strings.Join(tagged, ",") != "P00,P05,P10,P15,P20" {
			t.Fatalf("by tag: %v", tagged)
		}
		// The tag filter in the default order pages on the tag link's index.
		if tagged := collect("tag=five&limit=2"); strings.Join(tagged, ",") != "P20,P15,P10,P05,P00" {
			t.Fatalf("by tag, newest first, two a page: %v", tagged)
		}
		if tagged := collect("tag=five&sort=name&limit=2"); strings.Join(tagged, ",") != "P20,P15,P10,P05,P00" {
			t.Fatalf("by tag and name, two a page: %v", tagged)
		}
		if none := collect("updated_before=2000-01-01T00:00:00Z"); len(none) != 0 {
			t.Fatalf("updated before 2000: %v", none)
		}
		if all := collect("updated_after=2000-01-01T00:00:00Z&updated_before=2100-01-01T00:00:00Z"); len(all) != 25 {
			t.Fatalf("updated in range: %d", len(all))
		}
		if atCo := collect("company_id=" + co); len(atCo) != 5 {
			t.Fatalf("by company: %v", atCo)
		}
		for _, bad := range []string{"sort=shoe_size", "color=red", "created_after=yesterday", "limit=1000"} {
			r := c.do("GET", "/contacts?"+bad, nil)
			field := strings.SplitN(bad, "=", 2)[0]
			if r.Status != 422 || !strings.Contains(r.Raw, field) {
				t.Errorf("%s: %d %s", bad, r.Status, r.Raw)
			}
		}
		first := c.must(200, "GET", "/contacts?limit=2&sort=name", nil)
		if r := c.do("GET", "/contacts?sort=-created_at&cursor="+url.QueryEscape(first.Body["next_cursor"].(string)), nil); r.Status != 422 {
			t.Errorf("cursor of another sort: %d", r.Status)
		}
	})
}

func TestSearchFindsByPrefixWithoutDiacritics(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		a := startApp(t, testConfig(t, b))
		api := newClient(t, a)
		acc := api.signUp("find@example.com", "Find")
		c := api.as(acc.Access, acc.OrgID)
		co := c.must(201, "POST", "/companies", map[string]any{"name": "Łódź Logistics"}).Str("id")
		c.must(201, "POST", "/contacts", map[string]any{"first_name": "José", "last_name": "Müller", "company_id": co})
		c.must(201, "POST", "/contacts", map[string]any{"first_name": "Joseph", "last_name": "Mueller", "email": "jm@example.com"})
		c.must(201, "POST", "/contacts", map[string]any{"first_name": "Anna", "last_name": "Smith"})
		other := api.signUp("elsewhere@example.com", "Else")
		api.as(other.Access, other.OrgID).must(201, "POST", "/contacts", map[string]any{"first_name": "Jose", "last_name": "Muller"})

		names := func(path string) string {
			var out []string
			for _, it := range c.must(200, "GET", path, nil).Items() {
				out = append(out, it["first_name"].(string)+" "+it["last_name"].(string))
			}
			return strings.Join(out, ", ")
		}
		if got := names("/contacts/search?q=jose+mul"); got != "José Müller" {
			t.Fatalf("jose mul = %q", got)
		}
		if got := names("/contacts/search?q=jos"); !strings.Contains(got, "José Müller") || !strings.Contains(got, "Joseph Mueller") || strings.Count(got, ",") != 1 {
			t.Fatalf("jos = %q", got)
		}
		if got := names("/contacts/search?q=lodz"); got != "José Müller" {
			t.Fatalf("company name search = %q", got)
		}
		if got := names("/contacts/search?q=jm%40example"); got != "Joseph Mueller" {
			t.Fatalf("email search = %q", got)
		}
		if got := names("/contacts?q=ann"); got != "Anna Smith" {
			t.Fatalf("list q = %q", got)
		}
		if got := names("/contacts/search?q=%22%29%28*%3A%26"); got != "" {
			t.Fatalf("syntax characters = %q", got)
		}
		r := c.must(200, "GET", "/companies?q=logis", nil).Items()
		if len(r) != 1 || r[0]["name"] != "Łódź Logistics" {
			t.Fatalf("companies q = %v", r)
		}
		// Renaming the company moves its contacts' search with it; deleting
		// it stops them being found by its name.
		c.must(200, "PATCH", "/companies/"+co, map[string]any{"name": "Gdańsk Freight"})
		if got := names("/contacts/search?q=gdansk"); got != "José Müller" {
			t.Fatalf("after rename = %q", got)
		}
		c.must(204, "DELETE", "/companies/"+co, nil)
		if got := names("/contacts/search?q=gdansk"); got != "" {
			t.Fatalf("after delete = %q", got)
		}
	})
}

func TestDuplicatesAndMerge(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		a := startApp(t, testConfig(t, b))
		api := newClient(t, a)
		acc := api.signUp("dedupe@example.com", "Dedupe")
		c := api.as(acc.Access, acc.OrgID)
		keep := c.must(201, "POST", "/contacts", map[string]any{"first_name": "Ann", "phone": "+1 415 555 2671", "tags": []string{"a"}})
		dup := c.must(201, "POST", "/contacts", map[string]any{"first_name": "Annie", "last_name": "Lee", "email": "ann@example.com",
			"phone": "(415) 555-2671", "telegram_username": "AnnLee", "tags": []string{"b"}})
		c.must(201, "POST", "/contacts", map[string]any{"first_name": "Tg", "telegram_username": "annlee"})
		c.must(201, "POST", "/contacts", map[string]any{"first_name": "Solo", "phone": "+49 30 1234567"})
		c.must(201, "POST", "/contacts/"+dup.Str("id")+"/notes", map[string]any{"body": "from the duplicate"})

		groups := c.must(200, "GET", "/contacts/duplicates", nil).Items()
		reasons := map[string]int{}
		for _, g := range groups {
			reasons[g["reason"].(string)] = len(g["contacts"].([]any))
		}
		if len(groups) != 2 || reasons["phone"] != 2 || reasons["telegram_username"] != 2 {
			t.Fatalf("duplicate groups = %v", groups)
		}
		if r := c.do("POST", "/contacts/"+keep.Str("id")+"/merge", map[string]any{"other_id": keep.Str("id")}); r.Status != 422 {
			t.Fatalf("merge into itself: %d", r.Status)
		}
		if r := c.do("POST", "/contacts/"+keep.Str("id")+"/merge", map[string]any{"other_id": dup.Str("id"), "take": []string{"password"}}); r.Status != 422 {
			t.Fatalf("unknown field to take: %d", r.Status)
		}
		merged := c.must(200, "POST", "/contacts/"+keep.Str("id")+"/merge", map[string]any{"other_id": dup.Str("id"), "take": []string{"first_name"}})
		if merged.Str("first_name") != "Annie" || merged.Str("last_name") != "Lee" || merged.Str("email") != "ann@example.com" ||
			fmt.Sprint(merged.Body["tags"]) != "[a b]" {
			t.Fatalf("merged = %s", merged.Raw)
		}
		if r := c.do("GET", "/contacts/"+dup.Str("id"), nil); r.Status != 404 {
			t.Fatalf("merged-away contact still there: %d", r.Status)
		}
		if notes := c.must(200, "GET", "/contacts/"+keep.Str("id")+"/notes", nil).Items(); len(notes) != 1 {
			t.Fatalf("notes did not move: %v", notes)
		}
		if got := c.must(200, "GET", "/contacts/search?q=annie", nil).Items(); len(got) != 1 || got[0]["id"] != keep.Str("id") {
			t.Fatalf("search after merge: %v", got)
		}
	})
}

func TestActivityTimeline(t *testing.T) {
	t.Parallel()
	a := startApp(t, testConfig(t, dbtest.New(t, "sqlite", true)))
	api := newClient(t, a)
	acc := api.signUp("timeline@example.com", "Timeline")
	c := api.as(acc.Access, acc.OrgID)
	id := c.must(201, "POST", "/contacts", map[string]any{"first_name": "Tim"}).Str("id")
	c.must(200, "PATCH", "/contacts/"+id, map[string]any{"title": "Buyer"})
	c.must(201, "POST", "/contacts/"+id+"/notes", map[string]any{"body": "Wants a demo"})
	other := c.must(201, "POST", "/contacts", map[string]any{"first_name": "Other"}).Str("id")
	c.must(200, "PATCH", "/contacts/"+other, map[string]any{"title": "x"})

	first := c.must(200, "GET", "/contacts/"+id+"/activity?limit=2", nil)
	items := first.Items()
	if len(items) != 2 || items[0]["type"] != "note.created" || items[1]["type"] != "contact.updated" {
		t.Fatalf("timeline page 1 = %v", items)
	}
	changes := items[1]["payload"].(map[string]any)["changes"].(map[string]any)["title"].(map[string]any)
	if changes["old"] != "" || changes["new"] != "Buyer" {
		t.Fatalf("title change = %v", changes)
	}
	rest := c.must(200, "GET", "/contacts/"+id+"/activity?cursor="+url.QueryEscape(first.Body["next_cursor"].(string)), nil).Items()
	if len(rest) != 1 || rest[0]["type"] != "contact.created" {
		t.Fatalf("timeline page 2 = %v", rest)
	}
	if r := c.do("GET", "/contacts/01930000-0000-7000-8000-000000000000/activity", nil); r.Status != 404 {
		t.Fatalf("unknown contact: %d", r.Status)
	}
}

func TestCustomFields(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		a := startApp(t, testConfig(t, b))
		api := newClient(t, a)
		acc := api.signUp("fields@example.com", "Fields")
		c := api.as(acc.Access, acc.OrgID)
		seg := c.must(201, "POST", "/custom-fields", map[string]any{"object": "contact", "label": "Segment", "type": "select", "options": []string{"SMB", "Enterprise"}})
		if seg.Str("key") != "segment" {
			t.Fatalf("key = %s", seg.Raw)
		}
		c.must(201, "POST", "/custom-fields", map[string]any{"object": "contact", "label": "Seats", "type": "number"})
		c.must(201, "POST", "/custom-fields", map[string]any{"object": "contact", "label": "Churn risk", "type": "checkbox"})
		c.must(201, "POST", "/custom-fields", map[string]any{"object": "company", "label": "Founded", "type": "date"})
		if r := c.do("POST", "/custom-fields", map[string]any{"object": "contact", "label": "Segment", "type": "text"}); r.Status != 409 {
			t.Fatalf("duplicate key: %d %s", r.Status, r.Raw)
		}
		if r := c.do("POST", "/custom-fields", map[string]any{"object": "contact", "label": "Tier", "type": "select"}); r.Status != 422 {
			t.Fatalf("select without options: %d", r.Status)
		}

		big := c.must(201, "POST", "/contacts", map[string]any{"first_name": "Big", "custom_fields": map[string]any{"segment": "Enterprise", "seats": 250, "churn_risk": false}})
		c.must(201, "POST", "/contacts", map[string]any{"first_name": "Small", "custom_fields": map[string]any{"segment": "SMB", "seats": 3, "churn_risk": true}})
		if big.Body["custom_fields"].(map[string]any)["seats"] != float64(250) {
			t.Fatalf("custom values = %s", big.Raw)
		}
		for name, cf := range map[string]map[string]any{
			"custom_fields.segment":    {"segment": "Huge"},
			"custom_fields.seats":      {"seats": "many"},
			"custom_fields.churn_risk": {"churn_risk": "yes"},
			"custom_fields.unknown":    {"unknown": 1},
		} {
			r := c.do("POST", "/contacts", map[string]any{"first_name": "X", "custom_fields": cf})
			if r.Status != 422 || !strings.Contains(r.Raw, name) {
				t.Errorf("%s: %d %s", name, r.Status, r.Raw)
			}
		}
		names := func(query string) string {
			var out []string
			for _, it := range c.must(200, "GET", "/contacts?"+query, nil).Items() {
				out = append(out, it["first_name"].(string))
			}
			return strings.Join(out, ",")
		}
		if got := names("cf=segment:Enterprise"); got != "Big" {
			t.Fatalf("cf segment = %q", got)
		}
		if got := names("cf=seats:3&cf=churn_risk:true"); got != "Small" {
			t.Fatalf("cf seats+churn = %q", got)
		}
		if r := c.do("GET", "/contacts?cf=nope:1", nil); r.Status != 422 || !strings.Contains(r.Raw, "query.cf") {
			t.Fatalf("unknown cf: %d %s", r.Status, r.Raw)
		}
		// Clearing a value with null, and the change in the event.
		upd := c.must(200, "PATCH", "/contacts/"+big.Str("id"), map[string]any{"custom_fields": map[string]any{"seats": nil, "segment": "SMB"}})
		if cf := upd.Body["custom_fields"].(map[string]any); cf["seats"] != nil || cf["segment"] != "SMB" {
			t.Fatalf("after patch = %v", cf)
		}
		// Rename keeps the key; removal drops the field from filters.
		c.must(200, "PATCH", "/custom-fields/"+seg.Str("id"), map[string]any{"label": "Market segment"})
		c.must(204, "DELETE", "/custom-fields/"+seg.Str("id"), nil)
		if r := c.do("GET", "/contacts?cf=segment:SMB", nil); r.Status != 422 {
			t.Fatalf("filter on a removed field: %d", r.Status)
		}
		// Its values went with it: a new field with the same key starts empty.
		if cf := c.must(200, "GET", "/contacts/"+big.Str("id"), nil).Body["custom_fields"].(map[string]any); cf["segment"] != nil {
			t.Fatalf("removed field's value kept: %v", cf)
		}
		c.must(201, "POST", "/custom-fields", map[string]any{"object": "contact", "label": "Segment", "type": "text"})
		if cf := c.must(200, "GET", "/contacts/"+big.Str("id"), nil).Body["custom_fields"].(map[string]any); cf["segment"] != nil {
			t.Fatalf("re-added field shows the old value: %v", cf)
		}
		co := c.must(201, "POST", "/companies", map[string]any{"name": "Old Co", "custom_fields": map[string]any{"founded": "1999-05-01"}})
		if co.Body["custom_fields"].(map[string]any)["founded"] != "1999-05-01" {
			t.Fatalf("company custom = %s", co.Raw)
		}
	})
}

func TestBulkContactActions(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		a := startApp(t, testConfig(t, b))
		api := newClient(t, a)
		acc := api.signUp("bulk@example.com", "Bulk")
		c := api.as(acc.Access, acc.OrgID)
		var ids []string
		for i := range 4 {
			ids = append(ids, c.must(201, "POST", "/contacts", map[string]any{"first_name": fmt.Sprint("B", i), "tags": []string{"old"}}).Str("id"))
		}
		stranger := api.signUp("bulkstranger@example.com", "Other")
		theirs := api.as(stranger.Access, stranger.OrgID).must(201, "POST", "/contacts", map[string]any{"first_name": "Theirs"}).Str("id")

		r := c.must(200, "POST", "/contacts/bulk", map[string]any{"ids": append(ids[:3:3], theirs, "junk"), "action": "tag", "tags": []string{"Hot"}})
		if r.Body["affected"] != float64(3) {
			t.Fatalf("tag affected = %v", r.Body)
		}
		if got := c.must(200, "GET", "/contacts?tag=hot", nil).Items(); len(got) != 3 {
			t.Fatalf("tagged = %d", len(got))
		}
		c.must(200, "POST", "/contacts/bulk", map[string]any{"ids": ids, "action": "untag", "tags": []string{"OLD"}})
		if got := c.must(200, "GET", "/contacts?tag=old", nil).Items(); len(got) != 0 {
			t.Fatalf("untag left %d", len(got))
		}
		c.must(200, "POST", "/contacts/bulk", map[string]any{"ids": ids[:2], "action": "set_owner", "owner_id": acc.UserID})
		if got := c.must(200, "GET", "/contacts?owner_id="+acc.UserID, nil).Items(); len(got) != 2 {
			t.Fatalf("owned = %d", len(got))
		}
		if r := c.do("POST", "/contacts/bulk", map[string]any{"ids": ids, "action": "set_owner", "owner_id": stranger.UserID}); r.Status != 422 {
			t.Fatalf("owner from another org: %d", r.Status)
		}
		c.must(200, "POST", "/contacts/bulk", map[string]any{"ids": append(ids, theirs), "action": "delete"})
		if got := c.must(200, "GET", "/contacts", nil).Items(); len(got) != 0 {
			t.Fatalf("left after bulk delete: %d", len(got))
		}
		api.as(stranger.Access, stranger.OrgID).must(200, "GET", "/contacts/"+theirs, nil)

		// Companies take the same actions; a deleted company's contacts stay.
		var cos []string
		for i := range 3 {
			cos = append(cos, c.must(201, "POST", "/companies", map[string]any{"name": fmt.Sprint("Co", i)}).Str("id"))
		}
		kept := c.must(201, "POST", "/contacts", map[string]any{"first_name": "Kept", "company_id": cos[0]}).Str("id")
		theirCo := api.as(stranger.Access, stranger.OrgID).must(201, "POST", "/companies", map[string]any{"name": "Theirs"}).Str("id")
		if r := c.must(200, "POST", "/companies/bulk", map[string]any{"ids": append(cos[:2:2], theirCo), "action": "tag", "tags": []string{"Key"}}); r.Body["affected"] != float64(2) {
			t.Fatalf("company tag affected = %v", r.Body)
		}
		if got := c.must(200, "GET", "/companies?tag=key", nil).Items(); len(got) != 2 {
			t.Fatalf("tagged companies = %d", len(got))
		}
		c.must(200, "POST", "/companies/bulk", map[string]any{"ids": cos, "action": "set_owner", "owner_id": acc.UserID})
		if got := c.must(200, "GET", "/companies?owner_id="+acc.UserID, nil).Items(); len(got) != 3 {
			t.Fatalf("owned companies = %d", len(got))
		}
		c.must(200, "POST", "/companies/bulk", map[string]any{"ids": append(cos, theirCo), "action": "delete"})
		if got := c.must(200, "GET", "/companies", nil).Items(); len(got) != 0 {
			t.Fatalf("companies left after bulk delete: %d", len(got))
		}
		if got := c.must(200, "GET", "/contacts/"+kept, nil); got.Body["company_id"] != nil && got.Body["company_id"] != "" {
			t.Fatalf("contact of a deleted company = %s", got.Raw)
		}
		api.as(stranger.Access, stranger.OrgID).must(200, "GET", "/companies/"+theirCo, nil)
	})
}
