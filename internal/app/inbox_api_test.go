package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// tgKite is a Kite talking to a fake Telegram, with an admin signed in.
type tgKite struct {
	app   *App
	tg    *telegramtest.Server
	api   *client
	admin account
	c     *client // the admin in their org
}

// startTelegramKite starts a fake Bot API and a Kite pointed at it; mode is
// "webhook" or "polling".
func startTelegramKite(t *testing.T, b dbtest.Backend, mode string) *tgKite {
	t.Helper()
	tg := telegramtest.New(telegramtest.WithInsecureWebhooks())
	t.Cleanup(tg.Close)
	cfg := testConfig(t, b)
	cfg.TelegramAPIURL, cfg.TelegramUpdates = tg.URL(), mode
	a := startApp(t, cfg)
	api := newClient(t, a)
	admin := api.signUp("owner@example.com", "Acme")
	return &tgKite{app: a, tg: tg, api: api, admin: admin, c: api.as(admin.Access, admin.OrgID)}
}

// connectBot adds a bot to the fake and connects it to Kite.
func (k *tgKite) connectBot(t *testing.T, id int, username string) (token, channelID string) {
	t.Helper()
	token = fmt.Sprintf("%d:AAH%s", id, strings.Repeat("x", 32))
	k.tg.AddBot(token, username)
	ch := k.c.must(201, "POST", "/integrations/telegram/connect", map[string]any{"bot_token": token})
	return token, ch.Str("id")
}

// eventually retries check until it returns "" or the deadline passes.
func eventually(t *testing.T, within time.Duration, check func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		msg := check()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (k *tgKite) waitDelivered(t *testing.T, token string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := k.tg.WaitDelivered(ctx, token); err != nil {
		t.Fatalf("updates not delivered: %v", err)
	}
}

func TestTelegramConnectReceiveAndAnswer(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		k := startTelegramKite(t, b, "webhook")
		// Tokens that are not tokens, or that Telegram does not know.
		if r := k.c.do("POST", "/integrations/telegram/connect", map[string]any{"bot_token": "hello"}); r.Status != 422 {
			t.Fatalf("malformed token: %d %s", r.Status, r.Raw)
		}
		if r := k.c.do("POST", "/integrations/telegram/connect", map[string]any{"bot_token": "999:AAH" + strings.Repeat("y", 32)}); r.Status != 422 ||
			!strings.Contains(r.Raw, "revoked") {
			t.Fatalf("unknown token: %d %s", r.Status, r.Raw)
		}
		token, channelID := k.connectBot(t, 1001, "acme_sales_bot")
		ch := k.c.must(200, "GET", "/channels/"+channelID, nil)
		if ch.Str("username") != "acme_sales_bot" || ch.Str("status") != "active" || ch.Str("delivery") != "webhook" {
			t.Fatalf("channel = %s", ch.Raw)
		}
		if strings.Contains(ch.Raw, token) || strings.Contains(ch.Raw, "secret") {
			t.Fatalf("the channel answer leaks its credential: %s", ch.Raw)
		}
		// Telegram was told where to deliver, with a secret.
		var hook *telegramtest.Call
		for _, c := range k.tg.Calls(token) {
			if c.Method == "setWebhook" {
				hook = &c
			}
		}
		if hook == nil || hook.Params["url"] != k.app.URL()+"/api/v1/integrations/telegram/webhook" || len(hook.Params["secret_token"]) < 32 {
			t.Fatalf("setWebhook call = %+v", hook)
		}

		ann := telegramtest.User{ID: 5001, FirstName: "Ann", LastName: "Kim", Username: "ann_kim"}
		k.tg.UserSays(token, ann, "Hello, is the Pro plan still on sale?")
		k.waitDelivered(t, token)

		chats := k.c.must(200, "GET", "/chats", nil).Items()
		if len(chats) != 1 {
			t.Fatalf("chats = %v", chats)
		}
		chat := chats[0]
		if chat["title"] != "Ann Kim" || chat["kind"] != "private" || chat["channel_kind"] != "telegram" ||
			chat["unread_count"] != float64(1) || chat["last_message_preview"] != "Hello, is the Pro plan still on sale?" {
			t.Fatalf("chat = %v", chat)
		}
		chatID := chat["id"].(string)
		contact := k.c.must(200, "GET", "/contacts/"+chat["contact_id"].(string), nil)
		if contact.Str("first_name") != "Ann" || contact.Str("last_name") != "Kim" || contact.Str("telegram_username") != "ann_kim" {
			t.Fatalf("contact = %s", contact.Raw)
		}
		if u := k.c.must(200, "GET", "/chats/unread", nil); u.Body["total"] != float64(1) || !strings.Contains(u.Raw, chatID) {
			t.Fatalf("unread = %s", u.Raw)
		}
		msgs := k.c.must(200, "GET", "/chats/"+chatID+"/messages", nil).Items()
		if len(msgs) != 1 || msgs[0]["direction"] != "in" || msgs[0]["status"] != "received" ||
			msgs[0]["sender"].(map[string]any)["id"] != chat["contact_id"] {
			t.Fatalf("messages = %v", msgs)
		}

		// The answer is queued at once, then sent through the bot.
		sent := k.c.must(202, "POST", "/chats/"+chatID+"/messages", map[string]any{"text": "Hi Ann, yes until Friday.", "reply_to_id": msgs[0]["id"]})
		if sent.Str("status") != "queued" || sent.Str("direction") != "out" {
			t.Fatalf("send answer = %s", sent.Raw)
		}
		eventually(t, 5*time.Second, func() string {
			m := k.c.must(200, "GET", "/chats/"+chatID+"/messages?limit=1", nil).Items()[0]
			if m["status"] != "sent" || m["external_id"] == nil {
				return fmt.Sprintf("message not sent: %v", m)
			}
			return ""
		})
		out := k.tg.Sent(token)
		if len(out) != 1 || out[0].ChatID != ann.ID || out[0].Text != "Hi Ann, yes until Friday." || out[0].ReplyTo == 0 {
			t.Fatalf("telegram got %+v", out)
		}

		// Reading clears the caller's unread count.
		if r := k.c.must(200, "PATCH", "/chats/"+chatID+"/read", nil); r.Body["unread_count"] != float64(0) {
			t.Fatalf("read = %s", r.Raw)
		}
		if u := k.c.must(200, "GET", "/chats/unread", nil); u.Body["total"] != float64(0) {
			t.Fatalf("unread after read = %s", u.Raw)
		}
		// A second message from the same person goes to the same chat and contact.
		k.tg.UserSays(token, ann, "Great, send me the invoice")
		k.waitDelivered(t, token)
		chats = k.c.must(200, "GET", "/chats", nil).Items()
		if len(chats) != 1 || chats[0]["unread_count"] != float64(1) || chats[0]["contact_id"] != chat["contact_id"] {
			t.Fatalf("chats after a second message = %v", chats)
		}
		if found := k.c.must(200, "GET", "/messages/search?q=invoic", nil).Items(); len(found) != 1 || found[0]["chat_id"] != chatID {
			t.Fatalf("search = %v", found)
		}
	})
}

