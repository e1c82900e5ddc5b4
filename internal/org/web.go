package org

import (
	"net/http"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/kite-crm/kite/internal/identity"
	"github.com/kite-crm/kite/internal/platform/events"
	"github.com/kite-crm/kite/internal/web"
)

// The signed-in pages of the browser: the dashboard, organization
// settings, members and invitations, API keys, the audit log and the
// account. Every page acts in one organization, named by the kite_org
// cookie the switcher sets and checked against the person's memberships on
// every request; without the cookie it is the person's first organization.
// Pages are authorized with the same permission table as the JSON API.
//
// Other capabilities build their pages on the same footing: InOrg for the
// handler, WebCtx.Page for the layout, Render, NotFound, Done, Failed and
// FormErrors to answer.

// RegisterWeb adds the signed-in pages to mux, and the invitation page.
func (s *Service) RegisterWeb(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", s.InOrg(OrgRead, s.dashboard))
	mux.HandleFunc("GET /organizations/new", s.signedIn(s.newOrgPage))
	mux.HandleFunc("POST /organizations", s.signedIn(s.createOrg))
	mux.HandleFunc("POST "+web.OrgSwitchPath, s.signedIn(s.switchOrg))

	mux.HandleFunc("GET /settings", s.InOrg(OrgRead, s.settingsHome))
	mux.HandleFunc("GET /settings/organization", s.InOrg(OrgRead, s.orgSettingsPage))
	mux.HandleFunc("POST /settings/organization", s.InOrg(OrgWrite, s.orgSettingsSubmit))

	mux.HandleFunc("GET /settings/members", s.InOrg(MembersRead, s.membersPage))
	mux.HandleFunc("POST /settings/members", s.InOrg(MembersWrite, s.inviteSubmit))
	mux.HandleFunc("POST /settings/members/{userID}/role", s.InOrg(MembersWrite, s.changeRoleSubmit))
	mux.HandleFunc("POST /settings/members/{userID}/remove", s.InOrg(OrgRead, s.removeMemberSubmit))
	mux.HandleFunc("POST /settings/invitations/{id}/resend", s.InOrg(MembersWrite, s.resendInvitationSubmit))
	mux.HandleFunc("POST /settings/invitations/{id}/revoke", s.InOrg(MembersWrite, s.revokeInvitationSubmit))
	mux.HandleFunc("GET /invitations/accept", s.invitationPage)
	mux.HandleFunc("POST /invitations/accept", s.signedIn(s.acceptInvitationSubmit))

	mux.HandleFunc("GET /settings/api-keys", s.InOrg(APIKeysRead, s.apiKeysPage))
	mux.HandleFunc("POST /settings/api-keys", s.InOrg(APIKeysWrite, s.createAPIKeySubmit))
	mux.HandleFunc("POST /settings/api-keys/{id}/revoke", s.InOrg(APIKeysWrite, s.revokeAPIKeySubmit))

	mux.HandleFunc("GET /settings/audit-log", s.InOrg(AuditRead, s.auditPage))

	mux.HandleFunc("GET /account", s.signedIn(s.accountPage))
	mux.HandleFunc("POST /account/profile", s.signedIn(s.profileSubmit))
	mux.HandleFunc("POST /account/password", s.signedIn(s.passwordSubmit))
	mux.HandleFunc("POST /account/mfa/setup", s.signedIn(s.mfaSetupSubmit))
	mux.HandleFunc("POST /account/mfa/cancel", s.signedIn(s.mfaCancelSubmit))
	mux.HandleFunc("GET /account/mfa/qr.png", s.signedIn(s.mfaQRCode))
	mux.HandleFunc("POST /account/mfa/enable", s.signedIn(s.mfaEnableSubmit))
	mux.HandleFunc("POST /account/mfa/disable", s.signedIn(s.mfaDisableSubmit))
	mux.HandleFunc("POST /account/sessions/{id}/revoke", s.signedIn(s.revokeSessionSubmit))
	mux.HandleFunc("POST /account/sessions/revoke-others", s.signedIn(s.revokeOtherSessionsSubmit))
}

// WebCtx is who asks for a page and where they act.
type WebCtx struct {
	P     identity.Principal
	Org   OrgWithRole   // the organization the page acts in; ID "" for none
	Orgs  []OrgWithRole // all of the person's organizations
	Actor Actor
	Flash *web.Flash
	Now   time.Time
	Loc   *time.Location // the organization's time zone, for dates
}

