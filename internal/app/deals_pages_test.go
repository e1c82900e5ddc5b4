package app_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/kite-crm/kite/internal/app"
	"github.com/kite-crm/kite/internal/app/apptest"
	"github.com/kite-crm/kite/internal/web"
	"github.com/kite-crm/kite/internal/web/webtest"
)

// The deal pages over HTTP: forms with their errors, the table view, the
// pipeline settings, read-only viewers and other organizations.

// cardTitles are the titles of a board column's cards, in order.
func cardTitles(p *apptest.Page, stageName string) string {
	var out []string
	for _, ol := range webtest.Select(p.Doc(), "ol.board-cards") {
		if webtest.Attr(ol, "data-stage-name") != stageName {
			continue
		}
		for _, li := range webtest.Select(ol, "li.deal-card") {
			out = append(out, webtest.Attr(li, "data-title"))
		}
	}
	return strings.Join(out, ",")
}

func TestDealPagesFormsTableAndSettings(t *testing.T) {
	t.Parallel()
	eachKite(t, func(t *testing.T, a *app.App) {
		owner := signedUp(t, a, "boss@example.com", "Boss")
		board := okPage(t, owner, "/deals")
		stages := map[string]string{}
		for _, ol := range webtest.Select(board.Doc(), "ol.board-cards") {
			stages[webtest.Attr(ol, "data-stage-name")] = webtest.Attr(ol, "data-stage")
		}
		if len(stages) != 6 {
			t.Fatalf("board columns: %v", stages)
		}
		if !strings.Contains(board.Text("main"), "No deals yet") {
			t.Error("an empty board does not say so")
		}

		// The new-deal form: errors next to the fields, nothing stored.
		p := owner.Post("/deals", url.Values{"title": {""}, "value": {"-3"}, "currency": {"USD"}, "stage_id": {stages["Lead"]}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "Give the deal a title") {
			t.Fatalf("empty title: %d\n%s", p.Status, p.Text("main"))
		}
		p = owner.Post("/deals", url.Values{"title": {"Big one"}, "value": {"ten"}, "currency": {"USD"}, "stage_id": {stages["Lead"]}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Text("#new-deal-form"), "Write the value as a number") {
			t.Fatalf("bad value: %d\n%s", p.Status, p.Text("main"))
		}
		if v := webtest.Attr(p.Find("#new-title"), "value"); v != "Big one" {
			t.Errorf("the refused form lost the title: %q", v)
		}
		p = owner.Post("/deals", url.Values{"title": {"Big one"}, "value": {"12,500"}, "currency": {"eur"}, "stage_id": {stages["Proposal"]}, "return": {"/deals"}})
		apptest.MustRedirect(t, p, "/deals")
		for _, title := range []string{"Small", "Medium"} {
			owner.Post("/deals", url.Values{"title": {title}, "value": {"10"}, "stage_id": {stages["Lead"]}})
		}
		board = okPage(t, owner, "/deals")
		if got := cardTitles(board, "Proposal"); got != "Big one" {
			t.Fatalf("proposal column: %q", got)
		}
		if !strings.Contains(board.Text("main"), "12,500.00 EUR") || !strings.Contains(board.Text("main"), "6,250.00 EUR weighted (50%)") {
			t.Errorf("column totals:\n%s", board.Text("#board"))
		}
		id := webtest.Attr(board.Find("li[data-title=Small]"), "data-deal")

		// The card menu's move works without JavaScript.
		apptest.MustRedirect(t, owner.Post("/deals/"+id+"/move", url.Values{"stage_id": {stages["Won"]}, "return": {"/deals"}}), "/deals")
		if got := cardTitles(okPage(t, owner, "/deals"), "Won"); got != "Small" {
			t.Fatalf("won column: %q", got)
		}
		// The deal page: edit with a bad date, then reopen.
		p = owner.Post("/deals/"+id, url.Values{"title": {"Small"}, "expected_close_date": {"tomorrow"}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Text("#deal-form"), "YYYY-MM-DD") {
			t.Fatalf("bad date: %d\n%s", p.Status, p.Text("main"))
		}
		apptest.MustRedirect(t, owner.Post("/deals/"+id+"/status", url.Values{"status": {"open"}}), "/deals/"+id)
		detail := okPage(t, owner, "/deals/"+id)
		if !strings.Contains(detail.Text("#stage-history"), "Won") || !strings.Contains(detail.Text("#deal-activity"), "marked it won") {
			t.Errorf("history:\n%s\n%s", detail.Text("#stage-history"), detail.Text("#deal-activity"))
		}
		apptest.MustRedirect(t, owner.Post("/deals/"+id+"/notes", url.Values{"body": {"Follow up"}}), "/deals/"+id+"#notes")
		notes := okPage(t, owner, "/deals/"+id)
		if !strings.Contains(notes.Text("#notes"), "Follow up") {
			t.Error("the note does not show")
		}
		noteID := strings.TrimPrefix(webtest.Attr(notes.Find("#notes li"), "id"), "note-")
		apptest.MustRedirect(t, owner.Post("/notes/"+noteID, url.Values{"body": {"Follow up on Friday"}, "return": {"/deals/" + id}}), "/deals/"+id+"#notes")
		if !strings.Contains(okPage(t, owner, "/deals/"+id).Text("#notes"), "Follow up on Friday") {
			t.Error("the edited note does not show")
		}

		// The table view sorts by value.
		table := okPage(t, owner, "/deals?view=table&sort=-value")
		var titles []string
		for _, a := range webtest.Select(table.Doc(), "#deals-table tbody td a") {
			titles = append(titles, webtest.Text(a))
		}
		if got := strings.Join(titles, ","); got != "Big one,Small,Medium" && got != "Big one,Medium,Small" {
			t.Errorf("table by value: %s", got)
		}
		// A bad filter is explained, not a server error.
		if p := owner.Get("/deals?value_min=abc"); p.Status != http.StatusUnprocessableEntity {
			t.Errorf("bad filter: %d", p.Status)
		}

		// Settings: a new pipeline, a stage with deals needs a target.
		p = owner.Post("/settings/pipelines", url.Values{"name": {"Renewals"}})
		if p.Status != http.StatusSeeOther || !strings.Contains(p.Location, "/settings/pipelines?pipeline=") {
			t.Fatalf("new pipeline: %d %s", p.Status, p.Location)
		}
		pipelineID := strings.TrimPrefix(p.Location, "/settings/pipelines?pipeline=")
		defaultID := webtest.Attr(board.Find("#board"), "data-pipeline")
		p = owner.Post("/settings/stages/"+stages["Lead"]+"/delete", url.Values{"pipeline_id": {defaultID}})
		if p.Status != http.StatusConflict || !strings.Contains(p.Text("main"), "choose a stage to move them to") {
			t.Fatalf("deleting a stage with deals: %d\n%s", p.Status, p.Text("main"))
		}
		apptest.MustRedirect(t, owner.Post("/settings/stages/"+stages["Lead"]+"/delete", url.Values{"pipeline_id": {defaultID}, "move_to": {stages["Qualified"]}}),
			"/settings/pipelines?pipeline="+defaultID)
		if got := cardTitles(okPage(t, owner, "/deals"), "Qualified"); got != "Small,Medium" && got != "Medium,Small" {
			t.Errorf("moved deals: %q", got)
		}
		if p := owner.Post("/settings/pipelines/"+defaultID+"/delete", nil); p.Status != http.StatusConflict {
			t.Errorf("deleting the default pipeline: %d", p.Status)
		}
		apptest.MustRedirect(t, owner.Post("/settings/pipelines/"+pipelineID+"/delete", nil), "/settings/pipelines")

		// A viewer sees the board without write controls and cannot post.
		viewer := signedUp(t, a, "vera@example.com", "Vera's own")
		owner.Post("/settings/members", url.Values{"email": {"vera@example.com"}, "role": {"viewer"}})
		bossOrg := webtest.Attr(owner.Get("/deals").Find("form[action="+web.OrgSwitchPath+"] input[name=org_id]"), "value")
		viewer.Post(web.OrgSwitchPath, url.Values{"org_id": {bossOrg}})
		vb := okPage(t, viewer, "/deals")
		if cardTitles(vb, "Proposal") != "Big one" || vb.Find("#new-deal") != nil || vb.Find("details.deal-menu") != nil {
			t.Error("the viewer's board is wrong or has write controls")
		}
		if webtest.Attr(vb.Find("#board"), "data-can-write") != "false" {
			t.Error("the viewer's board allows dragging")
		}
		for path, form := range map[string]url.Values{
			"/deals":                   {"title": {"X"}},
			"/deals/" + id:             {"title": {"X"}},
			"/deals/" + id + "/move":   {"stage_id": {stages["Won"]}},
			"/deals/" + id + "/status": {"status": {"won"}},
			"/deals/" + id + "/delete": {},
			"/settings/pipelines":      {"name": {"X"}},
		} {
			if p := viewer.Post(path, form); p.Status != http.StatusForbidden {
				t.Errorf("viewer POST %s: %d", path, p.Status)
			}
		}
		// Another organization's deal and stages are not found.
		rival := signedUp(t, a, "rival@example.com", "Rival")
		if p := rival.Get("/deals/" + id); p.Status != http.StatusNotFound {
			t.Errorf("rival GET deal: %d", p.Status)
		}
		if p := rival.Get("/deals?pipeline=" + defaultID); p.Status != http.StatusNotFound {
			t.Errorf("rival GET board: %d", p.Status)
		}
		for path, form := range map[string]url.Values{
			"/deals/" + id:                                  {"title": {"X"}},
			"/deals/" + id + "/move":                        {"stage_id": {stages["Won"]}},
			"/deals/" + id + "/delete":                      {},
			"/deals/" + id + "/notes":                       {"body": {"x"}},
			"/settings/stages/" + stages["Won"]:             {"name": {"X"}},
			"/settings/pipelines/" + defaultID:              {"name": {"X"}},
			"/settings/stages/" + stages["Won"] + "/delete": {},
		} {
			if p := rival.Post(path, form); p.Status != http.StatusNotFound {
				t.Errorf("rival POST %s: %d", path, p.Status)
			}
		}
		if p := rival.Get("/deals/columns/" + stages["Qualified"]); p.Status != http.StatusNotFound {
			t.Errorf("rival column: %d", p.Status)
		}
	})
}

// A column with more than 50 deals shows 50 and loads the rest on scroll
// (the sentinel's URL), keeping the filters.
func TestDealPagesColumnLoadsMore(t *testing.T) {
	t.Parallel()
	eachKite(t, func(t *testing.T, a *app.App) {
		owner := signedUp(t, a, "many@example.com", "Many")
		board := okPage(t, owner, "/deals")
		lead := webtest.Attr(board.Find("ol[data-stage-name=Lead]"), "data-stage")
		for i := range 55 {
			value := "10"
			if i%2 == 1 {
				value = "500"
			}
			owner.Post("/deals", url.Values{"title": {"Deal " + strconv.Itoa(i)}, "value": {value}, "stage_id": {lead}})
		}
		board = okPage(t, owner, "/deals")
		if n := len(strings.Split(cardTitles(board, "Lead"), ",")); n != 50 {
			t.Fatalf("first cards: %d", n)
		}
		more := webtest.Attr(board.Find("li.board-more"), "hx-get")
		if more == "" || !strings.Contains(board.Text("ol[data-stage-name=Lead]"), "Deal 0") {
			t.Fatalf("no load-more sentinel: %q", more)
		}
		rest := owner.Get(more, "HX-Request", "true")
		if got := len(webtest.Select(rest.Doc(), "li.deal-card")); rest.Status != 200 || got != 5 || rest.Find("li.board-more") != nil {
			t.Fatalf("next cards: %d %d", rest.Status, got)
		}
		// With a filter the count and the cards follow it.
		filtered := okPage(t, owner, "/deals?value_min=100")
		if got := webtest.Text(filtered.Find("ol[data-stage-name=Lead]")); strings.Contains(got, "Deal 0 ") {
			t.Errorf("a deal under the minimum shows: %s", got)
		}
		if n := len(strings.Split(cardTitles(filtered, "Lead"), ",")); n != 27 {
			t.Errorf("filtered cards: %d, want 27", n)
		}
	})
}
