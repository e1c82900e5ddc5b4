package identity

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kite-crm/kite/internal/platform/httpx"
	"github.com/kite-crm/kite/internal/web"
)

// The signed-out pages of the browser: sign in (with the second step when
// MFA is on), sign up, forgotten and reset passwords, sign in with Google
// and Telegram, and sign out. The signed-in pages live with the
// organizations, which know the frame they are drawn in.

// Cookies of the signed-out flows, both sealed and short-lived.
var (
	pendingCookie = sealedCookie{name: "kite_signin", purpose: "web pending sign-in v1", ttl: PendingSignInTTL}
	oauthCookie   = sealedCookie{name: "kite_oauth", purpose: "web google oauth v1", ttl: 10 * time.Minute}
)

// RegisterWeb adds the signed-out pages and sign-out to mux.
func (s *Service) RegisterWeb(mux *http.ServeMux) {
	mux.HandleFunc("GET /signin", s.signInPage)
	mux.HandleFunc("POST /signin", s.signInSubmit)
	mux.HandleFunc("GET /signin/code", s.codePage)
	mux.HandleFunc("POST /signin/code", s.codeSubmit)
	mux.HandleFunc("GET /signup", s.signUpPage)
	mux.HandleFunc("POST /signup", s.signUpSubmit)
	mux.HandleFunc("GET /forgot-password", s.forgotPage)
	mux.HandleFunc("POST /forgot-password", s.forgotSubmit)
	mux.HandleFunc("GET /reset-password", s.resetPage)
	mux.HandleFunc("POST /reset-password", s.resetSubmit)
	mux.HandleFunc("POST /signout", s.signOut)
	mux.HandleFunc("GET /auth/google/start", s.googleStart)
	mux.HandleFunc("GET /auth/google/callback", s.googleCallback)
	mux.HandleFunc("GET /auth/telegram/callback", s.telegramCallback)
}

// afterSignIn is where a person lands: the local page they came for, or
// the dashboard.
func afterSignIn(next string) string {
	if next = web.SafeNext(next); next != "" && !strings.HasPrefix(next, "/signin") && !strings.HasPrefix(next, "/signup") {
		return next
	}
	return "/"
}

// signedIn returns the principal of the browser's session, if any.
func (s *Service) signedIn(r *http.Request) (Principal, bool) {
	token := SessionToken(r)
	if token == "" {
		return Principal{}, false
	}
	p, err := s.AuthenticateWebSession(r.Context(), token)
	return p, err == nil
}

// beginSession signs the browser in as u: a new session every time (an
// older one of this browser ends), its token in the session cookie.
func (s *Service) beginSession(w http.ResponseWriter, r *http.Request, u User, next string) {
	meta := Meta(r)
	if old := SessionToken(r); old != "" {
		_ = s.EndWebSession(r.Context(), old, meta)
	}
	token, sess, err := s.StartWebSession(r.Context(), u, meta)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	SetSessionCookie(w, r, token, sess.ExpiresAt)
	pendingCookie.clear(w, r)
	http.Redirect(w, r, afterSignIn(next), http.StatusSeeOther)
}

// continueSignIn finishes a sign-in whose first factor was accepted: with
// MFA on it goes on to the code step, else the session starts.
func (s *Service) continueSignIn(w http.ResponseWriter, r *http.Request, u User, next string) {
	if !u.MFAEnabled() {
		s.beginSession(w, r, u, next)
		return
	}
	if err := pendingCookie.set(s, w, r, s.NewPendingSignIn(u, web.SafeNext(next))); err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	http.Redirect(w, r, "/signin/code", http.StatusSeeOther)
}

// ---------- Sign in ----------

type signInView struct {
	Email, Next string
	Errors      web.FormErrors
	Flash       *web.Flash
	Google      bool
	Telegram    *telegramWidget
}

type telegramWidget struct {
	Bot, AuthURL string
}

