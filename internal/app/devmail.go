package app

import (
	"net"
	"net/http"

	"github.com/kite-crm/kite/internal/platform/mail"
	"github.com/kite-crm/kite/internal/web"
)

// registerDevMailbox serves the mails Kite would have sent, when no SMTP
// server is configured, so sign-up, reset and invitation flows work on a
// fresh machine. Reset links are keys to accounts: the pages answer only
// requests from this machine.
func (a *App) registerDevMailbox(mux *http.ServeMux) {
	if a.Mailbox == nil {
		return
	}
	local := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			host, _, _ := net.SplitHostPort(r.RemoteAddr)
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() || r.Header.Get("X-Forwarded-For") != "" {
				http.Error(w, "The dev mailbox is only available from the machine Kite runs on.", http.StatusForbidden)
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("GET /dev/mailbox", local(func(w http.ResponseWriter, r *http.Request) {
		var views []web.MailView
		for _, m := range a.Mailbox.List() {
			views = append(views, mailView(m))
		}
		web.Render(w, r, http.StatusOK, web.MailboxPage(views))
	}))
	mux.HandleFunc("GET /dev/mailbox/{id}", local(func(w http.ResponseWriter, r *http.Request) {
		m, ok := a.Mailbox.Get(r.PathValue("id"))
		if !ok {
			http.NotFound(w, r)
			return
		}
		web.Render(w, r, http.StatusOK, web.MailPage(mailView(m)))
	}))
}

func mailView(m mail.Stored) web.MailView {
	return web.MailView{ID: m.ID, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML, SentAt: m.SentAt}
}
