package inbox

import (
	"context"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/web"
)

// The inbox pages: the chat list, the open chat and its context panel, in
// one workspace at /inbox. The page is drawn by the server; inbox.js sends
// messages through the JSON API (with the session cookie), listens on the
// realtime socket and swaps in the fragments below as things happen.

const inboxPath = "/inbox"

// filesPath serves the org's files to its members' pages (pictures and
// players in chats); the API's /files needs the X-Org-ID header.
const filesPath = "/files"

// messagesPerPage is how many messages a chat window opens with and loads
// per scroll back.
const messagesPerPage = 50

// RegisterWeb adds the inbox pages to mux.
func (s *Service) RegisterWeb(mux *http.ServeMux) {
	in := s.orgs.InOrg
	mux.HandleFunc("GET "+inboxPath, in(org.InboxRead, s.inboxPage))
	mux.HandleFunc("GET "+inboxPath+"/chats", in(org.InboxRead, s.listFragment))
	mux.HandleFunc("GET "+web.UnreadBadgePath, in(org.InboxRead, s.unreadBadge))
	mux.HandleFunc("GET "+filesPath+"/{id}", in(org.InboxRead, s.fileDownload))
	mux.HandleFunc("GET "+inboxPath+"/preview", in(org.InboxRead, s.previewCard))
	mux.HandleFunc("GET "+inboxPath+"/preview/image", in(org.InboxRead, s.previewImage))
	mux.HandleFunc("GET "+inboxPath+"/{chat}", in(org.InboxRead, s.chatPage))
	mux.HandleFunc("GET "+inboxPath+"/{chat}/older", in(org.InboxRead, s.olderFragment))
	mux.HandleFunc("GET "+inboxPath+"/{chat}/messages/{id}", in(org.InboxRead, s.messageFragment))
	mux.HandleFunc("GET "+inboxPath+"/{chat}/header", in(org.InboxRead, s.headerFragment))
	mux.HandleFunc("POST "+inboxPath+"/{chat}/messages", in(org.InboxWrite, s.sendSubmit))
	s.registerContextPages(mux)
}

// listQuery is the chat list's state in the URL: view, channel, search.
type listQuery struct {
	View, ChannelID, Q string
}

func readListQuery(q url.Values) listQuery {
	l := listQuery{View: q.Get("view"), ChannelID: strings.TrimSpace(q.Get("channel")), Q: strings.TrimSpace(q.Get("q"))}
	switch l.View {
	case "mine", "unassigned", "closed":
	default:
		l.View = "all"
	}
	return l
}

