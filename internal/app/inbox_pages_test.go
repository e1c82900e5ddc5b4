package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kite-crm/kite/internal/app"
	"github.com/kite-crm/kite/internal/app/apptest"
	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
	"github.com/kite-crm/kite/internal/config"
	"github.com/kite-crm/kite/internal/identity"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
	"github.com/kite-crm/kite/internal/platform/linkpreview"
	"github.com/kite-crm/kite/internal/web/webtest"
)

// inboxDesk is a Kite with a connected bot and its owner's browser.
type inboxDesk struct {
	a     *app.App
	tg    *telegramtest.Server
	owner *apptest.Browser
	org   string
	token string
}

// startInboxDesk starts Kite on kind with a fake Bot API and connects a bot
// from the settings page.
func startInboxDesk(t *testing.T, kind db.Kind) *inboxDesk {
	t.Helper()
	tg := telegramtest.New(telegramtest.WithInsecureWebhooks())
	t.Cleanup(tg.Close)
	edit := []func(*config.Config){func(c *config.Config) { c.TelegramAPIURL, c.TelegramUpdates = tg.URL(), "webhook" }}
	if kind == db.Postgres {
		b := dbtest.New(t, db.Postgres, true)
		edit = append(edit, func(c *config.Config) { c.DatabaseURL = b.URL })
	}
	a := apptest.StartKite(t, edit...)
	owner := signedUp(t, a, "owner@example.com", "Acme")
	token := "7001:AAH" + strings.Repeat("q", 32)
	tg.AddBot(token, "acme_inbox_bot")
	apptest.MustRedirect(t, owner.Post("/settings/channels/telegram", url.Values{"bot_token": {token}}), "/settings/channels")
	return &inboxDesk{a: a, tg: tg, owner: owner, org: orgOf(t, a, "owner@example.com"), token: token}
}

// api calls the JSON API with the browser's session, as the inbox's script does.
func (d *inboxDesk) api(b *apptest.Browser, method, path string, body any) (int, map[string]any) {
	var rd *bytes.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, b.Base+"/api/v1"+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Org-ID", d.org)
	p := b.Do(req)
	out := map[string]any{}
	json.Unmarshal([]byte(p.Body), &out)
	return p.Status, out
}

