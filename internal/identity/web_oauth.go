package identity

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"

	"github.com/kite-crm/kite/internal/web"
)

// Sign in with Google (OpenID Connect authorization code flow) and with the
// Telegram Login Widget, in the browser.

// oauthState is what the browser keeps, sealed, between leaving for Google
// and coming back: the values Google must echo, and where to go after.
type oauthState struct {
	State   string `json:"s"`
	Nonce   string `json:"n"`
	Next    string `json:"x,omitempty"`
	Expires int64  `json:"e"`
}

// googleRedirectURL is the callback registered with Google.
func (s *Service) googleRedirectURL() string { return s.Link("/auth/google/callback", nil) }

func (s *Service) googleStart(w http.ResponseWriter, r *http.Request) {
	if s.cfg.GoogleClientID == "" {
		s.message(w, r, http.StatusNotFound, "Google sign-in is off", "This Kite server is not configured for signing in with Google. Sign in with your email and password instead.")
		return
	}
	st := oauthState{State: randomBase64URL(24), Nonce: randomBase64URL(24), Next: web.SafeNext(r.URL.Query().Get("next")),
		Expires: s.now().Add(oauthCookie.ttl).Unix()}
	to, err := s.GoogleAuthURL(r.Context(), s.googleRedirectURL(), st.State, st.Nonce)
	if err != nil {
		s.backToSignIn(w, r, err, "Google sign-in is unavailable right now; try again shortly.")
		return
	}
	if err := oauthCookie.set(s, w, r, st); err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (s *Service) googleCallback(w http.ResponseWriter, r *http.Request) {
	var st oauthState
	ok := oauthCookie.open(s, r, &st)
	oauthCookie.clear(w, r)
	q := r.URL.Query()
	switch {
	case s.cfg.GoogleClientID == "":
		s.message(w, r, http.StatusNotFound, "Google sign-in is off", "This Kite server is not configured for signing in with Google.")
		return
	case q.Get("error") != "":
		web.SetFlash(w, r, web.ToastInfo, "Google sign-in was cancelled.")
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	case !ok || s.now().Unix() > st.Expires || st.State == "" ||
		subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(st.State)) != 1 || q.Get("code") == "":
		web.SetFlash(w, r, web.ToastError, "That Google sign-in could not be verified. Try again.")
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	u, err := s.GoogleExchange(r.Context(), q.Get("code"), s.googleRedirectURL(), st.Nonce, Meta(r))
	if err != nil {
		s.backToSignIn(w, r, err, "")
		return
	}
	s.continueSignIn(w, r, u, st.Next)
}

func (s *Service) telegramCallback(w http.ResponseWriter, r *http.Request) {
	if !s.TelegramEnabled() {
		s.message(w, r, http.StatusNotFound, "Telegram sign-in is off", "This Kite server is not configured for signing in with Telegram.")
		return
	}
	q := r.URL.Query()
	id, err1 := strconv.ParseInt(q.Get("id"), 10, 64)
	authDate, err2 := strconv.ParseInt(q.Get("auth_date"), 10, 64)
	if err1 != nil || err2 != nil || q.Get("hash") == "" {
		web.SetFlash(w, r, web.ToastError, "That Telegram sign-in could not be verified. Try again.")
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	login := TelegramLogin{ID: id, FirstName: q.Get("first_name"), LastName: q.Get("last_name"), Username: q.Get("username"),
		PhotoURL: q.Get("photo_url"), AuthDate: authDate, Hash: q.Get("hash")}
	u, err := s.TelegramSignIn(r.Context(), login, Meta(r))
	if err != nil {
		s.backToSignIn(w, r, err, "")
		return
	}
	s.continueSignIn(w, r, u, "")
}

// backToSignIn returns to the sign-in page with the refusal as a toast.
// Refusals of the service (a problem) say what went wrong themselves; any
// other failure is logged and shown as fallback.
func (s *Service) backToSignIn(w http.ResponseWriter, r *http.Request, err error, fallback string) {
	var se interface{ GetStatus() int }
	msg := fallback
	if errors.As(err, &se) {
		msg = err.Error()
	} else {
		s.log.WarnContext(r.Context(), "external sign-in failed", "err", err)
	}
	if msg == "" {
		msg = "That sign-in did not work. Try again."
	}
	web.SetFlash(w, r, web.ToastError, msg)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}
