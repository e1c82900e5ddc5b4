package app

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// stageIDs maps the stage names of a pipeline answer to their ids.
func stageIDs(p response) map[string]string {
	out := map[string]string{}
	stages, _ := p.Body["stages"].([]any)
	for _, s := range stages {
		m := s.(map[string]any)
		out[m["name"].(string)] = m["id"].(string)
	}
	return out
}

func defaultPipeline(t *testing.T, c *client) response {
	t.Helper()
	list := c.must(200, "GET", "/pipelines", nil).Items()
	if len(list) == 0 {
		t.Fatal("no pipelines")
	}
	return c.must(200, "GET", "/pipelines/"+list[0]["id"].(string), nil)
}

func TestDefaultPipelineAtOrgCreation(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		a := startApp(t, testConfig(t, b))
		api := newClient(t, a)
		acc := api.signUp("owner@example.com", "Acme")
		c := api.as(acc.Access, acc.OrgID)
		list := c.must(200, "GET", "/pipelines", nil).Items()
		if len(list) != 1 || list[0]["is_default"] != true {
			t.Fatalf("pipelines = %v", list)
		}
		var names, kinds []string
		for _, s := range list[0]["stages"].([]any) {
			m := s.(map[string]any)
			names, kinds = append(names, m["name"].(string)), append(kinds, m["kind"].(string))
		}
		if got := strings.Join(names, ","); got != "Lead,Qualified,Proposal,Negotiation,Won,Lost" {
			t.Fatalf("stages = %s", got)
		}
		if got := strings.Join(kinds, ","); got != "open,open,open,open,won,lost" {
			t.Fatalf("kinds = %s", got)
		}
		// A second org made through the API gets its own.
		o := c.must(201, "POST", "/organizations", map[string]any{"name": "Second"})
		if l := api.as(acc.Access, o.Str("id")).must(200, "GET", "/pipelines", nil).Items(); len(l) != 1 || l[0]["id"] == list[0]["id"] {
			t.Fatalf("second org pipelines = %v", l)
		}
		// Exactly one default: making another the default moves the flag.
		p2 := c.must(201, "POST", "/pipelines", map[string]any{"name": "Renewals", "is_default": true})
		list = c.must(200, "GET", "/pipelines", nil).Items()
		defaults := 0
		for _, p := range list {
			if p["is_default"] == true {
				defaults++
				if p["id"] != p2.Str("id") {
					t.Fatalf("default is %v, want the new pipeline", p["id"])
				}
			}
		}
		if defaults != 1 {
			t.Fatalf("%d defaults", defaults)
		}
		if r := c.do("PATCH", "/pipelines/"+p2.Str("id"), map[string]any{"is_default": false}); r.Status != 422 {
			t.Fatalf("unsetting the default: %d %s", r.Status, r.Raw)
		}
		if r := c.do("DELETE", "/pipelines/"+p2.Str("id"), nil); r.Status != 409 || r.Code() != "default_pipeline" {
			t.Fatalf("deleting the default: %d %s", r.Status, r.Raw)
		}
		// The startup backfill gives an org without a pipeline its default.
		ctx := context.Background()
		a.DB.NewDelete().TableExpr("stages").Where("org_id = ?", o.Str("id")).Exec(ctx)
		a.DB.NewDelete().TableExpr("pipelines").Where("org_id = ?", o.Str("id")).Exec(ctx)
		if err := a.Pipelines.EnsureDefaults(ctx); err != nil {
			t.Fatal(err)
		}
		if l := api.as(acc.Access, o.Str("id")).must(200, "GET", "/pipelines", nil).Items(); len(l) != 1 {
			t.Fatalf("after backfill: %v", l)
		}
	})
}

