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
	"github.com/kite-crm/kite/internal/org"
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

// realtimeSocket opens a socket as acc in its org.
func realtimeSocket(ctx context.Context, t *testing.T, a *App, acc account) *websocket.Conn {
	t.Helper()
	sock, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(a.URL(), "http")+"/api/v1/realtime?org_id="+acc.OrgID,
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + acc.Access}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sock.CloseNow() })
	return sock
}

type teamFrame struct {
	Type string         `json:"type"`
	Data map[string]any `json:"data"`
}

// nextFrame reads frames until one of type typ arrives.
func nextFrame(ctx context.Context, t *testing.T, sock *websocket.Conn, typ string) teamFrame {
	t.Helper()
	for {
		_, data, err := sock.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for a %s frame: %v", typ, err)
		}
		var f teamFrame
		json.Unmarshal(data, &f)
		if f.Type == typ {
			return f
		}
	}
}

func sendFrame(ctx context.Context, t *testing.T, sock *websocket.Conn, frame any) {
	t.Helper()
	b, _ := json.Marshal(frame)
	if err := sock.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
}

// Teammates' typing and presence go from one socket to the others of the
// org that listen (on every replica through the hub), never to another
// org; bad frames get an error frame and change nothing.
func TestTeamPresenceAndTypingFrames(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		a := startApp(t, testConfig(t, b))
		api := newClient(t, a)
		owner := api.signUp("owner@example.com", "Acme")
		bea := api.signUp("bea@example.com", "")
		actor := org.Actor{UserID: owner.UserID, Name: "Owner", OrgID: owner.OrgID, Role: org.Owner}
		if _, err := a.Orgs.AddMember(context.Background(), actor, "bea@example.com", org.Member); err != nil {
			t.Fatal(err)
		}
		bea.OrgID = owner.OrgID
		stranger := api.signUp("eve@example.com", "Other")

		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		chat := "01900000-0000-7000-8000-0000000000aa"
		mine, hers, eve := realtimeSocket(ctx, t, a, owner), realtimeSocket(ctx, t, a, bea), realtimeSocket(ctx, t, a, stranger)
		sendFrame(ctx, t, hers, map[string]any{"type": "subscribe", "topics": []string{"org." + owner.OrgID + ".presence", "org." + owner.OrgID + ".chat." + chat}})
		if f := nextFrame(ctx, t, hers, "subscribed"); len(f.Data["topics"].([]any)) != 2 {
			t.Fatalf("subscribe: %v", f.Data)
		}
		sendFrame(ctx, t, eve, map[string]any{"type": "subscribe", "topics": []string{"org." + owner.OrgID + ".presence"}})
		if f := nextFrame(ctx, t, eve, "subscribed"); len(f.Data["denied"].([]any)) != 1 {
			t.Fatalf("another org's presence was granted: %v", f.Data)
		}

		sendFrame(ctx, t, mine, map[string]any{"type": "presence", "data": map[string]any{"state": "online"}})
		online := nextFrame(ctx, t, hers, "presence")
		if f := online; f.Data["user_id"] != owner.UserID || f.Data["state"] != "online" || f.Data["name"] != "User owner@example.com" || f.Data["socket"] == "" {
			t.Errorf("presence frame: %v", f.Data)
		}
		sendFrame(ctx, t, mine, map[string]any{"type": "typing", "data": map[string]any{"chat_id": chat}})
		if f := nextFrame(ctx, t, hers, "typing"); f.Data["chat_id"] != chat || f.Data["user_id"] != owner.UserID {
			t.Errorf("typing frame: %v", f.Data)
		}
		// A change of state goes out at once, even right after the last one.
		sendFrame(ctx, t, mine, map[string]any{"type": "presence", "data": map[string]any{"state": "away"}})
		if f := nextFrame(ctx, t, hers, "presence"); f.Data["state"] != "away" {
			t.Errorf("away: %v", f.Data)
		}

		for _, bad := range []map[string]any{
			{"type": "typing", "data": map[string]any{"chat_id": "../../org.x"}},
			{"type": "typing", "data": map[string]any{}},
			{"type": "presence", "data": map[string]any{"state": "busy"}},
			{"type": "wave"},
		} {
			sendFrame(ctx, t, mine, bad)
			if f := nextFrame(ctx, t, mine, "error"); f.Data["message"] == "" {
				t.Errorf("%v: error frame %v", bad, f.Data)
			}
		}
		// A socket that closes is reported offline at once, by its id (the
		// person may have other sockets still open).
		mine.Close(websocket.StatusNormalClosure, "")
		if f := nextFrame(ctx, t, hers, "presence"); f.Data["state"] != "offline" || f.Data["user_id"] != owner.UserID || f.Data["socket"] != online.Data["socket"] {
			t.Errorf("closing: %v", f.Data)
		}

		// The stranger heard nothing of it: its next frame is its own error.
		sendFrame(ctx, t, eve, map[string]any{"type": "wave"})
		_, data, err := eve.Read(ctx)
		if err != nil || !strings.Contains(string(data), `"error"`) {
			t.Errorf("another org's socket got %s (%v)", data, err)
		}
	})
}
