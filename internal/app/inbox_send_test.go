package app

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// firstChat waits for the org's only chat and returns its id.
func (k *tgKite) firstChat(t *testing.T) string {
	t.Helper()
	var id string
	eventually(t, 10*time.Second, func() string {
		chats := k.c.must(200, "GET", "/chats", nil).Items()
		if len(chats) == 0 {
			return "no chat appeared"
		}
		id = chats[0]["id"].(string)
		return ""
	})
	return id
}

// waitStatus waits until the message reaches status and returns it.
func (k *tgKite) waitStatus(t *testing.T, chatID, messageID, status string, within time.Duration) map[string]any {
	t.Helper()
	var found map[string]any
	eventually(t, within, func() string {
		for _, m := range k.c.must(200, "GET", "/chats/"+chatID+"/messages", nil).Items() {
			if m["id"] == messageID {
				found = m
				if m["status"] == status {
					return ""
				}
				return fmt.Sprintf("message is %v, want %s", m["status"], status)
			}
		}
		return "message not found"
	})
	return found
}

func TestTelegramSendingFailsReadablyAndWaitsWhenAsked(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		k := startTelegramKite(t, b, "webhook")
		token, channelID := k.connectBot(t, 1003, "acme_help_bot")
		bo := telegramtest.User{ID: 6001, FirstName: "Bo"}
		k.tg.UserSays(token, bo, "hi")
		k.waitDelivered(t, token)
		chatID := k.firstChat(t)

		// Telegram asks to wait: the message goes out only after retry_after.
		k.tg.ForceRetryAfter(token, bo.ID, 2)
		start := time.Now()
		m := k.c.must(202, "POST", "/chats/"+chatID+"/messages", map[string]any{"text": "one moment"})
		k.waitStatus(t, chatID, m.Str("id"), "sent", 10*time.Second)
		if waited := time.Since(start); waited < 2*time.Second {
			t.Errorf("sent %v after a retry_after of 2 s", waited)
		}
		if st := k.tg.Stats(token); st.EarlySends != 0 || st.LimitViolations != 0 {
			t.Errorf("stats = %+v, want no early sends or violations", st)
		}

		// Two messages in a row arrive in order.
		m1 := k.c.must(202, "POST", "/chats/"+chatID+"/messages", map[string]any{"text": "first"})
		m2 := k.c.must(202, "POST", "/chats/"+chatID+"/messages", map[string]any{"text": "second"})
		k.waitStatus(t, chatID, m2.Str("id"), "sent", 10*time.Second)
		k.waitStatus(t, chatID, m1.Str("id"), "sent", time.Second)
		out := k.tg.Sent(token)
		if n := len(out); n < 3 || out[n-2].Text != "first" || out[n-1].Text != "second" {
			t.Fatalf("sent = %+v", out)
		}

		// A long text is split within Telegram's limit.
		long := strings.Repeat("word ", 1000) // 5,000 characters
		m = k.c.must(202, "POST", "/chats/"+chatID+"/messages", map[string]any{"text": long})
		k.waitStatus(t, chatID, m.Str("id"), "sent", 10*time.Second)
		if n := len(k.tg.Sent(token)); n != len(out)+2 {
			t.Errorf("a 5,000-character text went out as %d messages, want 2", n-len(out))
		}

		// The person blocks the bot: the message fails with a reason.
		k.tg.BlockChat(token, bo.ID)
		m = k.c.must(202, "POST", "/chats/"+chatID+"/messages", map[string]any{"text": "are you there?"})
		failed := k.waitStatus(t, chatID, m.Str("id"), "failed", 10*time.Second)
		if failed["error"] != "The person blocked the bot." {
			t.Errorf("failed with %q", failed["error"])
		}
		// Retrying after they unblock sends it.
		k.tg.UnblockChat(token, bo.ID)
		k.c.must(200, "POST", "/messages/"+m.Str("id")+"/retry", nil)
		k.waitStatus(t, chatID, m.Str("id"), "sent", 10*time.Second)
		if r := k.c.do("POST", "/messages/"+m.Str("id")+"/retry", nil); r.Status != 409 {
			t.Errorf("retrying a sent message: %d", r.Status)
		}

		// Bad input loses nothing.
		for _, body := range []map[string]any{{"text": "  "}, {"text": strings.Repeat("x", 20001)}, {"text": "x", "reply_to_id": "nope"}, {"txt": "x"}} {
			if r := k.c.do("POST", "/chats/"+chatID+"/messages", body); r.Status != 422 {
				t.Errorf("send %v: %d %s", body, r.Status, r.Raw)
			}
		}

		// The token is revoked: the channel shows as broken, with why.
		k.tg.RevokeBot(token)
		m = k.c.must(202, "POST", "/chats/"+chatID+"/messages", map[string]any{"text": "still there?"})
		eventually(t, 10*time.Second, func() string {
			ch := k.c.must(200, "GET", "/channels/"+channelID, nil)
			if ch.Str("status") != "broken" || !strings.Contains(ch.Str("status_reason"), "token") {
				return "channel = " + ch.Raw
			}
			return ""
		})
	})
}

