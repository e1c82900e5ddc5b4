package org

import (
	"net/http"
	"strings"

	"github.com/kite-crm/kite/internal/identity"
	"github.com/kite-crm/kite/internal/web"
)

// The account page: profile, password, two-factor authentication and the
// person's sessions. It belongs to no organization, but is drawn in the
// same frame as the others.

type accountView struct {
	User           identity.User
	Name           string
	ProfileErrors  web.FormErrors
	PasswordErrors web.FormErrors
	MFAErrors      web.FormErrors
	Setup          *identity.TOTPSetup // a setup in progress
	RecoveryCodes  []string            // just made, shown once
	CodesLeft      int64
	Sessions       []sessionRow
	c              *WebCtx
}

type sessionRow struct {
	identity.Session
	Device  string
	Current bool
}

func (s *Service) accountView(r *http.Request, c *WebCtx) (accountView, error) {
	ctx := r.Context()
	u, err := s.identity.UserByID(ctx, c.P.User.ID)
	if err != nil {
		return accountView{}, err
	}
	v := accountView{User: u, Name: u.Name, c: c}
	if u.MFAEnabled() {
		if v.CodesLeft, err = s.identity.RecoveryCodesLeft(ctx, u.ID); err != nil {
			return v, err
		}
	} else if u.TOTPPending != "" {
		setup, err := s.identity.PendingTOTPSetup(ctx, u.ID)
		if err != nil {
			return v, err
		}
		v.Setup = &setup
	}
	sessions, err := s.identity.Sessions(ctx, u.ID)
	if err != nil {
		return v, err
	}
	for _, sess := range sessions {
		v.Sessions = append(v.Sessions, sessionRow{Session: sess, Device: identity.DeviceLabel(sess.UserAgent), Current: sess.ID == c.P.Session.ID})
	}
	return v, nil
}

func (s *Service) renderAccount(w http.ResponseWriter, r *http.Request, c *WebCtx, status int, edit func(*accountView)) {
	v, err := s.accountView(r, c)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	if edit != nil {
		edit(&v)
	}
	s.Render(w, r, status, accountPage(c.Page("Account", ""), v))
}

func (s *Service) accountPage(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	s.renderAccount(w, r, c, http.StatusOK, nil)
}

func (s *Service) profileSubmit(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	name := r.PostFormValue("name")
	if _, err := s.identity.UpdateProfile(r.Context(), c.P.User.ID, name); err != nil {
		var fe web.FormErrors
		if !s.FormErrors(w, r, err, &fe, nil) {
			return
		}
		s.renderAccount(w, r, c, fe.StatusOr(http.StatusUnprocessableEntity), func(v *accountView) { v.Name, v.ProfileErrors = name, fe })
		return
	}
	Done(w, r, "/account", "Profile saved.")
}

func (s *Service) passwordSubmit(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	current, next := r.PostFormValue("current_password"), r.PostFormValue("password")
	var fe web.FormErrors
	if c.P.User.HasPassword() && current == "" {
		fe.Set("current_password", "Enter your current password.")
	}
	if next == "" {
		fe.Set("password", "Enter a new password.")
	}
	if !fe.Any() {
		err := s.identity.ChangePassword(r.Context(), c.P.User.ID, c.P.Session.ID, current, next, c.Actor.Meta)
		if err == nil {
			Done(w, r, "/account", "Password changed. Your other sessions were signed out.")
			return
		}
		if !s.FormErrors(w, r, err, &fe, nil) {
			return
		}
		for k, m := range fe.Fields {
			fe.Fields[k] = passwordText(m)
		}
	}
	web.WriteErrorHeaders(w, fe)
	s.renderAccount(w, r, c, fe.StatusOr(http.StatusUnprocessableEntity), func(v *accountView) { v.PasswordErrors = fe })
}