// waitFor polls the JSON API until check accepts its answer.
func (d *inboxDesk) waitFor(t *testing.T, path string, check func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		status, body := d.api(d.owner, "GET", path, nil)
		if status == 200 && check(body) {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s never satisfied the check: %d %v", path, status, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func items(body map[string]any) []map[string]any {
	list, _ := body["items"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, it := range list {
		m, _ := it.(map[string]any)
		out = append(out, m)
	}
	return out
}

// firstChat waits for the bot's first chat.
func (d *inboxDesk) firstChat(t *testing.T) map[string]any {
	t.Helper()
	body := d.waitFor(t, "/chats", func(b map[string]any) bool { return len(items(b)) > 0 })
	return items(body)[0]
}

func (d *inboxDesk) messages(t *testing.T, chatID string, n int) []map[string]any {
	t.Helper()
	return items(d.waitFor(t, "/chats/"+chatID+"/messages?limit=100", func(b map[string]any) bool { return len(items(b)) >= n }))
}

// The inbox page: the list and its views, a chat opened with its unread
// divider, a message answered and replied to from the plain form, search
// hits that jump to the message, and older messages by page.
func TestInboxPages(t *testing.T) {
	t.Parallel()
	for _, kind := range dbtest.Kinds(t) {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			d := startInboxDesk(t, kind)
			gia := telegramtest.User{ID: 5101, FirstName: "Gia", LastName: "Ferro", Username: "gia_f"}
			d.tg.UserSays(d.token, gia, "Hello, do you ship to Norway?")
			chat := d.firstChat(t)
			chatID := chat["id"].(string)
			msgs := d.messages(t, chatID, 1)
			firstID := msgs[0]["id"].(string)

			p := okPage(t, d.owner, "/inbox")
			row := p.Find("#chat-row-" + chatID)
			if row == nil || !strings.Contains(webtest.Text(row), "Gia Ferro") || !strings.Contains(webtest.Text(row), "do you ship to Norway") {
				t.Fatalf("the chat row:\n%s", p.Text("#chat-list"))
			}
			if badge := webtest.Find(row, ".unread-badge"); badge == nil || !strings.HasPrefix(webtest.Text(badge), "1") {
				t.Errorf("the row's unread badge: %q", webtest.Text(badge))
			}
			if nav := p.Find("nav#sidebar a[href=/inbox]"); nav == nil {
				t.Error("the navigation has no link to the inbox")
			}
			if got := d.owner.Get("/inbox/unread", "HX-Request", "true"); !strings.Contains(got.Body, `data-unread="1"`) {
				t.Errorf("unread badge: %s", got.Body)
			}
			if p := okPage(t, d.owner, "/inbox?view=mine"); p.Find("#chat-row-"+chatID) != nil || !strings.Contains(p.Text("#chat-list"), "No open chats assigned to you") {
				t.Errorf("Mine lists an unassigned chat:\n%s", p.Text("#chat-list"))
			}
			if p := okPage(t, d.owner, "/inbox?view=unassigned"); p.Find("#chat-row-"+chatID) == nil {
				t.Error("Unassigned misses the chat")
			}

			p = okPage(t, d.owner, "/inbox/"+chatID)
			if p.Find("#unread-divider") == nil || p.Find("#msg-"+firstID) == nil || p.Find("form#composer") == nil {
				t.Fatalf("the open chat:\n%s", p.Text("#conversation"))
			}
			if got := p.Text("#msg-" + firstID + " .msg-text"); got != "Hello, do you ship to Norway?" {
				t.Errorf("message text %q", got)
			}
			frag := d.owner.Get("/inbox/"+chatID, "HX-Request", "true", "HX-Target", "conversation")
			if frag.Status != 200 || !strings.Contains(frag.Body, "<title>Gia Ferro · Inbox · Kite</title>") || strings.Contains(frag.Body, "<nav") {
				t.Errorf("the conversation fragment: %d\n%.300s", frag.Status, frag.Body)
			}

			// Answer with the plain form, then reply to the customer's message.
			apptest.MustRedirect(t, d.owner.Post("/inbox/"+chatID+"/messages", url.Values{"text": {"Yes, we do."}}), "/inbox/"+chatID)
			apptest.MustRedirect(t, d.owner.Post("/inbox/"+chatID+"/messages", url.Values{"text": {"Which city?"}, "reply_to_id": {firstID}}), "/inbox/"+chatID)
			msgs = d.messages(t, chatID, 3)
			reply := msgs[0]
			if reply["text"] != "Which city?" || reply["reply_to_id"] != firstID {
				t.Fatalf("the reply: %v", reply)
			}
			bubble := d.owner.Get("/inbox/"+chatID+"/messages/"+reply["id"].(string), "HX-Request", "true")
			if bubble.Status != 200 || !strings.Contains(bubble.Body, "msg-quote") || !strings.Contains(bubble.Body, "Hello, do you ship to Norway?") {
				t.Errorf("the reply's bubble: %d\n%s", bubble.Status, bubble.Body)
			}
			d.waitFor(t, "/chats/"+chatID+"/messages", func(b map[string]any) bool {
				for _, m := range items(b) {
					if m["status"] != "sent" && m["direction"] == "out" {
						return false
					}
				}
				return true
			})
			if sent := d.tg.Sent(d.token); len(sent) != 2 || sent[1].Text != "Which city?" {
				t.Errorf("Telegram got %+v", sent)
			}
			if p := okPage(t, d.owner, "/inbox/"+chatID); !strings.Contains(p.Text("#msg-"+reply["id"].(string)+" .msg-status"), "Sent") {
				t.Errorf("the reply's state: %q", p.Text("#msg-"+reply["id"].(string)+" .msg-meta"))
			}
			// An empty message is refused with a reason, nothing sent.
			if p := d.owner.Post("/inbox/"+chatID+"/messages", url.Values{"text": {"   "}}); p.Status != http.StatusSeeOther {
				t.Errorf("empty message: %d", p.Status)
			}
			if got := d.messages(t, chatID, 3); len(got) != 3 {
				t.Errorf("an empty message was stored: %d messages", len(got))
			}

			// Search: the hit is marked and opens the chat at the message.
			p = okPage(t, d.owner, "/inbox?q=norway")
			hit := p.Find(".hit")
			if hit == nil || webtest.Text(webtest.Find(hit, "mark")) != "Norway" || !strings.Contains(webtest.Attr(hit, "href"), "m="+firstID) {
				t.Fatalf("search hits:\n%s", p.Text("#chat-list"))
			}
			p = okPage(t, d.owner, webtest.Attr(hit, "href"))
			if m := p.Find("#msg-" + firstID); m == nil || !strings.Contains(webtest.Attr(m, "class"), "msg-highlight") || p.Text("#msg-"+firstID+" mark") != "Norway" {
				t.Errorf("the jumped-to message is not highlighted:\n%s", p.Text("#messages"))
			}

			// Older messages load by page.
			for i := range 55 {
				d.tg.UserSays(d.token, gia, fmt.Sprintf("line %02d", i))
			}
			d.messages(t, chatID, 58)
			p = okPage(t, d.owner, "/inbox/"+chatID)
			shown := webtest.FindAll(p.Doc(), webtest.Matcher(".msg"))
			older := p.Find(".messages-older a")
			if len(shown) != 50 || older == nil {
				t.Fatalf("first page: %d messages, older link %v", len(shown), older != nil)
			}
			page := d.owner.Get(webtest.Attr(older, "href"), "HX-Request", "true")
			rest := webtest.FindAll(webtest.Parse(t, "<ol>"+page.Body+"</ol>"), webtest.Matcher(".msg"))
			if page.Status != 200 || len(rest) != 8 || strings.Contains(page.Body, "messages-older") {
				t.Errorf("older page: %d, %d messages", page.Status, len(rest))
			}
			if !strings.Contains(page.Body, `id="msg-`+firstID+`"`) {
				t.Error("the first message is not on the older page")
			}
			if bad := d.owner.Get("/inbox/"+chatID+"/older?cursor=nonsense", "HX-Request", "true"); bad.Status != http.StatusUnprocessableEntity && bad.Status != http.StatusBadRequest {
				t.Errorf("a forged cursor: %d", bad.Status)
			}
		})
	}
}

