package pipeline

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/web"
)

// The pipeline's pages: the board (and its table view), a deal's page (or
// modal), the new-deal form and the pipeline settings. They call the same
// service functions as the JSON API; the board's drag and drop calls the
// JSON API itself (PATCH /api/v1/deals/{id}/stage) with the session cookie.

const dealsPath = "/deals"

// RegisterWeb adds the pipeline pages to mux.
func (s *Service) RegisterWeb(mux *http.ServeMux) {
	in := s.orgs.InOrg
	mux.HandleFunc("GET "+dealsPath, in(org.DealsRead, s.boardPage))
	mux.HandleFunc("GET "+dealsPath+"/columns/{stage}", in(org.DealsRead, s.columnMore))
	mux.HandleFunc("GET "+dealsPath+"/new", in(org.DealsWrite, s.newDealPage))
	mux.HandleFunc("POST "+dealsPath, in(org.DealsWrite, s.createDealSubmit))
	mux.HandleFunc("GET "+dealsPath+"/options/{kind}", in(org.DealsRead, s.linkOptions))
	mux.HandleFunc("GET "+dealsPath+"/{id}", in(org.DealsRead, s.dealPage))
	mux.HandleFunc("POST "+dealsPath+"/{id}", in(org.DealsWrite, s.updateDealSubmit))
	mux.HandleFunc("POST "+dealsPath+"/{id}/status", in(org.DealsWrite, s.statusSubmit))
	mux.HandleFunc("POST "+dealsPath+"/{id}/move", in(org.DealsWrite, s.moveSubmit))
	mux.HandleFunc("POST "+dealsPath+"/{id}/notes", in(org.DealsWrite, s.noteSubmit))
	mux.HandleFunc("POST "+dealsPath+"/{id}/delete", in(org.DealsWrite, s.deleteDealSubmit))
	s.registerSettingsPages(mux)
}

// boardFilter reads the board's filters from a query string.
func boardFilter(q url.Values) DealFilter {
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	return DealFilter{OwnerID: get("owner_id"), Tag: get("tag"), ValueMin: get("value_min"), ValueMax: get("value_max"),
		CloseFrom: get("close_from"), CloseTo: get("close_to"), Q: get("q")}
}

// filterQuery writes f back as query parameters (empty ones left out).
func filterQuery(f DealFilter) url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"owner_id": f.OwnerID, "tag": f.Tag, "value_min": f.ValueMin, "value_max": f.ValueMax,
		"close_from": f.CloseFrom, "close_to": f.CloseTo, "q": f.Q} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v
}

// boardView is what the board and table pages show.
type boardView struct {
	OrgID     string
	Pipelines []Pipeline
	Pipeline  Pipeline
	Board     Board
	Filter    DealFilter
	Filtered  bool
	Members   []org.MemberView
	CanWrite  bool
	CanAdmin  bool
	Now       time.Time
	Loc       *time.Location
	Error     string
	// The table view.
	Table     bool
	Rows      []Card
	Sort      string
	Status    string
	NextPage  string
	StageName map[string]string
}

// link is a URL of the board page with this view's pipeline and filters.
func (v boardView) link(extra map[string]string) string {
	q := filterQuery(v.Filter)
	q.Set("pipeline", v.Pipeline.ID)
	for k, val := range extra {
		if val == "" {
			q.Del(k)
		} else {
			q.Set(k, val)
		}
	}
	return dealsPath + "?" + q.Encode()
}

func (s *Service) boardPage(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	ctx := r.Context()
	q := r.URL.Query()
	pipelines, err := s.Pipelines(ctx, c.Org.ID)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	v := boardView{OrgID: c.Org.ID, Pipelines: pipelines, Filter: boardFilter(q), CanWrite: c.Can(org.DealsWrite), CanAdmin: c.Can(org.OrgWrite),
		Now: c.Now, Loc: c.Loc, Table: q.Get("view") == "table", Sort: q.Get("sort"), Status: q.Get("status")}
	v.Filtered = v.Filter.narrowsBoard()
	want := q.Get("pipeline")
	for _, p := range pipelines {
		if p.ID == want || (want == "" && p.IsDefault) {
			v.Pipeline = p
		}
	}
	if v.Pipeline.ID == "" {
		s.orgs.NotFound(w, r, c)
		return
	}
	if v.Members, err = s.orgs.Members(ctx, c.Org.ID); err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	status := http.StatusOK
	if v.Table {
		err = s.loadTable(r, &v)
	} else {
		v.Board, err = s.Board(ctx, c.Org.ID, v.Pipeline.ID, v.Filter)
	}
	if err != nil {
		fe, ok := web.ProblemErrors(err, nil)
		if !ok {
			web.ServerError(w, r, s.log, err)
			return
		}
		v.Error, status = fe.Message, fe.StatusOr(http.StatusUnprocessableEntity)
		v.Board = Board{Pipeline: v.Pipeline}
	}
	if web.IsHTMX(r) && r.Header.Get("HX-Target") == "board" {
		s.orgs.Render(w, r, status, boardArea(v))
		return
	}
	p := c.Page(v.Pipeline.Name+" · Deals", "deals")
	p.Scripts = []string{web.AssetSortable, web.AssetBoard}
	s.orgs.Render(w, r, status, boardPage(p, v))
}

