package inbox

import (
	"context"
	"net/http"
	"strings"

	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/pipeline"
	"github.com/kite-crm/kite/internal/platform/httpx"
	"github.com/kite-crm/kite/internal/web"
)

// The context panel beside a chat: the contact (editable), their company,
// their open deals with their stages, a note and a new deal, and the
// chat's assignment, status and contact link. Each form posts here and
// gets the panel back; the change is an event like any other, so the
// board, the contact's page and teammates' inboxes follow it live.

// UseDeals gives the inbox the pipeline service for the panel's deals.
func (s *Service) UseDeals(p *pipeline.Service) { s.deals = p }

func (s *Service) registerContextPages(mux *http.ServeMux) {
	in := s.orgs.InOrg
	base := inboxPath + "/{chat}"
	mux.HandleFunc("GET "+base+"/context", in(org.InboxRead, s.contextFragment))
	mux.HandleFunc("POST "+base+"/assign", in(org.InboxWrite, s.assignSubmit))
	mux.HandleFunc("POST "+base+"/status", in(org.InboxWrite, s.statusSubmit))
	mux.HandleFunc("POST "+base+"/link", in(org.InboxWrite, s.linkSubmit))
	mux.HandleFunc("POST "+base+"/contact", in(org.CRMWrite, s.contactSubmit))
	mux.HandleFunc("POST "+base+"/note", in(org.CRMWrite, s.noteSubmit))
	mux.HandleFunc("POST "+base+"/deals", in(org.DealsWrite, s.newDealSubmit))
	mux.HandleFunc("POST "+base+"/deals/{deal}/stage", in(org.DealsWrite, s.dealStageSubmit))
}

// contextView is what the panel shows.
type contextView struct {
	Chat      Chat
	Contact   *crm.Contact
	Company   *crm.Company
	Deals     []pipeline.Card
	Stages    map[string][]pipeline.Stage // by pipeline id
	StageName map[string]string
	Members   []org.MemberView
	// What the person may change.
	CanChat, CanCRM, CanDeals bool
	Errors                    web.FormErrors
	Form                      string // which form the errors belong to
	Notice                    string // what the last change did, for the live region
}

func (s *Service) contextFragment(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	s.renderContext(w, r, c, http.StatusOK, "", web.FormErrors{}, "")
}

// renderContext draws the panel, with a refused form's errors or the
// notice of a change that went through.
func (s *Service) renderContext(w http.ResponseWriter, r *http.Request, c *org.WebCtx, status int, form string, errs web.FormErrors, notice string) {
	v, err := s.loadContext(r.Context(), c, r.PathValue("chat"))
	if err != nil {
		s.fragmentFailed(w, r, err)
		return
	}
	v.Form, v.Errors, v.Notice = form, errs, notice
	s.orgs.Render(w, r, status, contextPanel(v))
}

func (s *Service) loadContext(ctx context.Context, c *org.WebCtx, chatID string) (contextView, error) {
	chat, err := s.Chat(ctx, c.Actor, chatID)
	if err != nil {
		return contextView{}, err
	}
	v := contextView{Chat: chat, CanChat: c.Can(org.InboxWrite), CanCRM: c.Can(org.CRMWrite), CanDeals: c.Can(org.DealsWrite) && s.deals != nil}
	if v.Members, err = s.orgs.Members(ctx, c.Org.ID); err != nil {
		return v, err
	}
	if chat.ContactID == nil {
		return v, nil
	}
	contact, err := s.crm.Contact(ctx, c.Org.ID, *chat.ContactID)
	if err != nil {
		// The contact was deleted: the chat stays, without one.
		if isProblem(err, http.StatusNotFound) {
			return v, nil
		}
		return v, err
	}
	v.Contact = &contact
	if contact.CompanyID != "" {
		if co, err := s.crm.Company(ctx, c.Org.ID, contact.CompanyID); err == nil {
			v.Company = &co
		}
	}
	if s.deals == nil || !c.Can(org.DealsRead) {
		return v, nil
	}
	if v.Deals, _, err = s.deals.ListDeals(ctx, c.Org.ID, pipeline.DealFilter{ContactID: contact.ID, Status: "open", Limit: 10}); err != nil {
		return v, err
	}
	pipelines, err := s.deals.Pipelines(ctx, c.Org.ID)
	if err != nil {
		return v, err
	}
	v.Stages, v.StageName = map[string][]pipeline.Stage{}, map[string]string{}
	for _, p := range pipelines {
		v.Stages[p.ID] = p.Stages
		for _, st := range p.Stages {
			v.StageName[st.ID] = st.Name
		}
	}
	return v, nil
}