// passwordText turns the service's password messages into sentences for
// the form.
func passwordText(m string) string {
	switch {
	case strings.Contains(m, "at least"):
		return "Use at least 8 characters."
	case strings.Contains(m, "at most"):
		return "Use at most 128 characters."
	case strings.Contains(m, "too common"):
		return "This password is too common. Choose one that is harder to guess."
	}
	return m
}

func (s *Service) mfaSetupSubmit(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	if _, err := s.identity.SetupTOTP(r.Context(), c.P.User.ID); err != nil {
		s.Failed(w, r, c, "/account", err)
		return
	}
	http.Redirect(w, r, "/account#mfa", http.StatusSeeOther)
}

func (s *Service) mfaCancelSubmit(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	if err := s.identity.CancelTOTPSetup(r.Context(), c.P.User.ID); err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	Done(w, r, "/account", "Two-factor setup cancelled.")
}

// mfaQRCode draws the QR code of the setup in progress. The image holds
// the secret: it is never cached.
func (s *Service) mfaQRCode(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	png, err := s.identity.PendingTOTPQRCode(r.Context(), c.P.User.ID, 240)
	if err != nil {
		if _, ok := web.ProblemErrors(err, nil); ok {
			http.NotFound(w, r)
			return
		}
		web.ServerError(w, r, s.log, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(png)
}

func (s *Service) mfaEnableSubmit(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	codes, err := s.identity.EnableTOTP(r.Context(), c.P.User.ID, strings.TrimSpace(r.PostFormValue("code")), c.Actor.Meta)
	if err != nil {
		var fe web.FormErrors
		if !s.FormErrors(w, r, err, &fe, nil) {
			return
		}
		fe = codeError(fe)
		web.WriteErrorHeaders(w, fe)
		s.renderAccount(w, r, c, fe.StatusOr(http.StatusUnprocessableEntity), func(v *accountView) { v.MFAErrors = fe })
		return
	}
	// The recovery codes are on this answer only (it is not cached).
	c.Flash = &web.Flash{Kind: web.ToastSuccess, Message: "Two-factor authentication is on."}
	s.renderAccount(w, r, c, http.StatusOK, func(v *accountView) { v.RecoveryCodes = codes })
}

func (s *Service) mfaDisableSubmit(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	err := s.identity.DisableTOTP(r.Context(), c.P.User.ID, strings.TrimSpace(r.PostFormValue("code")), c.Actor.Meta)
	if err != nil {
		var fe web.FormErrors
		if !s.FormErrors(w, r, err, &fe, nil) {
			return
		}
		fe = codeError(fe)
		web.WriteErrorHeaders(w, fe)
		s.renderAccount(w, r, c, fe.StatusOr(http.StatusUnprocessableEntity), func(v *accountView) { v.MFAErrors = fe })
		return
	}
	Done(w, r, "/account", "Two-factor authentication is off.")
}

// codeError shows a refused code next to the code field.
func codeError(fe web.FormErrors) web.FormErrors {
	if fe.Message != "" && (fe.Status == http.StatusUnauthorized || fe.Status == http.StatusUnprocessableEntity) {
		out := web.FormErrors{Status: fe.Status, Header: fe.Header}
		out.Set("code", fe.Message)
		return out
	}
	return fe
}

func (s *Service) revokeSessionSubmit(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	id := r.PathValue("id")
	if err := s.identity.RevokeSession(r.Context(), c.P.User.ID, id, c.Actor.Meta); err != nil {
		s.Failed(w, r, c, "/account", err)
		return
	}
	if id == c.P.Session.ID {
		identity.ClearSessionCookie(w, r)
		Done(w, r, "/signin", "You are signed out.")
		return
	}
	Done(w, r, "/account#sessions", "That session was signed out.")
}

func (s *Service) revokeOtherSessionsSubmit(w http.ResponseWriter, r *http.Request, c *WebCtx) {
	if err := s.identity.RevokeOtherSessions(r.Context(), c.P.User.ID, c.P.Session.ID); err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	Done(w, r, "/account#sessions", "Every other session was signed out.")
}
