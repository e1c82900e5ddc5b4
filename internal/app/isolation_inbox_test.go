package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
	"github.com/kite-crm/kite/internal/org"
)

// inboxRoutes are the routes of channels, chats, messages and files.
func inboxRoutes() []isoRoute {
	// bot connects a fresh bot to org A and returns its token and channel id.
	bot := func(f *isoFixture) (string, string) {
		n := f.serial.Add(1)
		token := fmt.Sprintf("%d:AAH%s", 500000+n, strings.Repeat("q", 32))
		f.tg.AddBot(token, fmt.Sprintf("iso_%d_bot", n))
		ch := f.owner().must(http.StatusCreated, "POST", "/integrations/telegram/connect", map[string]any{"bot_token": token})
		return token, ch.Str("id")
	}
	var once sync.Once
	var token string
	shared := func(f *isoFixture) string {
		once.Do(func() { token, _ = bot(f) })
		return token
	}
	// chat has a new person write to org A's bot and returns the chat's id.
	chat := func(f *isoFixture) string {
		tok := shared(f)
		u := telegramtest.User{ID: 900000 + f.serial.Add(1), FirstName: f.unique("Person")}
		f.tg.UserSays(tok, u, "hello")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := f.tg.WaitDelivered(ctx, tok); err != nil {
			f.t.Fatal(err)
		}
		return f.owner().must(http.StatusOK, "GET", "/chats?limit=1", nil).Items()[0]["id"].(string)
	}
	message := func(f *isoFixture) string {
		return f.owner().must(http.StatusOK, "GET", "/chats/"+chat(f)+"/messages", nil).Items()[0]["id"].(string)
	}
	var fileOnce sync.Once
	var fileID string
	file := func(f *isoFixture) string {
		fileOnce.Do(func() {
			tok := shared(f)
			u := telegramtest.User{ID: 990000 + f.serial.Add(1), FirstName: "Photographer"}
			f.tg.UserSendsPhoto(tok, u, "p.jpg", []byte("jpeg bytes"), "")
			deadline := time.Now().Add(10 * time.Second)
			for fileID == "" && time.Now().Before(deadline) {
				chats := f.owner().must(http.StatusOK, "GET", "/chats?limit=1", nil).Items()
				if len(chats) > 0 && chats[0]["title"] == "Photographer" {
					msgs := f.owner().must(http.StatusOK, "GET", "/chats/"+chats[0]["id"].(string)+"/messages", nil).Items()
					if att, _ := msgs[0]["attachments"].([]any); len(att) == 1 {
						fileID, _ = att[0].(map[string]any)["file_id"].(string)
					}
				}
				time.Sleep(20 * time.Millisecond)
			}
			if fileID == "" {
				f.t.Fatalf("the photo was not fetched: %s", f.owner().must(http.StatusOK, "GET", "/chats?limit=2", nil).Raw)
			}
		})
		return fileID
	}
	with := func(key string, make func(*isoFixture) string, body any) func(*isoFixture) (map[string]string, any) {
		return func(f *isoFixture) (map[string]string, any) { return map[string]string{key: make(f)}, body }
	}
	none := func(*isoFixture) (map[string]string, any) { return nil, nil }
	return []isoRoute{
		{Method: "GET", Path: "/channels", Perm: org.InboxRead, OK: 200, Setup: none},
		{Method: "POST", Path: "/integrations/telegram/connect", Perm: org.IntegrationsWrite, OK: 201, Setup: func(f *isoFixture) (map[string]string, any) {
			n := f.serial.Add(1)
			tok := fmt.Sprintf("%d:AAH%s", 600000+n, strings.Repeat("r", 32))
			f.tg.AddBot(tok, fmt.Sprintf("conn_%d_bot", n))
			return nil, map[string]any{"bot_token": tok}
		}},
		{Method: "GET", Path: "/channels/{channel}", Perm: org.InboxRead, OK: 200, Setup: with("channel", func(f *isoFixture) string { _, id := bot(f); return id }, nil)},
		{Method: "DELETE", Path: "/channels/{channel}", Perm: org.IntegrationsWrite, OK: 204, Setup: with("channel", func(f *isoFixture) string { _, id := bot(f); return id }, nil)},
		{Method: "GET", Path: "/chats", Perm: org.InboxRead, OK: 200, Setup: none},
		{Method: "GET", Path: "/chats/unread", Perm: org.InboxRead, OK: 200, Setup: none},
		{Method: "POST", Path: "/chats", Perm: org.InboxWrite, OK: 200, Setup: func(f *isoFixture) (map[string]string, any) {
			c := f.owner().must(http.StatusOK, "GET", "/chats/"+chat(f), nil)
			return nil, map[string]any{"channel_id": c.Str("channel_id"), "contact_id": c.Str("contact_id")}
		}},
		{Method: "GET", Path: "/chats/{chat}", Perm: org.InboxRead, OK: 200, Setup: with("chat", chat, nil)},
		{Method: "PATCH", Path: "/chats/{chat}", Perm: org.InboxWrite, OK: 200, Setup: with("chat", chat, map[string]any{"status": "closed"})},
		{Method: "PATCH", Path: "/chats/{chat}/read", Perm: org.InboxRead, OK: 200, Setup: with("chat", chat, nil)},
		{Method: "POST", Path: "/chats/{chat}/typing", Perm: org.InboxWrite, OK: 204, Setup: with("chat", chat, nil)},
		{Method: "GET", Path: "/chats/{chat}/messages", Perm: org.InboxRead, OK: 200, Setup: with("chat", chat, nil)},
		{Method: "POST", Path: "/chats/{chat}/messages", Perm: org.InboxWrite, OK: 202, Setup: with("chat", chat, map[string]any{"text": "Thanks!"})},
		// Only a failed message can be retried: a received one answers 409
		// to roles that may write, which is enough to prove who reaches it.
		{Method: "POST", Path: "/messages/{message}/retry", Perm: org.InboxWrite, OK: 409, Setup: with("message", message, nil)},
		{Method: "GET", Path: "/messages/search?q=hello", Perm: org.InboxRead, OK: 200, Setup: none},
		{Method: "GET", Path: "/files/{file}", Perm: org.InboxRead, OK: 200, Setup: with("file", file, nil)},
		{Method: "POST", Path: "/files", Perm: org.InboxWrite, OK: 201, Setup: func(*isoFixture) (map[string]string, any) {
			return nil, fileUpload{Name: "note.txt", ContentType: "text/plain", Data: []byte("hello")}
		}},
	}
}
