package org

import (
	"net/http"
	"strings"

	"github.com/kite-crm/kite/internal/web"
)

// checklistStep is one step of the onboarding checklist on the dashboard.
type checklistStep struct {
	Title, Text string
	Href, Label string // the step's action; empty for one that is not built yet
	Done        bool
	Soon        bool
}

type dashboardView struct {
	Org       Organization
	FirstName string
	Steps     []checklistStep
	StepsDone int
	Members   int
	Pending   int
	CanInvite bool
}

func (s *Service) dashboard(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	ctx := r.Context()
	o, err := s.Get(ctx, c.Org.ID)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	members, err := s.Members(ctx, c.Org.ID)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	invitations, err := s.Invitations(ctx, c.Org.ID)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	v := dashboardView{Org: o, FirstName: firstName(c.P.User.Name), Members: len(members), Pending: len(invitations),
		CanInvite: c.Can(MembersWrite)}
	invite := checklistStep{Title: "Invite a teammate", Text: "Work on deals and conversations together.",
		Href: "/settings/members", Label: "Invite", Done: len(members) > 1 || len(invitations) > 0}
	if !v.CanInvite {
		invite.Text, invite.Label = "Ask an owner or admin of "+o.Name+" to invite your teammates.", "See members"
	}
	v.Steps = []checklistStep{
		invite,
		{Title: "Connect Telegram", Text: "Answer your customers' Telegram chats from Kite's inbox.", Soon: true},
		{Title: "Import contacts", Text: "Bring your contacts in from a CSV file.", Soon: true},
	}
	for _, st := range v.Steps {
		if st.Done {
			v.StepsDone++
		}
	}
	s.Render(w, r, http.StatusOK, dashboardPage(c.Page(o.Name, "home"), v))
}

// ---------- Create an organization ----------

type newOrgView struct {
	Name   string
	Errors web.FormErrors
	HasOrg bool
}

func (s *Service) newOrgPage(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	s.Render(w, r, http.StatusOK, newOrgPage(c.Page("Create an organization", ""), newOrgView{HasOrg: c.Org.ID != ""}))
}

func (s *Service) createOrg(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	v := newOrgView{Name: r.PostFormValue("name"), HasOrg: c.Org.ID != ""}
	o, err := s.CreateForUser(r.Context(), v.Name, c.P.User.ID, c.Actor.Meta)
	if err != nil {
		if !s.FormErrors(w, r, err, &v.Errors, nil) {
			return
		}
		s.Render(w, r, v.Errors.StatusOr(http.StatusUnprocessableEntity), newOrgPage(c.Page("Create an organization", ""), v))
		return
	}
	s.useOrg(w, r, o.ID)
	Done(w, r, "/", o.Name+" is ready. You are its owner.")
}

// ---------- Switch organization ----------

func (s *Service) switchOrg(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	id := strings.TrimSpace(r.PostFormValue("org_id"))
	for _, o := range c.Orgs {
		if o.ID == id {
			s.useOrg(w, r, o.ID)
			Done(w, r, "/", "You are now working in "+o.Name+".")
			return
		}
	}
	// Not one of the person's organizations: the same as one that does not exist.
	s.Render(w, r, http.StatusNotFound, web.ErrorPage(c.Page("Not found", ""), "404", "No such organization",
		"You are not a member of that organization. Pick one of yours from the switcher."))
}

func (s *Service) settingsHome(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	http.Redirect(w, r, "/settings/organization", http.StatusSeeOther)
}