func (s *Service) signInView(w http.ResponseWriter, r *http.Request, email, next string) signInView {
	v := signInView{Email: email, Next: web.SafeNext(next), Flash: web.TakeFlash(w, r), Google: s.cfg.GoogleClientID != ""}
	if s.TelegramEnabled() && s.cfg.TelegramBotName != "" {
		v.Telegram = &telegramWidget{Bot: s.cfg.TelegramBotName, AuthURL: s.Link("/auth/telegram/callback", nil)}
	}
	return v
}

// telegramCSP is the page policy of a sign-in page showing the Telegram
// Login Widget: Kite's own, plus Telegram's script and its frame.
var telegramCSP = strings.Replace(httpx.CSP, "script-src 'self'", "script-src 'self' https://telegram.org", 1) +
	"; frame-src https://oauth.telegram.org"

func (s *Service) renderSignIn(w http.ResponseWriter, r *http.Request, v signInView) {
	web.NoStore(w)
	if v.Telegram != nil {
		w.Header().Set("Content-Security-Policy", telegramCSP)
	}
	web.WriteErrorHeaders(w, v.Errors)
	web.Render(w, r, v.Errors.StatusOr(http.StatusOK), signInPage(v))
}

func (s *Service) signInPage(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	if _, ok := s.signedIn(r); ok {
		http.Redirect(w, r, afterSignIn(next), http.StatusSeeOther)
		return
	}
	s.renderSignIn(w, r, s.signInView(w, r, r.URL.Query().Get("email"), next))
}

func (s *Service) signInSubmit(w http.ResponseWriter, r *http.Request) {
	email, password, next := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("password"), r.PostFormValue("next")
	v := s.signInView(w, r, email, next)
	if email == "" {
		v.Errors.Set("email", "Enter your email address.")
	}
	if password == "" {
		v.Errors.Set("password", "Enter your password.")
	}
	if v.Errors.Any() {
		s.renderSignIn(w, r, v)
		return
	}
	u, err := s.SignIn(r.Context(), email, password, "", Meta(r))
	if IsMFARequired(err) {
		u, err = s.UserByEmail(r.Context(), email)
		if err == nil {
			s.continueSignIn(w, r, u, next)
			return
		}
	}
	if err != nil {
		if !s.formError(w, r, err, &v.Errors, nil) {
			return
		}
		s.renderSignIn(w, r, v)
		return
	}
	s.beginSession(w, r, u, next)
}

// formError maps a service error onto a form; for a server failure it
// writes the 500 page and returns false.
func (s *Service) formError(w http.ResponseWriter, r *http.Request, err error, into *web.FormErrors, rename map[string]string) bool {
	fe, ok := web.ProblemErrors(err, rename)
	if !ok {
		web.ServerError(w, r, s.log, err)
		return false
	}
	*into = fe
	return true
}

// ---------- Second step ----------

type codeView struct {
	Errors web.FormErrors
	Flash  *web.Flash
}

func (s *Service) pending(w http.ResponseWriter, r *http.Request) (PendingSignIn, bool) {
	var p PendingSignIn
	if !pendingCookie.open(s, r, &p) || p.UserID == "" || s.now().Unix() > p.Expires {
		pendingCookie.clear(w, r)
		web.SetFlash(w, r, web.ToastInfo, "Your sign-in timed out. Sign in again.")
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return p, false
	}
	return p, true
}

func (s *Service) codePage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.pending(w, r); !ok {
		return
	}
	web.NoStore(w)
	web.Render(w, r, http.StatusOK, codePage(codeView{Flash: web.TakeFlash(w, r)}))
}