func TestTelegramLongPollingReceivesGroupsEditsFilesAndBlocks(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		k := startTelegramKite(t, b, "polling")
		token, channelID := k.connectBot(t, 1004, "acme_poll_bot")
		if ch := k.c.must(200, "GET", "/channels/"+channelID, nil); ch.Str("delivery") != "polling" {
			t.Fatalf("channel = %s", ch.Raw)
		}
		cy := telegramtest.User{ID: 7001, FirstName: "Cy", Username: "cy_buyer"}
		photo := []byte("\xff\xd8\xff\xe0 not really a jpeg, but bytes all the same")
		k.tg.UserSendsPhoto(token, cy, "quote.jpg", photo, "our quote")
		first := k.tg.UserSays(token, cy, "what do you think?")
		k.tg.UserEdits(token, cy, first.Message.MessageID, "what do you think of it?")
		group := telegramtest.Chat{ID: -100777, Type: "supergroup", Title: "Acme x Cy"}
		k.tg.GroupSays(token, group, cy, "adding my boss here")
		k.waitDelivered(t, token)

		var chats []map[string]any
		eventually(t, 10*time.Second, func() string {
			chats = k.c.must(200, "GET", "/chats", nil).Items()
			if len(chats) != 2 {
				return fmt.Sprintf("chats = %v", chats)
			}
			return ""
		})
		var private, grp map[string]any
		for _, c := range chats {
			if c["kind"] == "group" {
				grp = c
			} else {
				private = c
			}
		}
		if grp == nil || grp["title"] != "Acme x Cy" || grp["contact_id"] != nil {
			t.Fatalf("group chat = %v", grp)
		}
		msgs := k.c.must(200, "GET", "/chats/"+private["id"].(string)+"/messages", nil).Items()
		if len(msgs) != 2 {
			t.Fatalf("messages = %v", msgs)
		}
		edited, withPhoto := msgs[0], msgs[1]
		if edited["text"] != "what do you think of it?" || edited["edited_at"] == nil {
			t.Errorf("edited message = %v", edited)
		}
		if withPhoto["text"] != "our quote" {
			t.Errorf("photo message = %v", withPhoto)
		}
		// The photo is fetched into Kite and served to members only.
		var fileID string
		eventually(t, 10*time.Second, func() string {
			m := k.c.must(200, "GET", "/chats/"+private["id"].(string)+"/messages", nil).Items()[1]
			att := m["attachments"].([]any)
			if len(att) != 1 || att[0].(map[string]any)["status"] != "ready" {
				return fmt.Sprintf("attachments = %v", att)
			}
			fileID = att[0].(map[string]any)["file_id"].(string)
			return ""
		})
		get := func(c *client) (int, string) {
			req, _ := http.NewRequest("GET", c.base+"/files/"+fileID, nil)
			req.Header.Set("Authorization", "Bearer "+c.token)
			req.Header.Set("X-Org-ID", c.org)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(body)
		}
		if status, body := get(k.c); status != 200 || body != string(photo) {
			t.Errorf("file: %d, %d bytes", status, len(body))
		}
		other := k.api.signUp("other@example.com", "Other")
		if status, _ := get(k.api.as(other.Access, other.OrgID)); status != 404 {
			t.Errorf("another org's member got the file: %d", status)
		}

		// Blocking and unblocking the bot shows on the chat.
		k.tg.UserBlocksBot(token, cy)
		k.waitDelivered(t, token)
		eventually(t, 10*time.Second, func() string {
			if c := k.c.must(200, "GET", "/chats/"+private["id"].(string), nil); c.Body["blocked"] != true {
				return "chat not blocked: " + c.Raw
			}
			return ""
		})
		// The poll offset moved on: nothing is stored twice after a restart
		// of the poll (the fake would hand out unconfirmed updates again).
		if n := len(k.c.must(200, "GET", "/chats/"+private["id"].(string)+"/messages", nil).Items()); n != 2 {
			t.Errorf("messages after the block = %d", n)
		}
	})
}