// The context panel changes the chat and the CRM without leaving the
// inbox: assignment, contact, note, deals, relink and close; bad input is
// refused in the panel; the contact's timeline shows the conversation.
func TestInboxContextPanel(t *testing.T) {
	t.Parallel()
	for _, kind := range dbtest.Kinds(t) {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			d := startInboxDesk(t, kind)
			d.tg.UserSays(d.token, telegramtest.User{ID: 5202, FirstName: "Rui"}, "I want 40 seats")
			chat := d.firstChat(t)
			chatID, contactID := chat["id"].(string), chat["contact_id"].(string)
			base := "/inbox/" + chatID

			p := d.owner.Get(base+"/context", "HX-Request", "true")
			if p.Status != 200 || p.Find("#context-panel") == nil || !strings.Contains(p.Text(".context-name"), "Rui") {
				t.Fatalf("panel: %d\n%s", p.Status, p.Body)
			}
			_, me := d.api(d.owner, "GET", "/me", nil)
			meID, _ := me["id"].(string)
			if u, ok := me["user"].(map[string]any); ok && meID == "" {
				meID, _ = u["id"].(string)
			}
			if p := d.owner.Post(base+"/assign", url.Values{"assignee_id": {meID}}); p.Status != 200 || !strings.Contains(p.Body, "Chat assigned.") {
				t.Fatalf("assign: %d\n%s", p.Status, p.Body)
			}
			if p := d.owner.Get(base+"/header", "HX-Request", "true"); !strings.Contains(p.Text("#chat-header"), "Assigned to Owner owner@example.com") {
				t.Errorf("header after assigning: %q", p.Text("#chat-header"))
			}
			if p := okPage(t, d.owner, "/inbox?view=mine"); p.Find("#chat-row-"+chatID) == nil {
				t.Error("Mine misses the assigned chat")
			}
			if p := d.owner.Post(base+"/assign", url.Values{"assignee_id": {"01900000-0000-7000-8000-000000000000"}}); p.Status != http.StatusUnprocessableEntity && p.Status != http.StatusNotFound {
				t.Errorf("assign to a stranger: %d", p.Status)
			}

			p = d.owner.Post(base+"/contact", url.Values{"first_name": {"Rui"}, "last_name": {"Sousa"}, "email": {"not an email"}})
			if p.Status != http.StatusUnprocessableEntity || p.Find("#ctx-email-error") == nil {
				t.Errorf("bad email: %d\n%s", p.Status, p.Text("#context-panel"))
			}
			p = d.owner.Post(base+"/contact", url.Values{"first_name": {"Rui"}, "last_name": {"Sousa"}, "email": {"rui@example.com"}, "title": {"Buyer"}})
			if p.Status != 200 || !strings.Contains(p.Text(".context-name"), "Rui Sousa") {
				t.Errorf("contact saved: %d\n%s", p.Status, p.Text("#context-panel"))
			}
			if _, c := d.api(d.owner, "GET", "/contacts/"+contactID, nil); c["email"] != "rui@example.com" || c["title"] != "Buyer" {
				t.Errorf("contact after the panel: %v", c)
			}
			if p := d.owner.Post(base+"/note", url.Values{"body": {"Wants a quote by Friday"}}); p.Status != 200 {
				t.Errorf("note: %d", p.Status)
			}
			if p := d.owner.Post(base+"/note", url.Values{"body": {"  "}}); p.Status != http.StatusUnprocessableEntity {
				t.Errorf("empty note: %d", p.Status)
			}
			if p := d.owner.Post(base+"/deals", url.Values{"title": {"40 seats"}, "value": {"abc"}}); p.Status != http.StatusUnprocessableEntity || p.Find(".field-error") == nil {
				t.Errorf("bad deal value: %d\n%s", p.Status, p.Text("#context-panel"))
			}
			p = d.owner.Post(base+"/deals", url.Values{"title": {"40 seats"}, "value": {"4800.00"}})
			if p.Status != 200 || !strings.Contains(p.Text(".context-deals"), "40 seats") {
				t.Fatalf("deal: %d\n%s", p.Status, p.Text("#context-panel"))
			}
			_, deals := d.api(d.owner, "GET", "/deals?contact_id="+contactID, nil)
			dl := items(deals)
			if len(dl) != 1 || dl[0]["value"] != "4800.00" {
				t.Fatalf("deals of the contact: %v", deals)
			}
			dealID := dl[0]["id"].(string)
			_, pl := d.api(d.owner, "GET", "/pipelines/"+dl[0]["pipeline_id"].(string), nil)
			stages, _ := pl["stages"].([]any)
			next := stages[1].(map[string]any)["id"].(string)
			if p := d.owner.Post(base+"/deals/"+dealID+"/stage", url.Values{"stage_id": {next}}); p.Status != 200 {
				t.Errorf("move: %d\n%s", p.Status, p.Text("#context-panel"))
			}
			if _, deal := d.api(d.owner, "GET", "/deals/"+dealID, nil); deal["stage_id"] != next {
				t.Errorf("the deal did not move: %v", deal["stage_id"])
			}

			// Another contact's deal does not move from this chat.
			_, other := d.api(d.owner, "POST", "/contacts", map[string]any{"first_name": "Ana"})
			_, otherDeal := d.api(d.owner, "POST", "/deals", map[string]any{"title": "Ana's", "contact_id": other["id"]})
			if p := d.owner.Post(base+"/deals/"+otherDeal["id"].(string)+"/stage", url.Values{"stage_id": {next}}); p.Status != http.StatusNotFound {
				t.Errorf("moving another contact's deal: %d", p.Status)
			}

			// The timeline of the contact shows the conversation and the note.
			tl := okPage(t, d.owner, "/contacts/"+contactID)
			if text := tl.Text("main"); !strings.Contains(text, "I want 40 seats") || !strings.Contains(text, "wrote") || !strings.Contains(text, "Wants a quote by Friday") {
				t.Errorf("contact timeline:\n%s", text)
			}

			// The company of the contact shows it too.
			_, co := d.api(d.owner, "POST", "/companies", map[string]any{"name": "Sousa Lda"})
			if status, _ := d.api(d.owner, "PATCH", "/contacts/"+contactID, map[string]any{"company_id": co["id"]}); status != 200 {
				t.Fatalf("link the company: %d", status)
			}
			if text := okPage(t, d.owner, "/companies/"+co["id"].(string)).Text("main"); !strings.Contains(text, "I want 40 seats") {
				t.Errorf("company timeline:\n%s", text)
			}

			// Relink to Ana, then close the chat.
			if p := d.owner.Post(base+"/link", url.Values{"contact_id": {""}}); p.Status != http.StatusUnprocessableEntity {
				t.Errorf("relink to nobody: %d", p.Status)
			}
			if p := d.owner.Post(base+"/link", url.Values{"contact_id": {other["id"].(string)}}); p.Status != 200 || !strings.Contains(p.Text(".context-name"), "Ana") {
				t.Errorf("relink: %d\n%s", p.Status, p.Text("#context-panel"))
			}
			if p := d.owner.Post(base+"/status", url.Values{"status": {"closed"}}); p.Status != 200 || !strings.Contains(p.Body, "Reopen the chat") {
				t.Errorf("close: %d", p.Status)
			}
			if p := okPage(t, d.owner, "/inbox?view=closed"); p.Find("#chat-row-"+chatID) == nil {
				t.Error("Closed misses the closed chat")
			}
			if p := d.owner.Post(base+"/status", url.Values{"status": {"archived"}}); p.Status != http.StatusUnprocessableEntity {
				t.Errorf("unknown status: %d", p.Status)
			}
		})
	}
}

