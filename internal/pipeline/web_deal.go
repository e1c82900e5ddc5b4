package pipeline

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/events"
	"github.com/kite-crm/kite/internal/web"
)

// dealView is a deal's page (or modal): its fields, stage history, notes
// and timeline.
type dealView struct {
	Deal        Deal
	Pipeline    Pipeline
	Stage       Stage
	History     []StageMove
	Notes       []crm.Note
	Activity    []activityLine
	ContactName string
	CompanyName string
	Members     []org.MemberView
	CanWrite    bool
	Now         time.Time
	Loc         *time.Location
	Errors      web.FormErrors
	Draft       url.Values // a refused form's values, shown again
	Modal       bool
	Return      string // where the board sent the person from
}

// value is a field's value: the refused draft's, else the deal's.
func (v dealView) value(field, current string) string {
	if v.Draft != nil {
		if _, ok := v.Draft[field]; ok {
			return v.Draft.Get(field)
		}
	}
	return current
}

func (v dealView) memberName(id string) string {
	for _, m := range v.Members {
		if m.UserID == id {
			return m.Name
		}
	}
	return ""
}

func (v dealView) path() string { return dealsPath + "/" + v.Deal.ID }

// activityLine is one event of the deal's timeline, written for people.
type activityLine struct {
	Who, What string
	At        time.Time
}

func (s *Service) dealPage(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	s.renderDeal(w, r, c, http.StatusOK, web.FormErrors{}, nil)
}

func (s *Service) renderDeal(w http.ResponseWriter, r *http.Request, c *org.WebCtx, status int, errs web.FormErrors, draft url.Values) {
	ctx := r.Context()
	d, err := s.Deal(ctx, c.Org.ID, r.PathValue("id"))
	if err != nil {
		s.orgs.NotFound(w, r, c)
		return
	}
	v := dealView{Deal: d, CanWrite: c.Can(org.DealsWrite), Now: c.Now, Loc: c.Loc, Errors: errs, Draft: draft,
		Modal: web.IsHTMX(r), Return: web.SafeNext(r.URL.Query().Get("return"))}
	if err := s.loadDealView(ctx, c.Org.ID, &v); err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	if v.Modal {
		s.orgs.Render(w, r, status, dealModal(v))
		return
	}
	s.orgs.Render(w, r, status, dealPage(c.Page(d.Title+" · Deals", "deals"), v))
}

func (s *Service) loadDealView(ctx context.Context, orgID string, v *dealView) error {
	var err error
	if v.Pipeline, err = s.Pipeline(ctx, orgID, v.Deal.PipelineID); err != nil {
		return err
	}
	for _, st := range v.Pipeline.Stages {
		if st.ID == v.Deal.StageID {
			v.Stage = st
		}
	}
	if v.History, err = s.History(ctx, orgID, v.Deal.ID); err != nil {
		return err
	}
	if v.Members, err = s.orgs.Members(ctx, orgID); err != nil {
		return err
	}
	if v.Notes, _, err = s.crm.Notes(ctx, orgID, SubjectDeal, v.Deal.ID, "", 50); err != nil {
		return err
	}
	evs, _, err := s.crm.Activity(ctx, orgID, SubjectDeal, v.Deal.ID, "", 50)
	if err != nil {
		return err
	}
	for _, e := range evs {
		v.Activity = append(v.Activity, activityLine{Who: v.actor(e.Actor), What: describe(e), At: e.OccurredAt})
	}
	if v.Deal.ContactID != nil {
		if ct, err := s.crm.Contact(ctx, orgID, *v.Deal.ContactID); err == nil {
			v.ContactName = contactLabel(ct)
		}
	}
	if v.Deal.CompanyID != nil {
		if co, err := s.crm.Company(ctx, orgID, *v.Deal.CompanyID); err == nil {
			v.CompanyName = co.Name
		}
	}
	return nil
}

func (v dealView) actor(a string) string {
	kind, id, _ := strings.Cut(a, ":")
	switch kind {
	case "user":
		if n := v.memberName(id); n != "" {
			return n
		}
		return "A former member"
	case "apikey":
		return "An API key"
	}
	return "Kite"
}