func (s *Service) codeSubmit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.pending(w, r)
	if !ok {
		return
	}
	u, err := s.CompleteSignIn(r.Context(), p, r.PostFormValue("code"), Meta(r))
	if err == errPendingExpired {
		pendingCookie.clear(w, r)
		web.SetFlash(w, r, web.ToastInfo, errPendingExpired.Detail)
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	if err != nil {
		var v codeView
		if !s.formError(w, r, err, &v.Errors, nil) {
			return
		}
		if err == errMFAInvalid {
			v.Errors = web.FormErrors{Status: http.StatusUnauthorized}
			v.Errors.Set("code", errMFAInvalid.Detail)
		}
		web.NoStore(w)
		web.WriteErrorHeaders(w, v.Errors)
		web.Render(w, r, v.Errors.StatusOr(http.StatusUnauthorized), codePage(v))
		return
	}
	s.beginSession(w, r, u, p.Next)
}

// ---------- Sign up ----------

type signUpView struct {
	Name, Email, OrgName string
	Invitation, Next     string
	Errors               web.FormErrors
	Flash                *web.Flash
}

// invitationFrom finds an invitation token: given directly, or inside the
// next path of the invitation page the person came from.
func invitationFrom(token, next string) string {
	if token != "" {
		return token
	}
	if u, err := url.Parse(web.SafeNext(next)); err == nil && u.Path == "/invitations/accept" {
		return u.Query().Get("token")
	}
	return ""
}

func (s *Service) signUpPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if _, ok := s.signedIn(r); ok {
		http.Redirect(w, r, afterSignIn(q.Get("next")), http.StatusSeeOther)
		return
	}
	v := signUpView{Email: q.Get("email"), Next: web.SafeNext(q.Get("next")), Flash: web.TakeFlash(w, r)}
	v.Invitation = invitationFrom(q.Get("invitation"), v.Next)
	web.NoStore(w)
	web.Render(w, r, http.StatusOK, signUpPage(v))
}

func (s *Service) signUpSubmit(w http.ResponseWriter, r *http.Request) {
	v := signUpView{
		Name: r.PostFormValue("name"), Email: strings.TrimSpace(r.PostFormValue("email")), OrgName: r.PostFormValue("organization_name"),
		Next: web.SafeNext(r.PostFormValue("next")),
	}
	v.Invitation = invitationFrom(r.PostFormValue("invitation"), v.Next)
	password := r.PostFormValue("password")
	// Check every field first, so the form shows all its problems at once.
	if _, err := CleanName("name", v.Name, 100); err != nil {
		v.Errors.Set("name", fieldMessage(err))
	}
	if _, err := NormalizeEmail(v.Email); err != nil {
		v.Errors.Set("email", fieldMessage(err))
	}
	if err := CheckPassword(password); err != nil {
		v.Errors.Set("password", fieldMessage(err))
	}
	if v.Invitation == "" {
		if _, err := CleanName("organization_name", v.OrgName, 100); err != nil {
			v.Errors.Set("organization_name", fieldMessage(err))
		}
	}
	if !v.Errors.Any() {
		orgName := v.OrgName
		if v.Invitation != "" {
			orgName = ""
		}
		u, _, err := s.SignUp(r.Context(), SignUpInput{Email: v.Email, Password: password, Name: v.Name,
			OrganizationName: orgName, Invitation: v.Invitation}, Meta(r))
		if err == nil {
			if v.Invitation != "" {
				web.SetFlash(w, r, web.ToastSuccess, "Welcome to Kite! You joined the organization that invited you.")
			} else {
				web.SetFlash(w, r, web.ToastSuccess, "Welcome to Kite! Your organization is ready.")
			}
			next := v.Next
			if strings.HasPrefix(next, "/invitations/accept") {
				next = "/" // the invitation was accepted with the account
			}
			s.beginSession(w, r, u, next)
			return
		}
		if !s.formError(w, r, err, &v.Errors, nil) {
			return
		}
		if err == errEmailTaken {
			v.Errors = web.FormErrors{Status: http.StatusConflict}
			v.Errors.Set("email", "An account with this email already exists. Sign in instead.")
		}
	}
	web.NoStore(w)
	web.WriteErrorHeaders(w, v.Errors)
	web.Render(w, r, v.Errors.StatusOr(http.StatusUnprocessableEntity), signUpPage(v))
}

