package telegram

import (
	"log/slog"
	"net/http"

	"github.com/kite-crm/kite/internal/inbox"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/web"
)

// The channels settings page: the org's connected bots with their status
// (a broken bot shows why), a form to connect one, and disconnecting.

const settingsPath = "/settings/channels"

// Web serves the channel settings pages.
type Web struct {
	a    *Adapter
	orgs *org.Service
	log  *slog.Logger
}

// RegisterWeb adds the channel settings pages to mux.
func (a *Adapter) RegisterWeb(mux *http.ServeMux, orgs *org.Service) {
	w := &Web{a: a, orgs: orgs, log: a.log}
	mux.HandleFunc("GET "+settingsPath, orgs.InOrg(org.OrgRead, w.page))
	mux.HandleFunc("POST "+settingsPath+"/telegram", orgs.InOrg(org.IntegrationsWrite, w.connectSubmit))
	mux.HandleFunc("POST "+settingsPath+"/{id}/disconnect", orgs.InOrg(org.IntegrationsWrite, w.disconnectSubmit))
}

type channelsView struct {
	Channels []inbox.ChannelRecord
	CanWrite bool
	Webhooks bool
	Errors   web.FormErrors
}

func (w *Web) page(rw http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	w.render(rw, r, c, http.StatusOK, web.FormErrors{})
}

func (w *Web) render(rw http.ResponseWriter, r *http.Request, c *org.WebCtx, status int, errs web.FormErrors) {
	list, err := w.a.inbox.Channels(r.Context(), c.Org.ID)
	if err != nil {
		web.ServerError(rw, r, w.log, err)
		return
	}
	shown := list[:0]
	for _, ch := range list {
		if ch.Status != inbox.ChannelDisconnected {
			shown = append(shown, ch)
		}
	}
	v := channelsView{Channels: shown, CanWrite: c.Can(org.IntegrationsWrite), Webhooks: w.a.opts.Webhooks, Errors: errs}
	w.orgs.Render(rw, r, status, channelsPage(c.Page("Channels · Settings", "settings"), v))
}

func (w *Web) connectSubmit(rw http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	ch, err := w.a.Connect(r.Context(), c.Actor, r.PostFormValue("bot_token"))
	if err != nil {
		w.failed(rw, r, c, err)
		return
	}
	org.Done(rw, r, settingsPath, "Connected @"+ch.Username+". Messages to the bot now arrive in the inbox.")
}

func (w *Web) disconnectSubmit(rw http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	if err := w.a.inbox.DisconnectChannel(r.Context(), c.Actor, r.PathValue("id")); err != nil {
		w.failed(rw, r, c, err)
		return
	}
	org.Done(rw, r, settingsPath, "Disconnected. Its chats stay in the inbox; connect the bot again to answer them.")
}

func (w *Web) failed(rw http.ResponseWriter, r *http.Request, c *org.WebCtx, err error) {
	var errs web.FormErrors
	if !w.orgs.FormErrors(rw, r, err, &errs, map[string]string{"body.bot_token": "bot_token"}) {
		return
	}
	if errs.Status == http.StatusNotFound {
		w.orgs.NotFound(rw, r, c)
		return
	}
	w.render(rw, r, c, errs.StatusOr(http.StatusUnprocessableEntity), errs)
}