var errDealNotHere = httpx.NewProblem(http.StatusNotFound, "not_found", "This deal is not one of the contact's.")

// isProblem reports whether err is a problem with that status.
func isProblem(err error, status int) bool {
	fe, ok := web.ProblemErrors(err, nil)
	return ok && fe.StatusOr(0) == status
}

// changed answers a panel form: the panel again, or its errors.
func (s *Service) changed(w http.ResponseWriter, r *http.Request, c *org.WebCtx, form, notice string, err error) {
	if err == nil {
		s.renderContext(w, r, c, http.StatusOK, "", web.FormErrors{}, notice)
		return
	}
	fe, ok := web.ProblemErrors(err, nil)
	if !ok {
		web.ServerError(w, r, s.log, err)
		return
	}
	if fe.StatusOr(0) == http.StatusNotFound && form == "" {
		s.fragmentFailed(w, r, err)
		return
	}
	s.renderContext(w, r, c, fe.StatusOr(http.StatusUnprocessableEntity), form, fe, "")
}

func (s *Service) assignSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	to := r.PostFormValue("assignee_id")
	_, err := s.UpdateChat(r.Context(), c.Actor, r.PathValue("chat"), ChatUpdate{AssigneeID: &to})
	notice := "Chat unassigned."
	if to != "" {
		notice = "Chat assigned."
	}
	s.changed(w, r, c, "assign", notice, err)
}

func (s *Service) statusSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	st := r.PostFormValue("status")
	_, err := s.UpdateChat(r.Context(), c.Actor, r.PathValue("chat"), ChatUpdate{Status: &st})
	s.changed(w, r, c, "status", map[string]string{ChatClosed: "Chat closed.", ChatOpen: "Chat reopened."}[st], err)
}

func (s *Service) linkSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	id := strings.TrimSpace(r.PostFormValue("contact_id"))
	if id == "" {
		s.changed(w, r, c, "link", "", invalidField("contact_id", "Choose the contact to link this chat to."))
		return
	}
	_, err := s.UpdateChat(r.Context(), c.Actor, r.PathValue("chat"), ChatUpdate{ContactID: &id})
	s.changed(w, r, c, "link", "Chat linked to the contact.", err)
}

// chatContact is the chat's contact, or a clear error when it has none.
func (s *Service) chatContact(r *http.Request, c *org.WebCtx) (Chat, string, error) {
	chat, err := s.Chat(r.Context(), c.Actor, r.PathValue("chat"))
	if err != nil {
		return chat, "", err
	}
	if chat.ContactID == nil {
		return chat, "", invalidField("contact_id", "Link this chat to a contact first.")
	}
	return chat, *chat.ContactID, nil
}

func (s *Service) contactSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	_, id, err := s.chatContact(r, c)
	if err == nil {
		get := func(k string) *string { v := strings.TrimSpace(r.PostFormValue(k)); return &v }
		_, err = s.crm.UpdateContact(r.Context(), c.Actor, id, crm.ContactInput{FirstName: get("first_name"), LastName: get("last_name"),
			Email: get("email"), Phone: get("phone"), Title: get("title")})
	}
	s.changed(w, r, c, "contact", "Contact saved.", err)
}

func (s *Service) noteSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	_, id, err := s.chatContact(r, c)
	if err == nil {
		_, err = s.crm.AddNote(r.Context(), c.Actor, crm.SubjectContact, id, r.PostFormValue("body"))
	}
	s.changed(w, r, c, "note", "Note added to the contact.", err)
}

func (s *Service) newDealSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	_, id, err := s.chatContact(r, c)
	if err == nil {
		title, value := strings.TrimSpace(r.PostFormValue("title")), strings.TrimSpace(r.PostFormValue("value"))
		in := pipeline.DealInput{Title: &title, ContactID: &id}
		if value != "" {
			in.Value = &value
		}
		if me := c.Actor.UserID; me != "" {
			in.OwnerID = &me
		}
		_, err = s.deals.CreateDeal(r.Context(), c.Actor, in)
	}
	s.changed(w, r, c, "deal", "Deal created.", err)
}

func (s *Service) dealStageSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	_, id, err := s.chatContact(r, c)
	if err == nil {
		// Only the contact's own deals move from here.
		var d pipeline.Deal
		if d, err = s.deals.Deal(r.Context(), c.Org.ID, r.PathValue("deal")); err == nil && (d.ContactID == nil || *d.ContactID != id) {
			err = errDealNotHere
		}
		if err == nil {
			_, err = s.deals.Move(r.Context(), c.Actor, d.ID, pipeline.MoveInput{StageID: r.PostFormValue("stage_id")})
		}
	}
	s.changed(w, r, c, "stage", "Deal moved.", err)
}