func TestDealsMoveStatusMoneyAndBadInput(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		a := startApp(t, testConfig(t, b))
		api := newClient(t, a)
		acc := api.signUp("sales@example.com", "Sales")
		c := api.as(acc.Access, acc.OrgID)
		p := defaultPipeline(t, c)
		st := stageIDs(p)
		ann := c.must(201, "POST", "/contacts", map[string]any{"first_name": "Ann", "tags": []string{"vip"}})

		d := c.must(201, "POST", "/deals", map[string]any{"title": "Acme renewal", "value": "1250.5", "contact_id": ann.Str("id"),
			"owner_id": acc.UserID, "expected_close_date": "2027-01-31"})
		if d.Str("value") != "1250.50" || d.Str("currency") != "USD" || d.Str("stage_id") != st["Lead"] || d.Str("status") != "open" ||
			d.Str("pipeline_id") != p.Str("id") {
			t.Fatalf("deal = %s", d.Raw)
		}
		id := d.Str("id")
		c.must(201, "POST", "/deals", map[string]any{"title": "Yen deal", "value": "500000", "currency": "jpy", "stage_id": st["Lead"]})

		// Bad input: clear 4xx, nothing changed.
		other := api.signUp("rival@example.com", "Rival")
		oc := api.as(other.Access, other.OrgID)
		otherStage := stageIDs(defaultPipeline(t, oc))["Lead"]
		second := c.must(201, "POST", "/pipelines", map[string]any{"name": "Partners"})
		secondStage := stageIDs(second)["Lead"]
		for name, body := range map[string]map[string]any{
			"negative":      {"title": "X", "value": "-5"},
			"non-numeric":   {"title": "X", "value": "ten"},
			"too precise":   {"title": "X", "value": "1.005"},
			"currency":      {"title": "X", "currency": "XYZ"},
			"no title":      {"value": "5"},
			"other org":     {"title": "X", "stage_id": otherStage},
			"mismatch":      {"title": "X", "pipeline_id": p.Str("id"), "stage_id": secondStage},
			"bad date":      {"title": "X", "expected_close_date": "31/01/2027"},
			"foreign owner": {"title": "X", "owner_id": other.UserID},
		} {
			if r := c.do("POST", "/deals", body); r.Status != 422 {
				t.Errorf("%s: %d %s", name, r.Status, r.Raw)
			}
		}
		if r := c.do("POST", "/deals", map[string]any{"title": "X", "value": 12}); r.Status != 422 {
			t.Errorf("numeric JSON value: %d %s", r.Status, r.Raw)
		}
		for name, body := range map[string]map[string]any{
			"other pipeline": {"stage_id": secondStage},
			"other org":      {"stage_id": otherStage},
			"not an id":      {"stage_id": "nope"},
		} {
			if r := c.do("PATCH", "/deals/"+id+"/stage", body); r.Status != 422 {
				t.Errorf("move to %s: %d %s", name, r.Status, r.Raw)
			}
		}
		if r := oc.do("PATCH", "/deals/"+id+"/stage", map[string]any{"stage_id": otherStage}); r.Status != 404 {
			t.Errorf("another org moving the deal: %d", r.Status)
		}
		if got := c.must(200, "GET", "/deals/"+id, nil); got.Str("stage_id") != st["Lead"] || got.Str("updated_at") != d.Str("updated_at") {
			t.Fatalf("a refused move changed the deal: %s", got.Raw)
		}

		// Moves: status follows the stage kind; closed_at set and cleared.
		c.must(200, "PATCH", "/deals/"+id+"/stage", map[string]any{"stage_id": st["Qualified"]})
		won := c.must(200, "PATCH", "/deals/"+id+"/stage", map[string]any{"stage_id": st["Won"]})
		if won.Str("status") != "won" || won.Str("closed_at") == "" {
			t.Fatalf("won = %s", won.Raw)
		}
		lost := c.must(200, "PATCH", "/deals/"+id, map[string]any{"status": "lost", "lost_reason": "Budget cut"})
		if lost.Str("status") != "lost" || lost.Str("stage_id") != st["Lost"] || lost.Str("lost_reason") != "Budget cut" {
			t.Fatalf("lost = %s", lost.Raw)
		}
		reopened := c.must(200, "PATCH", "/deals/"+id+"/stage", map[string]any{"stage_id": st["Proposal"], "position": 0})
		if reopened.Str("status") != "open" || reopened.Body["closed_at"] != nil || reopened.Str("lost_reason") != "" {
			t.Fatalf("reopened = %s", reopened.Raw)
		}
		hist := c.must(200, "GET", "/deals/"+id+"/history", nil).Items()
		var path []string
		for _, h := range hist {
			path = append(path, fmt.Sprint(h["from_stage_name"], "→", h["to_stage_name"]))
		}
		if got := strings.Join(path, " "); got != "→Lead Lead→Qualified Qualified→Won Won→Lost Lost→Proposal" {
			t.Fatalf("history = %s", got)
		}
		var types []string
		a.DB.NewSelect().TableExpr("events").Column("type").Where("subject_id = ?", id).OrderExpr("id").Scan(context.Background(), &types)
		if got := strings.Join(types, ","); got != "deal.created,deal.stage_changed,deal.stage_changed,deal.won,deal.stage_changed,deal.lost,deal.updated,deal.stage_changed" {
			t.Fatalf("events = %s", got)
		}

		// The board: counts and totals per currency, weighted by probability.
		c.must(201, "POST", "/deals", map[string]any{"title": "Big", "value": "1000", "stage_id": st["Proposal"]})
		board := c.must(200, "GET", "/pipelines/"+p.Str("id")+"/board", nil)
		cols := board.Body["stages"].([]any)
		prop := cols[2].(map[string]any)
		if prop["count"] != float64(2) {
			t.Fatalf("proposal column = %v", prop)
		}
		tot := prop["totals"].([]any)[0].(map[string]any)
		if tot["value"] != "2250.50" || tot["weighted_value"] != "1125.25" {
			t.Fatalf("proposal totals = %v", tot)
		}
		cards := prop["deals"].([]any)
		if cards[0].(map[string]any)["id"] != id || cards[0].(map[string]any)["contact_name"] != "Ann" {
			t.Fatalf("proposal cards = %v", cards)
		}
		lead := cols[0].(map[string]any)
		if lt := lead["totals"].([]any); len(lt) != 1 || lt[0].(map[string]any)["value"] != "500000" || lt[0].(map[string]any)["currency"] != "JPY" {
			t.Fatalf("lead totals = %v", lead["totals"])
		}
		// Filters narrow the cards and the counts.
		vip := c.must(200, "GET", "/pipelines/"+p.Str("id")+"/board?tag=VIP&value_min=2000", nil)
		if n := vip.Body["stages"].([]any)[2].(map[string]any)["count"]; n != float64(0) {
			t.Fatalf("filtered count = %v", n)
		}
		if r := c.do("GET", "/pipelines/"+p.Str("id")+"/board?value_min=abc", nil); r.Status != 422 {
			t.Fatalf("bad filter: %d", r.Status)
		}

		// Stages: the last one, the last open one, and non-empty ones are protected.
		if r := c.do("DELETE", "/stages/"+st["Proposal"], nil); r.Status != 409 || r.Code() != "stage_not_empty" {
			t.Fatalf("delete non-empty stage: %d %s", r.Status, r.Raw)
		}
		if r := c.do("DELETE", "/stages/"+st["Proposal"]+"?move_to="+secondStage, nil); r.Status != 422 {
			t.Fatalf("move to another pipeline's stage: %d %s", r.Status, r.Raw)
		}
		c.must(204, "DELETE", "/stages/"+st["Proposal"]+"?move_to="+st["Negotiation"], nil)
		if got := c.must(200, "GET", "/deals/"+id, nil); got.Str("stage_id") != st["Negotiation"] {
			t.Fatalf("after stage delete: %s", got.Raw)
		}
		for _, name := range []string{"Qualified", "Lead", "Proposal"} {
			c.must(204, "DELETE", "/stages/"+stageIDs(second)[name], nil)
		}
		if r := c.do("DELETE", "/stages/"+stageIDs(second)["Negotiation"], nil); r.Code() != "last_open_stage" {
			t.Fatalf("deleting the last open stage: %d %s", r.Status, r.Raw)
		}
		c.must(204, "DELETE", "/stages/"+stageIDs(second)["Won"], nil)
		c.must(204, "DELETE", "/stages/"+stageIDs(second)["Lost"], nil)
		if r := c.do("DELETE", "/stages/"+stageIDs(second)["Negotiation"], nil); r.Code() != "last_stage" {
			t.Fatalf("deleting the last stage: %d %s", r.Status, r.Raw)
		}
		if r := c.do("PATCH", "/pipelines/"+second.Str("id"), map[string]any{"name": ""}); r.Status != 422 {
			t.Fatalf("empty name: %d", r.Status)
		}
		if r := c.do("DELETE", "/pipelines/"+p.Str("id"), nil); r.Status != 409 {
			t.Fatalf("delete default pipeline: %d", r.Status)
		}

		// Notes and timelines: the deal's events show on its contact.
		c.must(201, "POST", "/deals/"+id+"/notes", map[string]any{"body": "Call Tuesday"})
		if n := c.must(200, "GET", "/deals/"+id+"/notes", nil).Items(); len(n) != 1 {
			t.Fatalf("deal notes = %v", n)
		}
		act := c.must(200, "GET", "/contacts/"+ann.Str("id")+"/activity?limit=200", nil).Items()
		seen := map[string]bool{}
		for _, ev := range act {
			seen[ev["type"].(string)] = true
		}
		if !seen["deal.created"] || !seen["deal.won"] || !seen["contact.created"] {
			t.Fatalf("contact timeline lacks deal events: %v", seen)
		}
		c.must(204, "DELETE", "/deals/"+id, nil)
		c.must(404, "DELETE", "/deals/"+id, nil)
		c.must(404, "GET", "/deals/"+id+"/notes", nil)
		checkTotals(t, a)
	})
}

