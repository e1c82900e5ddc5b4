package org

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kite-crm/kite/internal/identity"
	"github.com/kite-crm/kite/internal/web"
)

type membersView struct {
	OrgName     string
	Members     []MemberView
	Invitations []Invitation
	CanManage   bool
	Me          string
	MyRole      Role
	Owners      int
	RoleOptions []web.Option
	Email, Role string // the invitation form
	Errors      web.FormErrors
	Now         time.Time
	Loc         *time.Location
}

// CanChange reports whether the viewer may change or remove member m.
func (v membersView) CanChange(m MemberView) bool {
	return v.CanManage && m.UserID != v.Me && (m.Role != Owner || v.MyRole == Owner)
}

// CanLeave reports whether the viewer may leave: not as the last owner.
func (v membersView) CanLeave() bool { return v.MyRole != Owner || v.Owners > 1 }

func (s *Service) membersView(r *http.Request, c *WebCtx) (membersView, error) {
	ctx := r.Context()
	members, err := s.Members(ctx, c.Org.ID)
	if err != nil {
		return membersView{}, err
	}
	invitations, err := s.Invitations(ctx, c.Org.ID)
	if err != nil {
		return membersView{}, err
	}
	v := membersView{OrgName: c.Org.Name, Members: members, Invitations: invitations, CanManage: c.Can(MembersWrite),
		Me: c.P.User.ID, MyRole: c.Org.Role, RoleOptions: roleOptions(c.Org.Role), Role: string(Member), Now: c.Now, Loc: c.Loc}
	for _, m := range members {
		if m.Role == Owner {
			v.Owners++
		}
	}
	return v, nil
}

func (s *Service) membersPage(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	v, err := s.membersView(r, c)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	s.Render(w, r, http.StatusOK, membersPage(c.Page("Members", "settings"), c, v))
}

func (s *Service) inviteSubmit(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	email, role := strings.TrimSpace(r.PostFormValue("email")), Role(r.PostFormValue("role"))
	res, err := s.AddMember(r.Context(), c.Actor, email, role)
	if err == nil {
		if res.Status == "invited" {
			Done(w, r, "/settings/members", "Invitation sent to "+res.Invitation.Email+".")
		} else {
			Done(w, r, "/settings/members", res.Member.Name+" joined "+c.Org.Name+" as "+string(res.Member.Role)+".")
		}
		return
	}
	v, verr := s.membersView(r, c)
	if verr != nil {
		web.ServerError(w, r, s.log, verr)
		return
	}
	v.Email, v.Role = email, string(role)
	if !s.FormErrors(w, r, err, &v.Errors, nil) {
		return
	}
	if fe, _ := web.ProblemErrors(err, nil); fe.Status == http.StatusConflict {
		v.Errors = web.FormErrors{Status: http.StatusConflict}
		v.Errors.Set("email", fe.Message)
	}
	s.Render(w, r, v.Errors.StatusOr(http.StatusUnprocessableEntity), membersPage(c.Page("Members", "settings"), c, v))
}

func (s *Service) changeRoleSubmit(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	m, err := s.ChangeRole(r.Context(), c.Actor, r.PathValue("userID"), Role(r.PostFormValue("role")))
	if err != nil {
		s.Failed(w, r, c, "/settings/members", err)
		return
	}
	Done(w, r, "/settings/members", m.Name+" is now "+string(m.Role)+".")
}

func (s *Service) removeMemberSubmit(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	userID := r.PathValue("userID")
	var name string
	if m, err := s.member(r.Context(), c.Org.ID, userID); err == nil {
		name = m.Name
	}
	if err := s.RemoveMember(r.Context(), c.Actor, userID); err != nil {
		s.Failed(w, r, c, "/settings/members", err)
		return
	}
	if userID == c.P.User.ID {
		s.forgetOrg(w, r)
		Done(w, r, "/", "You left "+c.Org.Name+".")
		return
	}
	Done(w, r, "/settings/members", name+" was removed from "+c.Org.Name+".")
}

func (s *Service) resendInvitationSubmit(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	inv, err := s.ResendInvitation(r.Context(), c.Actor, r.PathValue("id"))
	if err != nil {
		s.Failed(w, r, c, "/settings/members", err)
		return
	}
	Done(w, r, "/settings/members", "A new invitation link was sent to "+inv.Email+".")
}

func (s *Service) revokeInvitationSubmit(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	if err := s.RevokeInvitation(r.Context(), c.Actor, r.PathValue("id")); err != nil {
		s.Failed(w, r, c, "/settings/members", err)
		return
	}
	Done(w, r, "/settings/members", "The invitation was revoked; its link no longer works.")
}

// ---------- Accepting an invitation ----------

type invitationView struct {
	Token    string
	Preview  InvitationPreview
	Invalid  bool
	SignedIn *identity.User
	Member   bool // already a member of the inviting organization
	Errors   web.FormErrors
}

// invitationLinks are where a visitor goes to accept: sign up with the
// token, or sign in and come back here.
func (v invitationView) SignUpURL() string {
	return "/signup?" + url.Values{"invitation": {v.Token}, "email": {v.Preview.Email}}.Encode()
}

func (v invitationView) SignInURL() string {
	back := "/invitations/accept?" + url.Values{"token": {v.Token}}.Encode()
	return "/signin?" + url.Values{"next": {back}, "email": {v.Preview.Email}}.Encode()
}

func (s *Service) invitationPage(w http.ResponseWriter, r *http.Request) {
	v := invitationView{Token: r.URL.Query().Get("token")}
	preview, err := s.PreviewInvitation(r.Context(), v.Token)
	status := http.StatusOK
	if err != nil {
		v.Invalid, status = true, http.StatusBadRequest
	}
	v.Preview = preview
	if p, err := s.identity.AuthenticateWebSession(r.Context(), identity.SessionToken(r)); err == nil {
		v.SignedIn = &p.User
		if !v.Invalid {
			if _, err := s.RoleOf(r.Context(), preview.OrgID, p.User.ID); err == nil {
				v.Member = true
			}
		}
	}
	s.renderInvitation(w, r, status, v)
}

func (s *Service) renderInvitation(w http.ResponseWriter, r *http.Request, status int, v invitationView) {
	web.NoStore(w)
	w.Header().Set("Referrer-Policy", "no-referrer") // the token is in the URL
	web.Render(w, r, status, invitationPage(v))
}

func (s *Service) acceptInvitationSubmit(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	token := r.PostFormValue("token")
	o, err := s.AcceptInvitation(r.Context(), token, c.P.User.ID, c.Actor.Meta)
	if err != nil {
		v := invitationView{Token: token, SignedIn: &c.P.User}
		if IsInvitationInvalid(err) {
			v.Invalid = true
			s.renderInvitation(w, r, http.StatusBadRequest, v)
			return
		}
		s.Failed(w, r, c, "/", err)
		return
	}
	s.useOrg(w, r, o.ID)
	Done(w, r, "/", "You joined "+o.Name+".")
}

// accountName names a signed-in person by email, or by name without one.
func accountName(u *identity.User) string {
	if u.Email != "" {
		return u.Email
	}
	return u.Name
}

func inviterText(p InvitationPreview) string {
	if p.InviterName != "" {
		return p.InviterName + " invited"
	}
	return "You were invited as"
}