// loadTable reads the table view's page of deals.
func (s *Service) loadTable(r *http.Request, v *boardView) error {
	f := v.Filter
	f.PipelineID, f.Sort, f.Cursor, f.Status = v.Pipeline.ID, v.Sort, r.URL.Query().Get("cursor"), v.Status
	rows, next, err := s.ListDeals(r.Context(), v.OrgID, f)
	v.Rows, v.StageName = rows, map[string]string{}
	for _, st := range v.Pipeline.Stages {
		v.StageName[st.ID] = st.Name
	}
	if next != "" {
		v.NextPage = v.link(map[string]string{"view": "table", "sort": v.Sort, "status": f.Status, "cursor": next})
	}
	return err
}

// columnMore answers a column's "load more" with its next cards.
func (s *Service) columnMore(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	f := boardFilter(r.URL.Query())
	f.Cursor = r.URL.Query().Get("cursor")
	stageID := r.PathValue("stage")
	st, err := s.stageOf(r, c.Org.ID, stageID)
	if err != nil {
		s.orgs.NotFound(w, r, c)
		return
	}
	cards, next, err := s.StageCards(r.Context(), c.Org.ID, stageID, f)
	if err != nil {
		s.failedFragment(w, r, err)
		return
	}
	more := ""
	if next != "" {
		q := filterQuery(f)
		q.Set("cursor", next)
		more = dealsPath + "/columns/" + stageID + "?" + q.Encode()
	}
	s.orgs.Render(w, r, http.StatusOK, moreCards(columnView{Stage: st, CanWrite: c.Can(org.DealsWrite), Now: c.Now}, cards, more))
}

func (s *Service) stageOf(r *http.Request, orgID, id string) (Stage, error) {
	var st Stage
	err := db.LoadInOrg(r.Context(), s.db.Read, &st, orgID, id, errStageNotFound)
	return st, err
}

// failedFragment answers an htmx request that failed: a toast, no swap.
func (s *Service) failedFragment(w http.ResponseWriter, r *http.Request, err error) {
	fe, ok := web.ProblemErrors(err, nil)
	if !ok {
		web.ServerError(w, r, s.log, err)
		return
	}
	msg := fe.Message
	for _, m := range fe.Fields {
		msg = m
	}
	web.Toast(w.Header(), msg, web.ToastError)
	w.Header().Set("HX-Reswap", "none")
	w.WriteHeader(fe.StatusOr(http.StatusUnprocessableEntity))
}

// linkOptions answers the contact and company pickers' searches.
func (s *Service) linkOptions(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	var opts []web.Option
	switch r.PathValue("kind") {
	case "contacts":
		list, _, err := s.crm.ListContacts(r.Context(), c.Org.ID, crm.ContactFilter{RecordFilter: crm.RecordFilter{Q: q, Limit: 20, Sort: "name"}})
		if err != nil {
			s.failedFragment(w, r, err)
			return
		}
		for _, ct := range list {
			opts = append(opts, web.Option{Value: ct.ID, Label: contactLabel(ct)})
		}
	case "companies":
		list, _, err := s.crm.ListCompanies(r.Context(), c.Org.ID, crm.CompanyFilter{Q: q, Limit: 20, Sort: "name"})
		if err != nil {
			s.failedFragment(w, r, err)
			return
		}
		for _, co := range list {
			opts = append(opts, web.Option{Value: co.ID, Label: co.Name})
		}
	default:
		s.orgs.NotFound(w, r, c)
		return
	}
	s.orgs.Render(w, r, http.StatusOK, linkChoices(opts, q, r.URL.Query().Get("none")))
}

func contactLabel(ct crm.Contact) string {
	name := strings.TrimSpace(ct.FirstName + " " + ct.LastName)
	if name == "" {
		name = ct.Email
	}
	if ct.Email != "" && name != ct.Email {
		name += " · " + ct.Email
	}
	return name
}