// checkTotals compares the kept stage totals, summed over their shards,
// with the deals themselves.
func checkTotals(t *testing.T, a *App) {
	t.Helper()
	var drift []struct {
		StageID string `bun:"stage_id"`
	}
	err := a.DB.NewRaw(`SELECT t.stage_id FROM (SELECT stage_id, currency, SUM(deals) AS deals, SUM(value_minor) AS value_minor
			FROM stage_totals GROUP BY stage_id, currency) AS t
		LEFT JOIN (SELECT stage_id, currency, COUNT(*) AS n, SUM(value_minor) AS v FROM deals GROUP BY stage_id, currency) AS d
		ON d.stage_id = t.stage_id AND d.currency = t.currency
		WHERE t.deals <> COALESCE(d.n, 0) OR t.value_minor <> COALESCE(d.v, 0)`).Scan(context.Background(), &drift)
	if err != nil || len(drift) > 0 {
		t.Fatalf("stage totals drifted from the deals: %v %v", drift, err)
	}
}

// Two people reordering the same column and moving cards across columns
// at once: every deal stays, once, with a distinct position.
func TestConcurrentMovesLoseNothing(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		a := startApp(t, testConfig(t, b))
		api := newClient(t, a)
		acc := api.signUp("race@example.com", "Race")
		c := api.as(acc.Access, acc.OrgID)
		p := defaultPipeline(t, c)
		st := stageIDs(p)
		var ids []string
		for i := range 20 {
			ids = append(ids, c.must(201, "POST", "/deals", map[string]any{"title": fmt.Sprint("Deal ", i), "value": "10"}).Str("id"))
		}
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := range 25 {
					id := ids[(w*7+i*3)%len(ids)]
					body := map[string]any{"stage_id": st["Lead"], "position": (i * 5) % 7}
					if w >= 2 && i%3 == 0 {
						body = map[string]any{"stage_id": st["Qualified"], "position": 0}
					}
					if r := c.do("PATCH", "/deals/"+id+"/stage", body); r.Status != 200 {
						t.Errorf("move: %d %s", r.Status, r.Raw)
					}
				}
			})
		}
		wg.Wait()
		var rows []struct {
			StageID  string  `bun:"stage_id"`
			Position float64 `bun:"position"`
		}
		a.DB.NewSelect().TableExpr("deals").Column("stage_id", "position").Where("org_id = ?", acc.OrgID).Scan(context.Background(), &rows)
		if len(rows) != len(ids) {
			t.Fatalf("%d deals after the moves, want %d", len(rows), len(ids))
		}
		seen := map[string]bool{}
		for _, r := range rows {
			k := fmt.Sprint(r.StageID, r.Position)
			if seen[k] {
				t.Fatalf("two deals share position %v", k)
			}
			seen[k] = true
		}
		board := c.must(200, "GET", "/pipelines/"+p.Str("id")+"/board", nil)
		total := 0
		for _, col := range board.Body["stages"].([]any) {
			m := col.(map[string]any)
			if int(m["count"].(float64)) != len(m["deals"].([]any)) {
				t.Fatalf("column %v: count %v, cards %d", m["stage"], m["count"], len(m["deals"].([]any)))
			}
			total += len(m["deals"].([]any))
		}
		if total != len(ids) {
			t.Fatalf("board shows %d deals, want %d", total, len(ids))
		}
		checkTotals(t, a)
	})
}