// Can reports whether the person's role in the current org holds p.
func (c *WebCtx) Can(p Permission) bool { return c.Org.ID != "" && c.Org.Role.Can(p) }

type WebHandler func(w http.ResponseWriter, r *http.Request, c *WebCtx)

// signedIn serves h to a signed-in person (with or without an
// organization) and sends anybody else to sign in.
func (s *Service) signedIn(h WebHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := s.webContext(w, r)
		if !ok {
			return
		}
		h(w, r, c)
	}
}

// InOrg serves h to a signed-in member of an organization whose role
// holds perm: a person without an organization is asked to create one, a
// role without the permission gets the 403 page.
func (s *Service) InOrg(perm Permission, h WebHandler) http.HandlerFunc {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request, c *WebCtx) {
		if c.Org.ID == "" {
			http.Redirect(w, r, "/organizations/new", http.StatusSeeOther)
			return
		}
		if !c.Can(perm) {
			s.forbidden(w, r, c)
			return
		}
		h(w, r, c)
	})
}

// webContext authenticates the browser's session and picks the
// organization. A visitor is redirected to sign in (and back here after,
// for a page they opened).
func (s *Service) webContext(w http.ResponseWriter, r *http.Request) (*WebCtx, bool) {
	ctx := r.Context()
	token := identity.SessionToken(r)
	p, err := s.identity.AuthenticateWebSession(ctx, token)
	if err != nil {
		if token != "" {
			identity.ClearSessionCookie(w, r)
		}
		s.toSignIn(w, r)
		return nil, false
	}
	orgs, err := s.ForUser(ctx, p.User.ID)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return nil, false
	}
	c := &WebCtx{P: p, Orgs: orgs, Now: s.now(), Loc: time.UTC}
	if len(orgs) > 0 {
		c.Org = orgs[0]
		if ck, err := r.Cookie(web.OrgCookie); err == nil && ck.Value != "" {
			found := false
			for _, o := range orgs {
				if o.ID == ck.Value {
					c.Org, found = o, true
				}
			}
			if !found {
				s.forgetOrg(w, r)
			}
		}
	}
	c.Actor = Actor{UserID: p.User.ID, SessionID: p.Session.ID, Name: p.User.Name, OrgID: c.Org.ID, Role: c.Org.Role, Meta: identity.Meta(r)}
	if c.Org.ID != "" {
		if o, err := s.Get(ctx, c.Org.ID); err == nil {
			if loc, err := time.LoadLocation(o.Timezone); err == nil {
				c.Loc = loc
			}
		}
	}
	if r.Method == http.MethodGet && !web.IsHTMX(r) {
		c.Flash = web.TakeFlash(w, r)
	}
	return c, true
}

