package app

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/realtime"
)

// Teammates tell each other over their sockets who is online and who is
// typing in which chat. Nothing of it is stored: a frame goes out to the
// org's other sockets (on every replica, through the hub) and is gone.
// Presence is a heartbeat per socket: each browser repeats its state, the
// others forget a socket whose heartbeat stopped, and a socket that closes
// says so at once (state "offline"), so a teammate who leaves the inbox is
// not shown online until the heartbeat runs out. A person is online while
// any of their sockets is.

// presenceTopic carries presence frames of an org; its pages subscribe to it.
func presenceTopic(orgID string) string { return orgTopic(orgID) + ".presence" }

// chatTopic carries what happens in one chat beyond its events (typing).
func chatTopic(orgID, chatID string) string { return orgTopic(orgID) + ".chat." + chatID }

// How often one socket may repeat itself: typing frames are sent while
// keys are pressed, presence on every change of focus (a change of state
// always goes through).
const (
	typingEvery   = 2 * time.Second
	presenceEvery = time.Second
)

var (
	errBadChatID   = errors.New("typing needs a chat_id")
	errBadPresence = errors.New("presence state is online or away")
)

// teamActions are the frames a member's socket may send, and what to do
// when it closes.
func (a *App) teamActions(actor org.Actor) (map[string]realtime.Action, func()) {
	var mu sync.Mutex
	var lastTyping, lastPresence time.Time
	var lastChat, lastState string
	socket := db.NewID() // names this socket in presence frames
	presence := func(ctx context.Context, state string) error {
		return a.Hub.Publish(ctx, realtime.Message{Topic: presenceTopic(actor.OrgID), Type: "presence",
			Data: mustJSON(map[string]string{"user_id": actor.UserID, "name": actor.Name, "state": state, "socket": socket})})
	}
	closed := func() {
		mu.Lock()
		announced := lastState != ""
		mu.Unlock()
		if announced {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			presence(ctx, "offline")
		}
	}
	return map[string]realtime.Action{
		"typing": func(ctx context.Context, data json.RawMessage) error {
			var in struct {
				ChatID string `json:"chat_id"`
			}
			if json.Unmarshal(data, &in) != nil || !plainID(in.ChatID) {
				return errBadChatID
			}
			mu.Lock()
			now := time.Now()
			repeat := in.ChatID == lastChat && now.Sub(lastTyping) < typingEvery
			if !repeat {
				lastChat, lastTyping = in.ChatID, now
			}
			mu.Unlock()
			if repeat {
				return nil
			}
			return a.Hub.Publish(ctx, realtime.Message{Topic: chatTopic(actor.OrgID, in.ChatID), Type: "typing",
				Data: mustJSON(map[string]string{"chat_id": in.ChatID, "user_id": actor.UserID, "name": actor.Name})})
		},
		"presence": func(ctx context.Context, data json.RawMessage) error {
			var in struct {
				State string `json:"state"`
			}
			if json.Unmarshal(data, &in) != nil || (in.State != "online" && in.State != "away") {
				return errBadPresence
			}
			mu.Lock()
			now := time.Now()
			repeat := in.State == lastState && now.Sub(lastPresence) < presenceEvery
			if !repeat {
				lastPresence, lastState = now, in.State
			}
			mu.Unlock()
			if repeat {
				return nil
			}
			return presence(ctx, in.State)
		},
	}, closed
}

// plainID accepts the ids Kite makes (UUIDs), so a frame cannot name a
// topic outside the chat's.
func plainID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F' || r == '-') {
			return false
		}
	}
	return true
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