// describe says what a deal event did, after the actor's name.
func describe(e events.Event) string {
	var p struct {
		From    string            `json:"from_stage"`
		To      string            `json:"to_stage"`
		Reason  string            `json:"lost_reason"`
		Changes map[string]change `json:"changes"`
		Body    string            `json:"body"`
	}
	json.Unmarshal(e.Payload, &p)
	switch e.Type {
	case "deal.created":
		return "created this deal"
	case "deal.stage_changed":
		return "moved it from " + p.From + " to " + p.To
	case "deal.won":
		return "marked it won"
	case "deal.lost":
		if p.Reason != "" {
			return "marked it lost: " + p.Reason
		}
		return "marked it lost"
	case "deal.reordered":
		return "reordered it in its column"
	case "deal.updated":
		var parts []string
		for k, ch := range p.Changes {
			parts = append(parts, strings.ReplaceAll(k, "_", " ")+" "+dash(ch.Old)+" → "+dash(ch.New))
		}
		return "changed " + strings.Join(parts, ", ")
	case "note.created":
		return "added a note: " + p.Body
	case "note.updated":
		return "edited a note"
	case "note.deleted":
		return "deleted a note"
	}
	return strings.ReplaceAll(e.Type, "_", " ")
}

func dash(v any) string {
	if v == nil || v == "" {
		return "—"
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// dealForm reads the edit or new-deal form.
func dealForm(form url.Values) DealInput {
	in := DealInput{}
	set := func(k string) *string {
		if _, ok := form[k]; !ok {
			return nil
		}
		v := form.Get(k)
		return &v
	}
	in.Title, in.Value, in.Currency = set("title"), set("value"), set("currency")
	in.ContactID, in.CompanyID, in.OwnerID = set("contact_id"), set("company_id"), set("owner_id")
	in.ExpectedCloseDate, in.StageID = set("expected_close_date"), set("stage_id")
	if p := set("pipeline_id"); p != nil && *p != "" {
		in.PipelineID = p
	}
	if in.StageID != nil && *in.StageID == "" {
		in.StageID = nil
	}
	return in
}

func (s *Service) updateDealSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	if err := r.ParseForm(); err != nil {
		s.renderDeal(w, r, c, http.StatusBadRequest, web.FormErrors{Message: "The form could not be read; try again."}, nil)
		return
	}
	in := dealForm(r.PostForm)
	in.StageID = nil // moves go through the board or the stage buttons
	_, err := s.UpdateDeal(r.Context(), c.Actor, r.PathValue("id"), in)
	if err != nil {
		var errs web.FormErrors
		if s.orgs.FormErrors(w, r, err, &errs, nil) {
			if errs.Status == http.StatusNotFound {
				s.orgs.NotFound(w, r, c)
				return
			}
			s.renderDeal(w, r, c, errs.StatusOr(http.StatusUnprocessableEntity), errs, r.PostForm)
		}
		return
	}
	org.Done(w, r, s.afterDeal(r), "The deal was saved.")
}

// failed ends a refused form post: another org's (or a missing) deal is
// the 404 page, anything else a toast on the page it returns to.
func (s *Service) failed(w http.ResponseWriter, r *http.Request, c *org.WebCtx, to string, err error) {
	if fe, ok := web.ProblemErrors(err, nil); ok && fe.Status == http.StatusNotFound {
		s.orgs.NotFound(w, r, c)
		return
	}
	s.orgs.Failed(w, r, c, to, err)
}

// afterDeal is where a form on a deal returns: the deal's page, or the
// board it was opened from.
func (s *Service) afterDeal(r *http.Request) string {
	if back := web.SafeNext(r.PostFormValue("return")); back != "" && back != "/" {
		return back
	}
	return dealsPath + "/" + r.PathValue("id")
}

// statusSubmit marks a deal won or lost (with a reason) or reopens it.
func (s *Service) statusSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	status := r.PostFormValue("status")
	in := DealInput{Status: &status}
	if reason := r.PostFormValue("lost_reason"); status == KindLost {
		in.LostReason = &reason
	}
	if status != KindOpen && status != KindWon && status != KindLost {
		s.failed(w, r, c, s.afterDeal(r), invalidField("status", "Choose won, lost or open."))
		return
	}
	if _, err := s.UpdateDeal(r.Context(), c.Actor, r.PathValue("id"), in); err != nil {
		s.failed(w, r, c, s.afterDeal(r), err)
		return
	}
	msg := map[string]string{KindWon: "Marked won. Congratulations!", KindLost: "Marked lost.", KindOpen: "The deal is open again."}[status]
	org.Done(w, r, s.afterDeal(r), msg)
}

// moveSubmit is the card menu's move without JavaScript.
func (s *Service) moveSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	in := MoveInput{StageID: r.PostFormValue("stage_id"), BeforeID: r.PostFormValue("before_id"), AfterID: r.PostFormValue("after_id")}
	back := web.SafeNext(r.PostFormValue("return"))
	if back == "" {
		back = dealsPath
	}
	d, err := s.Move(r.Context(), c.Actor, r.PathValue("id"), in)
	if err != nil {
		s.failed(w, r, c, back, err)
		return
	}
	org.Done(w, r, back, "Moved "+d.Title+".")
}

