package app

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// An agent's socket gets the conversation as it happens: the new chat,
// the customer's message, the answer queued and sent, and the chat read.
func TestInboxEventsReachTheAgentsSocket(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		k := startTelegramKite(t, b, "webhook")
		token, _ := k.connectBot(t, 1008, "acme_live_bot")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		sock, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(k.app.URL(), "http")+"/api/v1/realtime?org_id="+k.admin.OrgID,
			&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + k.admin.Access}}})
		if err != nil {
			t.Fatal(err)
		}
		defer sock.CloseNow()
		time.Sleep(100 * time.Millisecond) // the socket is subscribed

		k.tg.UserSays(token, telegramtest.User{ID: 9201, FirstName: "Hal"}, "is anyone there?")
		k.waitDelivered(t, token)
		chatID := k.firstChat(t)
		k.c.must(202, "POST", "/chats/"+chatID+"/messages", map[string]any{"text": "Yes, how can I help?"})
		k.c.must(200, "PATCH", "/chats/"+chatID+"/read", nil)

		want := []string{"chat.created", "message.received", "message.queued", "chat.read", "message.sent"}
		seen := map[string]json.RawMessage{}
		for len(seen) < len(want) {
			_, data, err := sock.Read(ctx)
			if err != nil {
				t.Fatalf("socket: %v; frames so far: %d of %v", err, len(seen), want)
			}
			var f struct {
				Type string          `json:"type"`
				Data json.RawMessage `json:"data"`
			}
			json.Unmarshal(data, &f)
			for _, w := range want {
				if f.Type == w {
					seen[w] = f.Data
				}
			}
		}
		var rec struct {
			ChatID  string `json:"chat_id"`
			Message struct {
				Text string `json:"text"`
			} `json:"message"`
		}
		json.Unmarshal(seen["message.received"], &rec)
		if rec.ChatID != chatID || rec.Message.Text != "is anyone there?" {
			t.Errorf("message.received frame = %s", seen["message.received"])
		}
	})
}
