package app

import (
	"fmt"
	"sync"
	"testing"

	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// Many people write for the first time at once (their chats and contacts
// are made together): each gets one chat and one contact, a username that
// matches a contact links to it, and every message lands in its chat.
func TestTelegramManyFirstContactsAtOnce(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		k := startTelegramKite(t, b, "webhook")
		token, _ := k.connectBot(t, 1777, "acme_rush_bot")
		known := k.c.must(201, "POST", "/contacts", map[string]any{"first_name": "Known", "telegram_username": "known_buyer"}).Str("id")

		var wg sync.WaitGroup
		for p := range 30 {
			wg.Go(func() {
				u := telegramtest.User{ID: int64(610000 + p), FirstName: fmt.Sprintf("Rush%02d", p)}
				if p == 0 {
					u.Username = "Known_Buyer"
				}
				k.tg.UserSays(token, u, "first")
				k.tg.UserSays(token, u, "second")
			})
		}
		wg.Wait()
		k.waitDelivered(t, token)

		chats := k.c.must(200, "GET", "/chats?limit=100", nil).Items()
		if len(chats) != 30 {
			t.Fatalf("%d chats for 30 people", len(chats))
		}
		contacts := map[string]bool{}
		for _, c := range chats {
			id, _ := c["contact_id"].(string)
			if contacts[id] || id == "" {
				t.Errorf("chat %v shares or lacks a contact", c["title"])
			}
			contacts[id] = true
			msgs := k.c.must(200, "GET", "/chats/"+c["id"].(string)+"/messages", nil).Items()
			// Telegram delivers a bot's updates over several connections at
			// once, so two quick messages may arrive in either order.
			if len(msgs) != 2 || msgs[0]["text"] == msgs[1]["text"] {
				t.Errorf("chat %v: %d messages", c["title"], len(msgs))
			}
			if c["title"] == "Rush00" && id != known {
				t.Errorf("the person with the known username got contact %s, want %s", id, known)
			}
		}
		if n := len(k.c.must(200, "GET", "/contacts?limit=100", nil).Items()); n != 30 {
			t.Errorf("%d contacts, want 30 (29 new and the known one)", n)
		}
		if got, _ := k.c.must(200, "GET", "/chats/unread", nil).Body["total"].(float64); got != 60 {
			t.Errorf("unread total %v, want 60", got)
		}
		// Their next messages find the chats made in bulk.
		k.tg.UserSays(token, telegramtest.User{ID: 610007, FirstName: "Rush07"}, "third")
		k.waitDelivered(t, token)
		if n := len(k.c.must(200, "GET", "/chats?limit=100", nil).Items()); n != 30 {
			t.Errorf("a known person's next message made a chat: %d chats", n)
		}
	})
}