func (s *Service) noteSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	if _, err := s.crm.AddNote(r.Context(), c.Actor, SubjectDeal, r.PathValue("id"), r.PostFormValue("body")); err != nil {
		var errs web.FormErrors
		if s.orgs.FormErrors(w, r, err, &errs, nil) {
			if errs.Status == http.StatusNotFound {
				s.orgs.NotFound(w, r, c)
				return
			}
			s.renderDeal(w, r, c, errs.StatusOr(http.StatusUnprocessableEntity), errs, r.PostForm)
		}
		return
	}
	org.Done(w, r, dealsPath+"/"+r.PathValue("id")+"#notes", "Note added.")
}

func (s *Service) deleteDealSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	d, err := s.Deal(r.Context(), c.Org.ID, r.PathValue("id"))
	if err == nil {
		err = s.DeleteDeal(r.Context(), c.Actor, d.ID)
	}
	if err != nil {
		s.failed(w, r, c, dealsPath, err)
		return
	}
	org.Done(w, r, dealsPath+"?pipeline="+d.PipelineID, "The deal was deleted.")
}

// newDealView is the new-deal form.
type newDealView struct {
	Pipelines  []Pipeline
	PipelineID string
	StageID    string
	Currency   string
	Members    []org.MemberView
	Errors     web.FormErrors
	Form       url.Values
	Modal      bool
	Return     string
	ContactID  string
	CompanyID  string
	LinkLabel  string // the contact or company the deal starts linked to
}

func (v newDealView) value(k, def string) string {
	if v.Form != nil {
		if _, ok := v.Form[k]; ok {
			return v.Form.Get(k)
		}
	}
	return def
}

func (s *Service) newDealPage(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	q := r.URL.Query()
	s.renderNewDeal(w, r, c, http.StatusOK, web.FormErrors{}, nil, q.Get("pipeline"), q.Get("stage"))
}

func (s *Service) renderNewDeal(w http.ResponseWriter, r *http.Request, c *org.WebCtx, status int, errs web.FormErrors, form url.Values, pipelineID, stageID string) {
	ctx := r.Context()
	pipelines, err := s.Pipelines(ctx, c.Org.ID)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	members, err := s.orgs.Members(ctx, c.Org.ID)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	o, err := s.orgs.Get(ctx, c.Org.ID)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	q := r.URL.Query()
	v := newDealView{Pipelines: pipelines, PipelineID: pipelineID, StageID: stageID, Currency: o.DefaultCurrency, Members: members,
		Errors: errs, Form: form, Modal: web.IsHTMX(r), Return: web.SafeNext(q.Get("return")), ContactID: q.Get("contact"), CompanyID: q.Get("company")}
	if form != nil {
		v.Return, v.ContactID, v.CompanyID = web.SafeNext(form.Get("return")), form.Get("contact_id"), form.Get("company_id")
	}
	if v.ContactID != "" {
		if ct, err := s.crm.Contact(ctx, c.Org.ID, v.ContactID); err == nil {
			v.LinkLabel = contactLabel(ct)
		} else {
			v.ContactID = ""
		}
	} else if v.CompanyID != "" {
		if co, err := s.crm.Company(ctx, c.Org.ID, v.CompanyID); err == nil {
			v.LinkLabel = co.Name
		} else {
			v.CompanyID = ""
		}
	}
	if v.Modal {
		s.orgs.Render(w, r, status, newDealModal(v))
		return
	}
	s.orgs.Render(w, r, status, newDealPage(c.Page("New deal", "deals"), v))
}

func (s *Service) createDealSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	if err := r.ParseForm(); err != nil {
		s.renderNewDeal(w, r, c, http.StatusBadRequest, web.FormErrors{Message: "The form could not be read; try again."}, nil, "", "")
		return
	}
	d, err := s.CreateDeal(r.Context(), c.Actor, dealForm(r.PostForm))
	if err != nil {
		var errs web.FormErrors
		if s.orgs.FormErrors(w, r, err, &errs, nil) {
			s.renderNewDeal(w, r, c, errs.StatusOr(http.StatusUnprocessableEntity), errs, r.PostForm, r.PostFormValue("pipeline_id"), r.PostFormValue("stage_id"))
		}
		return
	}
	back := web.SafeNext(r.PostFormValue("return"))
	if back == "" {
		back = dealsPath + "/" + d.ID
	}
	org.Done(w, r, back, "The deal "+d.Title+" was added.")
}