// toSignIn sends a visitor to the sign-in page: back to this page
// afterwards when it was a page they opened.
func (s *Service) toSignIn(w http.ResponseWriter, r *http.Request) {
	to := "/signin"
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		to = web.SignInPath(web.RequestPath(r))
	} else {
		web.SetFlash(w, r, web.ToastInfo, "Your session ended. Sign in again.")
	}
	if web.IsHTMX(r) {
		w.Header().Set("HX-Redirect", to)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// useOrg makes the browser act in orgID from now on.
func (s *Service) useOrg(w http.ResponseWriter, r *http.Request, orgID string) {
	http.SetCookie(w, &http.Cookie{Name: web.OrgCookie, Value: orgID, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: identity.SecureRequest(r)})
}

func (s *Service) forgetOrg(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: web.OrgCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// settingsLinks are the settings tabs the role may open.
func settingsLinks(role Role) []web.SettingsLink {
	all := []struct {
		perm Permission
		link web.SettingsLink
	}{
		{OrgRead, web.SettingsLink{Key: "organization", Label: "Organization", Href: "/settings/organization"}},
		{MembersRead, web.SettingsLink{Key: "members", Label: "Members", Href: "/settings/members"}},
		{OrgRead, web.SettingsLink{Key: "custom-fields", Label: "Custom fields", Href: "/settings/custom-fields"}}, // a page of crm
		{OrgRead, web.SettingsLink{Key: "pipelines", Label: "Pipelines", Href: "/settings/pipelines"}},             // a page of pipeline
		{OrgRead, web.SettingsLink{Key: "channels", Label: "Channels", Href: "/settings/channels"}},                // a page of channel/telegram
		{APIKeysRead, web.SettingsLink{Key: "api-keys", Label: "API keys", Href: "/settings/api-keys"}},
		{AuditRead, web.SettingsLink{Key: "audit-log", Label: "Audit log", Href: "/settings/audit-log"}},
	}
	var out []web.SettingsLink
	for _, l := range all {
		if role.Can(l.perm) {
			out = append(out, l.link)
		}
	}
	return out
}

// Page describes a page in the layout, with the person's shell.
func (c *WebCtx) Page(title, active string) web.Page {
	shell := &web.Shell{UserName: c.P.User.Name, UserEmail: c.P.User.Email,
		Org:   web.ShellOrg{ID: c.Org.ID, Name: c.Org.Name, Role: string(c.Org.Role)},
		Since: events.PositionAt(c.Now)}
	for _, o := range c.Orgs {
		shell.Orgs = append(shell.Orgs, web.ShellOrg{ID: o.ID, Name: o.Name, Role: string(o.Role)})
	}
	if c.Org.ID != "" {
		shell.Settings = settingsLinks(c.Org.Role)
	}
	return web.Page{Title: title, Active: active, Shell: shell, Flash: c.Flash}
}

// Render writes a signed-in page; such pages are never cached.
func (s *Service) Render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	web.NoStore(w)
	web.Render(w, r, status, c)
}

func (s *Service) forbidden(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	msg := "Your role in " + c.Org.Name + " is " + string(c.Org.Role) + ", which does not allow this page. An owner or admin can change your role."
	s.Render(w, r, http.StatusForbidden, web.ForbiddenPage(c.Page("Not allowed", ""), msg))
}

// NotFound answers with the 404 page for a record that is not in the
// organization (or not anywhere).
func (s *Service) NotFound(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	s.Render(w, r, http.StatusNotFound, web.ErrorPage(c.Page("Not found", ""), "404", "Not found",
		"There is no such record in "+c.Org.Name+". It may have been removed already."))
}

// Done ends a successful form post: a toast on the page it returns to.
func Done(w http.ResponseWriter, r *http.Request, to, message string) {
	web.SetFlash(w, r, web.ToastSuccess, message)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// Failed ends a refused form post whose page cannot show the error next
// to a field (a button in a table row): the error becomes a toast. A
// failure of the server is the 500 page.
func (s *Service) Failed(w http.ResponseWriter, r *http.Request, c *WebCtx, to string, err error) {
	if isNotFound(err) || err == errNotFound {
		s.NotFound(w, r, c)
		return
	}
	fe, ok := web.ProblemErrors(err, nil)
	if !ok {
		web.ServerError(w, r, s.log, err)
		return
	}
	msg := fe.Message
	for _, m := range fe.Fields {
		msg = m
	}
	web.SetFlash(w, r, web.ToastError, msg)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// FormErrors maps a service error onto a form; false means a failure of
// the server, already answered with the 500 page.
func (s *Service) FormErrors(w http.ResponseWriter, r *http.Request, err error, into *web.FormErrors, rename map[string]string) bool {
	fe, ok := web.ProblemErrors(err, rename)
	if !ok {
		web.ServerError(w, r, s.log, err)
		return false
	}
	*into = fe
	return true
}

// firstName is the first word of a name, for greetings.
func firstName(name string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return name
}

// roleLabel writes a role for people: "Owner".
func roleLabel(r Role) string {
	if r == "" {
		return ""
	}
	return strings.ToUpper(string(r[:1])) + string(r[1:])
}

// roleOptions are the roles a person with role may hand out.
func roleOptions(role Role) []web.Option {
	var out []web.Option
	for _, r := range Roles {
		if r == Owner && role != Owner {
			continue
		}
		out = append(out, web.Option{Value: string(r), Label: roleLabel(r)})
	}
	return out
}

// roleHelp explains the roles next to pickers.
const roleHelp = "Owners can do everything. Admins manage members, settings and API keys. Members work with contacts, deals and the inbox. Viewers can only look."