// Another organization sees none of it, and a viewer reads but cannot answer.
func TestInboxPagesIsolationAndRoles(t *testing.T) {
	t.Parallel()
	d := startInboxDesk(t, db.SQLite)
	d.tg.UserSendsPhoto(d.token, telegramtest.User{ID: 5303, FirstName: "Lea"}, "shelf.png", app.TinyPNG(t), "our shelf")
	chat := d.firstChat(t)
	chatID := chat["id"].(string)
	msgs := items(d.waitFor(t, "/chats/"+chatID+"/messages", func(b map[string]any) bool {
		l := items(b)
		if len(l) == 0 {
			return false
		}
		att, _ := l[0]["attachments"].([]any)
		return len(att) == 1 && att[0].(map[string]any)["file_id"] != nil
	}))
	msgID := msgs[0]["id"].(string)
	fileID := msgs[0]["attachments"].([]any)[0].(map[string]any)["file_id"].(string)

	page := okPage(t, d.owner, "/inbox/"+chatID)
	img := page.Find("#msg-" + msgID + " .msg-photo img")
	if img == nil || webtest.Attr(img, "src") != "/files/"+fileID {
		t.Fatalf("the photo is not shown:\n%s", page.Text("#messages"))
	}
	f := d.owner.Get("/files/" + fileID)
	if f.Status != 200 || !strings.HasPrefix(f.Header.Get("Content-Type"), "image/") || !strings.HasPrefix(f.Header.Get("Content-Disposition"), "inline") {
		t.Errorf("file: %d %v", f.Status, f.Header)
	}

	stranger := signedUp(t, d.a, "other@example.com", "Other")
	for _, path := range []string{"/inbox/" + chatID, "/inbox/" + chatID + "/context", "/inbox/" + chatID + "/header",
		"/inbox/" + chatID + "/older", "/inbox/" + chatID + "/messages/" + msgID, "/files/" + fileID} {
		if p := stranger.Get(path, "HX-Request", "true"); p.Status != http.StatusNotFound {
			t.Errorf("another org's GET %s: %d", path, p.Status)
		}
	}
	for _, path := range []string{"/messages", "/assign", "/status", "/link", "/contact", "/note", "/deals"} {
		if p := stranger.Post("/inbox/"+chatID+path, url.Values{"text": {"hi"}, "status": {"closed"}, "title": {"x"}, "body": {"x"}}); p.Status != http.StatusNotFound {
			t.Errorf("another org's POST %s: %d", path, p.Status)
		}
	}
	if p := okPage(t, stranger, "/inbox"); p.Find("#chat-row-"+chatID) != nil {
		t.Error("another org lists the chat")
	}

	// A viewer: reads, cannot answer or change.
	viewer := d.addMember(t, "viewer@example.com", org.Viewer)
	p := okPage(t, viewer, "/inbox/"+chatID)
	if p.Find("form#composer") != nil || !strings.Contains(p.Text(".composer-readonly"), "not answer") {
		t.Error("a viewer gets a composer")
	}
	for _, path := range []string{"/messages", "/assign", "/status", "/note"} {
		if p := viewer.Post("/inbox/"+chatID+path, url.Values{"text": {"hi"}, "status": {"closed"}, "body": {"x"}}); p.Status != http.StatusForbidden {
			t.Errorf("a viewer's POST %s: %d", path, p.Status)
		}
	}
}