func TestChatAssignmentRelinkAndStart(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		k := startTelegramKite(t, b, "webhook")
		token, channelID := k.connectBot(t, 1005, "acme_crm_bot")
		di := telegramtest.User{ID: 8001, FirstName: "Di", Username: "di_lead"}
		// A contact that already has the Telegram username is linked, not duplicated.
		known := k.c.must(201, "POST", "/contacts", map[string]any{"first_name": "Diana", "last_name": "Lee", "telegram_username": "DI_LEAD"})
		k.tg.UserSays(token, di, "hello again")
		k.waitDelivered(t, token)
		chatID := k.firstChat(t)
		chat := k.c.must(200, "GET", "/chats/"+chatID, nil)
		if chat.Str("contact_id") != known.Str("id") {
			t.Fatalf("chat linked to %s, want the existing contact %s", chat.Str("contact_id"), known.Str("id"))
		}
		// Assign, close, reopen, and relink.
		if c := k.c.must(200, "PATCH", "/chats/"+chatID, map[string]any{"assignee_id": k.admin.UserID, "status": "closed"}); c.Str("assignee_id") != k.admin.UserID || c.Str("status") != "closed" {
			t.Fatalf("patch = %s", c.Raw)
		}
		if mine := k.c.must(200, "GET", "/chats?assignee_id=me&status=closed", nil).Items(); len(mine) != 1 {
			t.Fatalf("mine = %v", mine)
		}
		if none := k.c.must(200, "GET", "/chats?assignee_id=none", nil).Items(); len(none) != 0 {
			t.Fatalf("unassigned = %v", none)
		}
		for _, body := range []map[string]any{{"assignee_id": "0190f0f0-0000-7000-8000-000000000000"}, {"status": "snoozed"}, {"contact_id": "nope"}} {
			if r := k.c.do("PATCH", "/chats/"+chatID, body); r.Status != 422 {
				t.Errorf("patch %v: %d %s", body, r.Status, r.Raw)
			}
		}
		other := k.c.must(201, "POST", "/contacts", map[string]any{"first_name": "Dina"})
		k.c.must(200, "PATCH", "/chats/"+chatID, map[string]any{"contact_id": other.Str("id")})
		// A new message reopens the chat.
		k.tg.UserSays(token, di, "still interested")
		k.waitDelivered(t, token)
		if c := k.c.must(200, "GET", "/chats/"+chatID, nil); c.Str("status") != "open" || c.Str("contact_id") != other.Str("id") {
			t.Fatalf("after a new message: %s", c.Raw)
		}
		// Starting a chat with the contact finds this one; with a contact
		// who never wrote, it explains why it cannot.
		if r := k.c.must(200, "POST", "/chats", map[string]any{"channel_id": channelID, "contact_id": other.Str("id")}); r.Str("id") != chatID {
			t.Fatalf("start chat = %s", r.Raw)
		}
		if r := k.c.do("POST", "/chats", map[string]any{"channel_id": channelID, "contact_id": known.Str("id")}); r.Status != 422 || r.Code() != "no_handle" {
			t.Fatalf("start chat with a contact who never wrote: %d %s", r.Status, r.Raw)
		}
	})
}

func TestTelegramOutageAndOversizedFiles(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		k := startTelegramKite(t, b, "webhook")
		token, _ := k.connectBot(t, 1006, "acme_outage_bot")
		eve := telegramtest.User{ID: 9001, FirstName: "Eve"}
		k.tg.UserSays(token, eve, "hello")
		k.waitDelivered(t, token)
		chatID := k.firstChat(t)

		// Telegram is down: the messages wait, then go out in order.
		k.tg.SetDown(true)
		var ids []string
		for _, text := range []string{"one", "two", "three"} {
			ids = append(ids, k.c.must(202, "POST", "/chats/"+chatID+"/messages", map[string]any{"text": text}).Str("id"))
		}
		time.Sleep(1500 * time.Millisecond)
		if n := len(k.tg.Sent(token)); n != 0 {
			t.Fatalf("%d messages sent while Telegram was down", n)
		}
		// The first of the chat's queue, the one tried, says why it waits.
		first := k.waitStatus(t, chatID, ids[0], "queued", time.Second)
		if !strings.Contains(first["error"].(string), "not answering") {
			n := 0
			for _, c := range k.tg.Calls(token) {
				if c.Method == "sendMessage" {
					n++
				}
			}
			t.Errorf("a waiting message says %q (%d sendMessage calls)", first["error"], n)
		}
		k.tg.SetDown(false)
		k.waitStatus(t, chatID, ids[2], "sent", 40*time.Second)
		var texts []string
		for _, s := range k.tg.Sent(token) {
			texts = append(texts, s.Text)
		}
		if strings.Join(texts, ",") != "one,two,three" {
			t.Fatalf("after the outage Telegram got %v", texts)
		}

		// A file over the Bot API's 20 MB download limit is marked, not fetched.
		fileID := k.tg.AddFileOfSize(token, "huge.zip", 25<<20)
		k.tg.Inject(token, map[string]any{"message": map[string]any{"message_id": 500, "date": time.Now().Unix(),
			"from":     map[string]any{"id": eve.ID, "is_bot": false, "first_name": "Eve"},
			"chat":     map[string]any{"id": eve.ID, "type": "private", "first_name": "Eve"},
			"document": map[string]any{"file_id": fileID, "file_unique_id": "u" + fileID, "file_name": "huge.zip", "file_size": 25 << 20}}})
		k.waitDelivered(t, token)
		eventually(t, 10*time.Second, func() string {
			for _, m := range k.c.must(200, "GET", "/chats/"+chatID+"/messages", nil).Items() {
				if att, _ := m["attachments"].([]any); len(att) == 1 {
					if a := att[0].(map[string]any); a["status"] == "too_big" && a["name"] == "huge.zip" {
						return ""
					}
					return fmt.Sprintf("attachment = %v", att[0])
				}
			}
			return "no message with the file"
		})
	})
}
