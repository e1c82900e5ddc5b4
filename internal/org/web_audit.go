package org

import (
	"net/http"
	"net/url"
	"time"

	"github.com/kite-crm/kite/internal/identity"
	"github.com/kite-crm/kite/internal/web"
)

// auditPageSize is how many entries one page (or "load more") shows.
const auditPageSize = 50

// auditActions are the actions Kite records, with what they mean to people,
// in the order the filter lists them. An action not listed still shows,
// by its name.
var auditActions = []web.Option{
	{Value: "user.signed_up", Label: "Signed up"},
	{Value: "user.signed_in", Label: "Signed in"},
	{Value: "user.sign_in_failed", Label: "Sign-in failed"},
	{Value: "user.signed_out", Label: "Signed out"},
	{Value: "user.password_changed", Label: "Changed password"},
	{Value: "user.password_reset", Label: "Reset password"},
	{Value: "user.mfa_enabled", Label: "Turned on two-factor"},
	{Value: "user.mfa_disabled", Label: "Turned off two-factor"},
	{Value: "user.recovery_code_used", Label: "Used a recovery code"},
	{Value: "user.identity_linked", Label: "Linked a sign-in method"},
	{Value: "org.created", Label: "Created the organization"},
	{Value: "org.settings_changed", Label: "Changed settings"},
	{Value: "member.added", Label: "Added a member"},
	{Value: "member.invited", Label: "Invited someone"},
	{Value: "member.joined", Label: "Joined"},
	{Value: "member.role_changed", Label: "Changed a role"},
	{Value: "member.removed", Label: "Removed a member"},
	{Value: "member.left", Label: "Left"},
	{Value: "invitation.revoked", Label: "Revoked an invitation"},
	{Value: "apikey.created", Label: "Created an API key"},
	{Value: "apikey.revoked", Label: "Revoked an API key"},
}

func actionLabel(action string) string {
	for _, a := range auditActions {
		if a.Value == action {
			return a.Label
		}
	}
	return action
}

type auditView struct {
	OrgName        string
	Entries        []AuditEntry
	Next           string // URL of the next page; "" at the end
	Action, Actor  string
	Actions        []web.Option
	Actors         []web.Option
	Filtered       bool
	TargetNames    map[string]string
	Now            time.Time
	Loc            *time.Location
	TimezoneName   string
	InvalidFilters string
}

func (s *Service) auditPage(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	q := r.URL.Query()
	v := auditView{OrgName: c.Org.Name, Action: q.Get("action"), Actor: q.Get("actor"), Now: c.Now, Loc: c.Loc, TimezoneName: c.Loc.String(),
		TargetNames: map[string]string{}}
	v.Filtered = v.Action != "" || v.Actor != ""
	entries, next, err := s.AuditLog(r.Context(), c.Org.ID, AuditFilter{Action: v.Action, ActorID: v.Actor, Cursor: q.Get("cursor"), Limit: auditPageSize})
	if err != nil {
		if fe, ok := web.ProblemErrors(err, nil); ok {
			// A cursor that was tampered with: start again from the top.
			v.InvalidFilters = fe.Message
			entries, next, err = s.AuditLog(r.Context(), c.Org.ID, AuditFilter{Action: v.Action, ActorID: v.Actor, Limit: auditPageSize})
		}
		if err != nil {
			web.ServerError(w, r, s.log, err)
			return
		}
	}
	v.Entries = entries
	if next != "" {
		nq := url.Values{"cursor": {next}}
		if v.Action != "" {
			nq.Set("action", v.Action)
		}
		if v.Actor != "" {
			nq.Set("actor", v.Actor)
		}
		v.Next = "/settings/audit-log?" + nq.Encode()
	}
	members, err := s.Members(r.Context(), c.Org.ID)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	for _, m := range members {
		v.Actors = append(v.Actors, web.Option{Value: m.UserID, Label: m.Name})
		v.TargetNames[m.UserID] = m.Name
	}
	v.Actions = auditActions
	if web.IsHTMX(r) {
		// "Load more": only the next rows, which replace the button's row.
		s.Render(w, r, http.StatusOK, auditRows(v))
		return
	}
	s.Render(w, r, http.StatusOK, auditPage(c.Page("Audit log", "settings"), c, v))
}

// device describes where an entry came from: "Chrome on macOS".
func device(ua string) string {
	if ua == "" {
		return ""
	}
	return identity.DeviceLabel(ua)
}

// auditTarget names what an entry acted on, as well as the page knows it.
func (v auditView) auditTarget(e AuditEntry) string {
	switch e.TargetType {
	case "user":
		if e.TargetID == e.ActorID {
			return ""
		}
		if n := v.TargetNames[e.TargetID]; n != "" {
			return n
		}
		return "a former member"
	case "organization":
		return ""
	case "api_key":
		return "API key"
	case "invitation":
		return "invitation"
	}
	return e.TargetType
}