// addMember signs a new person up and adds them to the desk's org.
func (d *inboxDesk) addMember(t *testing.T, email string, role org.Role) *apptest.Browser {
	t.Helper()
	ctx := context.Background()
	if _, _, err := d.a.Identity.SignUp(ctx, identity.SignUpInput{Name: "Member " + email, Email: email, Password: apptest.TestPassword},
		identity.ClientMeta{IP: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	owner, err := d.a.Identity.UserByEmail(ctx, "owner@example.com")
	if err != nil {
		t.Fatal(err)
	}
	actor := org.Actor{UserID: owner.ID, Name: owner.Name, OrgID: d.org, Role: org.Owner}
	if _, err := d.a.Orgs.AddMember(ctx, actor, email, role); err != nil {
		t.Fatal(err)
	}
	b := apptest.NewBrowser(t, d.a)
	b.SignIn(email)
	return b
}

// A web address in a message gets a preview card, fetched by the server:
// the picture comes from Kite's origin; private addresses are refused.
func TestInboxLinkPreviews(t *testing.T) {
	t.Parallel()
	d := startInboxDesk(t, db.SQLite)
	pic := app.TinyPNG(t)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/pic.png" {
			w.Header().Set("Content-Type", "image/png")
			w.Write(pic)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><head><title>Fallback</title><meta property="og:title" content="Pro plan pricing">
			<meta property="og:description" content="Seats, support &amp; more"><meta property="og:image" content="/pic.png">
			<meta property="og:site_name" content="Acme Docs"></head><body>x</body></html>`)
	}))
	t.Cleanup(site.Close)
	link := site.URL + "/pricing"
	d.tg.UserSays(d.token, telegramtest.User{ID: 5404, FirstName: "Ola"}, "See "+link+".")
	chatID := d.firstChat(t)["id"].(string)

	p := okPage(t, d.owner, "/inbox/"+chatID)
	slot := p.Find(".msg-preview")
	if slot == nil || webtest.Attr(slot, "hx-get") != "/inbox/preview?url="+url.QueryEscape(link) {
		t.Fatalf("no preview slot:\n%s", p.Text("#messages"))
	}
	if a := p.Find(".msg-text a"); a == nil || webtest.Attr(a, "href") != link {
		t.Errorf("the address is not a link (trailing dot kept out)")
	}
	// Kite's own fetcher refuses loopback: no card.
	if card := d.owner.Get(webtest.Attr(slot, "hx-get"), "HX-Request", "true"); card.Status != 200 || strings.TrimSpace(card.Body) != "" {
		t.Errorf("a loopback page got a card: %d %q", card.Status, card.Body)
	}
	if img := d.owner.Get("/inbox/preview/image?url=" + url.QueryEscape(link)); img.Status != http.StatusNotFound {
		t.Errorf("a loopback picture: %d", img.Status)
	}

	d.a.Inbox.UsePreviews(linkpreview.New(linkpreview.Options{AllowAddr: func(a netip.Addr) bool { return a.IsLoopback() }}))
	card := d.owner.Get(webtest.Attr(slot, "hx-get"), "HX-Request", "true")
	if card.Status != 200 || card.Find(".link-card-title") == nil || card.Text(".link-card-title") != "Pro plan pricing" ||
		card.Text(".link-card-text") != "Seats, support & more" || card.Text(".link-card-site") != "Acme Docs" {
		t.Fatalf("card: %d\n%s", card.Status, card.Body)
	}
	src := webtest.Attr(card.Find("img.link-card-image"), "src")
	if src != "/inbox/preview/image?url="+url.QueryEscape(link) {
		t.Errorf("the picture is not served by Kite: %q", src)
	}
	img := d.owner.Get(src)
	if img.Status != 200 || img.Header.Get("Content-Type") != "image/png" || img.Body != string(pic) {
		t.Errorf("picture: %d %s", img.Status, img.Header.Get("Content-Type"))
	}
	if bad := d.owner.Get("/inbox/preview?url=" + url.QueryEscape("javascript:alert(1)")); bad.Status != http.StatusBadRequest {
		t.Errorf("a javascript: address: %d", bad.Status)
	}
}