func TestTelegramWebhookTakesOnlyItsBotsUpdatesOnce(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		k := startTelegramKite(t, b, "webhook")
		token, _ := k.connectBot(t, 1002, "acme_bot")
		var secret string
		for _, c := range k.tg.Calls(token) {
			if c.Method == "setWebhook" {
				secret = c.Params["secret_token"]
			}
		}
		post := func(secret, body string) int {
			req, _ := http.NewRequest("POST", k.app.URL()+"/api/v1/integrations/telegram/webhook", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if secret != "" {
				req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			return res.StatusCode
		}
		update := `{"update_id":900,"message":{"message_id":1,"date":1700000000,"from":{"id":77,"first_name":"Eve"},"chat":{"id":77,"type":"private","first_name":"Eve"},"text":"forged?"}}`
		// Another bot's secret: this one with its first character changed
		// (to one it is not, or the "forgery" is the real secret).
		other := "x" + secret[1:]
		if secret[0] == 'x' {
			other = "y" + secret[1:]
		}
		for name, s := range map[string]string{"missing": "", "forged": strings.Repeat("A", len(secret)), "another bot's": other} {
			if got := post(s, update); got != 401 {
				t.Errorf("%s secret: %d, want 401", name, got)
			}
		}
		if chats := k.c.must(200, "GET", "/chats", nil).Items(); len(chats) != 0 {
			t.Fatalf("a refused update stored a chat: %v", chats)
		}
		for _, bad := range []string{`not json`, `{"message":{}}`, `[1,2]`} {
			if got := post(secret, bad); got != 400 {
				t.Errorf("malformed update %q: %d, want 400", bad, got)
			}
		}
		// Unknown chat types and update kinds are acknowledged and ignored.
		if got := post(secret, `{"update_id":901,"channel_post":{"message_id":1,"chat":{"id":-100,"type":"channel"},"text":"x"}}`); got != 200 {
			t.Errorf("channel post: %d, want 200", got)
		}
		// The same update twice (a redelivery) is stored once.
		if a, b := post(secret, update), post(secret, update); a != 200 || b != 200 {
			t.Fatalf("update delivered twice: %d, %d", a, b)
		}
		chats := k.c.must(200, "GET", "/chats", nil).Items()
		if len(chats) != 1 {
			t.Fatalf("chats = %v", chats)
		}
		if msgs := k.c.must(200, "GET", "/chats/"+chats[0]["id"].(string)+"/messages", nil).Items(); len(msgs) != 1 {
			t.Fatalf("a redelivered update made %d messages", len(msgs))
		}
		// Message 3 arrives before message 2 (two connections, or a
		// redelivery): the chat still reads 1, 2, 3, and its latest message
		// stays 3.
		for _, m := range []struct{ update, id, text string }{{"904", "3", "third"}, {"903", "2", "second"}} {
			body := strings.NewReplacer(`"update_id":900`, `"update_id":`+m.update, `"message_id":1`, `"message_id":`+m.id, "forged?", m.text).Replace(update)
			if got := post(secret, body); got != 200 {
				t.Fatalf("update %s: %d", m.update, got)
			}
		}
		chatID := chats[0]["id"].(string)
		at := map[string]string{}
		for _, m := range k.c.must(200, "GET", "/chats/"+chatID+"/messages", nil).Items() {
			at[m["text"].(string)] = m["created_at"].(string)
		}
		first, second, third := parseTime(t, at["forged?"]), parseTime(t, at["second"]), parseTime(t, at["third"])
		if !first.Before(second) || !second.Before(third) {
			t.Errorf("the chat reads out of order: %v", at)
		}
		if c := k.c.must(200, "GET", "/chats/"+chatID, nil); c.Str("last_message_preview") != "third" || !parseTime(t, c.Str("last_message_at")).Equal(third) {
			t.Errorf("latest message after a late one: %s", c.Raw)
		}
		// Once the bot is disconnected, its secret opens nothing.
		k.c.must(204, "DELETE", "/channels/"+chats[0]["channel_id"].(string), nil)
		if got := post(secret, strings.Replace(update, `"update_id":900`, `"update_id":902`, 1)); got != 401 {
			t.Errorf("a disconnected bot's update: %d, want 401", got)
		}
	})
}

// parseTime reads a time the API wrote.
func parseTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return at
}