// encode writes the list state back as a query string (defaults left out).
func (l listQuery) encode(extra ...string) string {
	v := url.Values{}
	if l.View != "all" {
		v.Set("view", l.View)
	}
	if l.ChannelID != "" {
		v.Set("channel", l.ChannelID)
	}
	if l.Q != "" {
		v.Set("q", l.Q)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] != "" {
			v.Set(extra[i], extra[i+1])
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// filter turns the list state into the service's chat filter.
func (l listQuery) filter(cursor string) ChatFilter {
	f := ChatFilter{Status: ChatOpen, ChannelID: l.ChannelID, Q: l.Q, Cursor: cursor, Limit: 50}
	switch l.View {
	case "mine":
		f.AssigneeID = "me"
	case "unassigned":
		f.AssigneeID = "none"
	case "closed":
		f.Status = ChatClosed
	}
	return f
}

func (s *Service) inboxPage(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	s.renderInbox(w, r, c, "")
}

func (s *Service) chatPage(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	s.renderInbox(w, r, c, r.PathValue("chat"))
}

// renderInbox draws the workspace with chatID open (none when empty). An
// htmx request for the conversation pane gets just that pane.
func (s *Service) renderInbox(w http.ResponseWriter, r *http.Request, c *org.WebCtx, chatID string) {
	lq := readListQuery(r.URL.Query())
	v := inboxView{List: listView{Query: lq, Now: c.Now, Loc: c.Loc, OpenID: chatID}, OrgID: c.Org.ID, UserID: c.Actor.UserID,
		CanWrite: c.Can(org.InboxWrite)}
	ws, err := s.workspaceOf(r.Context(), c.Org.ID)
	if err != nil {
		s.pageFailed(w, r, c, err)
		return
	}
	if chatID != "" {
		cv, err := s.loadChat(r, c, chatID, r.URL.Query().Get("m"), ws)
		if err != nil {
			s.pageFailed(w, r, c, err)
			return
		}
		v.Open = &cv
		if web.IsHTMX(r) && r.Header.Get("HX-Target") == "conversation" {
			s.orgs.Render(w, r, http.StatusOK, conversationFragment(v))
			return
		}
	}
	if v.List, err = s.loadList(r, c, lq, "", ws); err != nil {
		s.pageFailed(w, r, c, err)
		return
	}
	v.List.OpenID = chatID
	title := "Inbox"
	if v.Open != nil {
		title = v.Open.Chat.Title + " · Inbox"
	}
	p := c.Page(title, "inbox")
	p.Fill = true
	p.Scripts = []string{web.AssetInbox, web.AssetInboxComposer}
	p.Styles = []string{web.AssetInboxCSS}
	s.orgs.Render(w, r, http.StatusOK, inboxPage(p, v))
}

// pageFailed answers a page whose chat or query was bad: 404 for another
// org's chat, the error page for a failure of the server.
func (s *Service) pageFailed(w http.ResponseWriter, r *http.Request, c *org.WebCtx, err error) {
	if fe, ok := web.ProblemErrors(err, nil); ok {
		if fe.StatusOr(http.StatusUnprocessableEntity) == http.StatusNotFound {
			s.orgs.NotFound(w, r, c)
			return
		}
		s.orgs.Render(w, r, fe.StatusOr(http.StatusUnprocessableEntity), web.ErrorPage(c.Page("Inbox", "inbox"), "", "That did not work", fe.Message))
		return
	}
	web.ServerError(w, r, s.log, err)
}

// listFragment is the chat list alone: filters, search, the next page, and
// the refresh inbox.js asks for when chats change.
func (s *Service) listFragment(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	lq := readListQuery(r.URL.Query())
	ws, err := s.workspaceOf(r.Context(), c.Org.ID)
	var v listView
	if err == nil {
		v, err = s.loadList(r, c, lq, r.URL.Query().Get("cursor"), ws)
	}
	if err != nil {
		if fe, ok := web.ProblemErrors(err, nil); ok {
			w.WriteHeader(fe.StatusOr(http.StatusUnprocessableEntity))
			s.orgs.Render(w, r, fe.StatusOr(http.StatusUnprocessableEntity), web.FormAlert(fe.Message))
			return
		}
		web.ServerError(w, r, s.log, err)
		return
	}
	v.OpenID = r.URL.Query().Get("open")
	if r.URL.Query().Get("cursor") != "" {
		s.orgs.Render(w, r, http.StatusOK, chatRows(v))
		return
	}
	s.orgs.Render(w, r, http.StatusOK, chatListBody(v))
}

// loadList reads one page of the chat list, and message hits for a search.
func (s *Service) loadList(r *http.Request, c *org.WebCtx, lq listQuery, cursor string, ws workspace) (listView, error) {
	ctx := r.Context()
	v := listView{Query: lq, Now: c.Now, Loc: c.Loc, Channels: ws.channels, Members: ws.members}
	var err error
	if v.Chats, v.Next, err = s.Chats(ctx, c.Actor, lq.filter(cursor)); err != nil {
		return v, err
	}
	if lq.Q != "" && cursor == "" {
		v.Hits, err = s.searchHits(r, c, lq.Q)
	}
	return v, err
}

// searchHits finds messages with the words of q, with their chats' titles.
func (s *Service) searchHits(r *http.Request, c *org.WebCtx, q string) ([]searchHit, error) {
	msgs, err := s.SearchMessages(r.Context(), c.Actor, q, "", 20)
	if err != nil || len(msgs) == 0 {
		return nil, err
	}
	titles, err := s.chatTitles(r.Context(), c.Org.ID, msgs)
	if err != nil {
		return nil, err
	}
	hits := make([]searchHit, 0, len(msgs))
	for _, m := range msgs {
		hits = append(hits, searchHit{Message: m, ChatTitle: titles[m.ChatID], Parts: highlight(snippet(m.Text, q, 140), q)})
	}
	return hits, nil
}

// chatTitles names the chats of msgs in one query.
func (s *Service) chatTitles(ctx context.Context, orgID string, msgs []Message) (map[string]string, error) {
	ids := make([]string, 0, len(msgs))
	for _, m := range msgs {
		ids = append(ids, m.ChatID)
	}
	var rows []Chat
	err := s.db.Read.NewSelect().Model(&rows).Column("id", "title").Where("org_id = ?", orgID).Where("id IN (?)", bun.In(ids)).Scan(ctx)
	out := make(map[string]string, len(rows))
	for _, c := range rows {
		out[c.ID] = c.Title
	}
	return out, err
}

func (s *Service) olderFragment(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	chatID := r.PathValue("chat")
	chat, err := s.Chat(r.Context(), c.Actor, chatID)
	if err != nil {
		s.fragmentFailed(w, r, err)
		return
	}
	list, older, err := s.Messages(r.Context(), c.Actor, chatID, r.URL.Query().Get("cursor"), messagesPerPage)
	if err != nil {
		s.fragmentFailed(w, r, err)
		return
	}
	cv := chatView{Chat: chat, OrgID: c.Org.ID, UserID: c.Actor.UserID, Loc: c.Loc, Now: c.Now, CanWrite: c.Can(org.InboxWrite)}
	if err := s.fillMessages(r, &cv, list, older, 0); err != nil {
		s.fragmentFailed(w, r, err)
		return
	}
	s.orgs.Render(w, r, http.StatusOK, olderMessages(cv))
}

// messageFragment is one message as the chat window draws it; inbox.js
// puts it in place of (or after) what it has, so a repeated event never
// draws a message twice.
func (s *Service) messageFragment(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	chat, err := s.Chat(r.Context(), c.Actor, r.PathValue("chat"))
	if err != nil {
		s.fragmentFailed(w, r, err)
		return
	}
	m, err := s.Message(r.Context(), c.Org.ID, r.PathValue("id"))
	if err != nil || m.ChatID != chat.ID {
		s.fragmentFailed(w, r, errMessageNotFound)
		return
	}
	cv := chatView{Chat: chat, OrgID: c.Org.ID, UserID: c.Actor.UserID, Loc: c.Loc, Now: c.Now, CanWrite: c.Can(org.InboxWrite)}
	if err := s.fillMessages(r, &cv, []Message{m}, "", 0); err != nil {
		s.fragmentFailed(w, r, err)
		return
	}
	cv.Items[0].Day = "" // the window decides about day dividers
	s.orgs.Render(w, r, http.StatusOK, messageItem(cv, cv.Items[0]))
}

// headerFragment redraws the chat's header (assignee, status) after a change.
func (s *Service) headerFragment(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	chat, err := s.Chat(r.Context(), c.Actor, r.PathValue("chat"))
	if err != nil {
		s.fragmentFailed(w, r, err)
		return
	}
	cv := chatView{Chat: chat, OrgID: c.Org.ID, UserID: c.Actor.UserID, Loc: c.Loc, Now: c.Now, CanWrite: c.Can(org.InboxWrite)}
	ws, err := s.workspaceOf(r.Context(), c.Org.ID)
	if err != nil {
		s.fragmentFailed(w, r, err)
		return
	}
	cv.fillMeta(ws)
	s.orgs.Render(w, r, http.StatusOK, chatHeader(cv))
}

// fragmentFailed answers a fragment request that went wrong, with the
// problem's status and its message for the page's error toast.
func (s *Service) fragmentFailed(w http.ResponseWriter, r *http.Request, err error) {
	if fe, ok := web.ProblemErrors(err, nil); ok {
		web.NoStore(w)
		http.Error(w, fe.Message, fe.StatusOr(http.StatusUnprocessableEntity))
		return
	}
	web.ServerError(w, r, s.log, err)
}

// sendSubmit is the composer without JavaScript: a plain form post.
func (s *Service) sendSubmit(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	chatID := r.PathValue("chat")
	to := inboxPath + "/" + chatID
	text := r.PostFormValue("text")
	in := Outgoing{Text: text}
	if reply := r.PostFormValue("reply_to_id"); reply != "" {
		in.ReplyToID = &reply
	}
	if _, err := s.Send(r.Context(), c.Actor, chatID, in); err != nil {
		if fe, ok := web.ProblemErrors(err, nil); ok && fe.StatusOr(0) != http.StatusNotFound {
			web.SetFlash(w, r, web.ToastError, fe.Message)
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		s.pageFailed(w, r, c, err)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// unreadBadge is the navigation's unread count for the caller.
func (s *Service) unreadBadge(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	total, err := s.UnreadTotal(r.Context(), c.Actor)
	if err != nil {
		web.ServerError(w, r, s.log, err)
		return
	}
	s.orgs.Render(w, r, http.StatusOK, unreadCount(total))
}

// fileDownload serves a file of the org to its members' pages: images and
// players load it inline, other files download.
func (s *Service) fileDownload(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	f, body, err := s.OpenFile(r.Context(), c.Org.ID, r.PathValue("id"))
	if err != nil {
		s.orgs.NotFound(w, r, c)
		return
	}
	defer body.Close()
	disp := "attachment"
	if inlineMIME(f.MIME) {
		disp = "inline"
	}
	h := w.Header()
	h.Set("Content-Type", f.MIME)
	if f.Name != "" {
		disp = mime.FormatMediaType(disp, map[string]string{"filename": f.Name})
	}
	h.Set("Content-Disposition", disp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, max-age=86400")
	http.ServeContent(w, r, "", f.CreatedAt.Truncate(time.Second), body)
}

// inlineMIME are the types a browser shows in the page without running
// anything: pictures and media (never HTML or SVG, which carry scripts).
func inlineMIME(m string) bool {
	switch {
	case m == "image/svg+xml":
		return false
	case strings.HasPrefix(m, "image/"), strings.HasPrefix(m, "audio/"), strings.HasPrefix(m, "video/"):
		return true
	}
	return false
}
