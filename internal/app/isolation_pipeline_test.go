package app

import (
	"net/http"

	"github.com/kite-crm/kite/internal/org"
)

// pipelineRoutes are the routes of pipelines, stages and deals.
func pipelineRoutes() []isoRoute {
	pipeline := func(f *isoFixture) string {
		return f.owner().must(http.StatusCreated, "POST", "/pipelines", map[string]any{"name": f.unique("Pipe")}).Str("id")
	}
	stage := func(f *isoFixture) string {
		return f.owner().must(http.StatusCreated, "POST", "/pipelines/"+pipeline(f)+"/stages", map[string]any{"name": "Extra"}).Str("id")
	}
	deal := func(f *isoFixture) string {
		return f.owner().must(http.StatusCreated, "POST", "/deals", map[string]any{"title": f.unique("Deal"), "value": "10"}).Str("id")
	}
	with := func(key string, make func(*isoFixture) string, body any) func(*isoFixture) (map[string]string, any) {
		return func(f *isoFixture) (map[string]string, any) { return map[string]string{key: make(f)}, body }
	}
	none := func(*isoFixture) (map[string]string, any) { return nil, nil }
	return []isoRoute{
		{Method: "GET", Path: "/pipelines", Perm: org.DealsRead, OK: 200, Setup: none},
		{Method: "POST", Path: "/pipelines", Perm: org.OrgWrite, OK: 201, Setup: func(f *isoFixture) (map[string]string, any) {
			return nil, map[string]any{"name": f.unique("Pipe")}
		}},
		{Method: "GET", Path: "/pipelines/{pipeline}", Perm: org.DealsRead, OK: 200, Setup: with("pipeline", pipeline, nil)},
		{Method: "PATCH", Path: "/pipelines/{pipeline}", Perm: org.OrgWrite, OK: 200, Setup: with("pipeline", pipeline, map[string]any{"name": "Renamed"})},
		{Method: "DELETE", Path: "/pipelines/{pipeline}", Perm: org.OrgWrite, OK: 204, Setup: with("pipeline", pipeline, nil)},
		{Method: "GET", Path: "/pipelines/{pipeline}/board", Perm: org.DealsRead, OK: 200, Setup: with("pipeline", pipeline, nil)},
		{Method: "GET", Path: "/pipelines/{pipeline}/stages", Perm: org.DealsRead, OK: 200, Setup: with("pipeline", pipeline, nil)},
		{Method: "POST", Path: "/pipelines/{pipeline}/stages", Perm: org.OrgWrite, OK: 201, Setup: with("pipeline", pipeline, map[string]any{"name": "Demo"})},
		{Method: "PATCH", Path: "/stages/{stage}", Perm: org.OrgWrite, OK: 200, Setup: with("stage", stage, map[string]any{"probability": 40})},
		{Method: "DELETE", Path: "/stages/{stage}", Perm: org.OrgWrite, OK: 204, Setup: with("stage", stage, nil)},
		{Method: "GET", Path: "/deals", Perm: org.DealsRead, OK: 200, Setup: none},
		{Method: "POST", Path: "/deals", Perm: org.DealsWrite, OK: 201, Setup: func(f *isoFixture) (map[string]string, any) {
			return nil, map[string]any{"title": f.unique("Deal")}
		}},
		{Method: "GET", Path: "/deals/{deal}", Perm: org.DealsRead, OK: 200, Setup: with("deal", deal, nil)},
		{Method: "PATCH", Path: "/deals/{deal}", Perm: org.DealsWrite, OK: 200, Setup: with("deal", deal, map[string]any{"value": "99.90"})},
		{Method: "DELETE", Path: "/deals/{deal}", Perm: org.DealsWrite, OK: 204, Setup: with("deal", deal, nil)},
		{Method: "PATCH", Path: "/deals/{deal}/stage", Perm: org.DealsWrite, OK: 200, Setup: func(f *isoFixture) (map[string]string, any) {
			id := deal(f)
			d := f.owner().must(http.StatusOK, "GET", "/deals/"+id, nil)
			return map[string]string{"deal": id}, map[string]any{"stage_id": d.Str("stage_id"), "position": 0}
		}},
		{Method: "GET", Path: "/deals/{deal}/history", Perm: org.DealsRead, OK: 200, Setup: with("deal", deal, nil)},
		{Method: "GET", Path: "/deals/{deal}/notes", Perm: org.DealsRead, OK: 200, Setup: with("deal", deal, nil)},
		{Method: "POST", Path: "/deals/{deal}/notes", Perm: org.DealsWrite, OK: 201, Setup: with("deal", deal, map[string]any{"body": "Sent the quote"})},
		{Method: "GET", Path: "/deals/{deal}/activity", Perm: org.DealsRead, OK: 200, Setup: with("deal", deal, nil)},
	}
}