// fieldMessage is the text of a validation error for one field.
func fieldMessage(err error) string {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe.Message
	}
	var pe *PasswordError
	if errors.As(err, &pe) {
		return passwordMessage(pe)
	}
	return err.Error()
}

func passwordMessage(pe *PasswordError) string {
	switch pe.Reason {
	case ReasonTooShort:
		return "Use at least 8 characters."
	case ReasonTooLong:
		return "Use at most 128 characters."
	case ReasonTooCommon:
		return "This password is too common. Choose one that is harder to guess."
	}
	return "Choose another password."
}

// ---------- Forgotten password ----------

type forgotView struct {
	Email  string
	Sent   bool
	Errors web.FormErrors
	Flash  *web.Flash
}

func (s *Service) forgotPage(w http.ResponseWriter, r *http.Request) {
	web.NoStore(w)
	web.Render(w, r, http.StatusOK, forgotPage(forgotView{Email: r.URL.Query().Get("email"), Flash: web.TakeFlash(w, r)}))
}

func (s *Service) forgotSubmit(w http.ResponseWriter, r *http.Request) {
	v := forgotView{Email: strings.TrimSpace(r.PostFormValue("email"))}
	err := s.ForgotPassword(r.Context(), v.Email, Meta(r))
	if err != nil {
		if !s.formError(w, r, err, &v.Errors, nil) {
			return
		}
	} else {
		v.Sent = true
	}
	web.NoStore(w)
	web.WriteErrorHeaders(w, v.Errors)
	web.Render(w, r, v.Errors.StatusOr(http.StatusOK), forgotPage(v))
}

// ---------- Reset password ----------

type resetView struct {
	Token   string
	Invalid bool
	Errors  web.FormErrors
}

func (s *Service) resetPage(w http.ResponseWriter, r *http.Request) {
	v := resetView{Token: r.URL.Query().Get("token")}
	status := http.StatusOK
	if !s.ResetTokenUsable(r.Context(), v.Token) {
		v.Invalid, status = true, http.StatusBadRequest
	}
	web.NoStore(w)
	// The token is in the URL: keep it out of Referer headers.
	w.Header().Set("Referrer-Policy", "no-referrer")
	web.Render(w, r, status, resetPage(v))
}

func (s *Service) resetSubmit(w http.ResponseWriter, r *http.Request) {
	v := resetView{Token: r.PostFormValue("token")}
	err := s.ResetPassword(r.Context(), v.Token, r.PostFormValue("password"), Meta(r))
	if err == nil {
		ClearSessionCookie(w, r) // every session of the account ended
		web.SetFlash(w, r, web.ToastSuccess, "Your password was changed. Sign in with the new one.")
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	if IsResetInvalid(err) {
		v.Invalid = true
	} else if !s.formError(w, r, err, &v.Errors, nil) {
		return
	}
	web.NoStore(w)
	w.Header().Set("Referrer-Policy", "no-referrer")
	status := http.StatusBadRequest
	if !v.Invalid {
		status = v.Errors.StatusOr(http.StatusUnprocessableEntity)
	}
	web.Render(w, r, status, resetPage(v))
}

// ---------- Sign out ----------

func (s *Service) signOut(w http.ResponseWriter, r *http.Request) {
	if token := SessionToken(r); token != "" {
		if err := s.EndWebSession(r.Context(), token, Meta(r)); err != nil {
			web.ServerError(w, r, s.log, err)
			return
		}
	}
	ClearSessionCookie(w, r)
	http.SetCookie(w, &http.Cookie{Name: web.OrgCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	web.SetFlash(w, r, web.ToastSuccess, "You are signed out.")
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// ---------- Simple message page ----------

func (s *Service) message(w http.ResponseWriter, r *http.Request, status int, title, text string) {
	web.NoStore(w)
	web.Render(w, r, status, messagePage(title, text))
}
