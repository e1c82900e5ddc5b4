package app

import (
	"context"
	"testing"
	"time"

	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// A client that retries a write with the same Idempotency-Key (after a
// timeout, say) gets the first answer, and the write happens once.
func TestIdempotencyKeyMakesWritesSafeToRetry(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		k := startTelegramKite(t, b, "webhook")
		c := k.c.with("Idempotency-Key", "create-ann-1")

		first := c.must(201, "POST", "/contacts", map[string]any{"first_name": "Ann"})
		again := c.must(201, "POST", "/contacts", map[string]any{"first_name": "Ann"})
		if again.Str("id") != first.Str("id") || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("repeat = %s (replayed %q), first = %s", again.Raw, again.Header.Get("Idempotent-Replayed"), first.Raw)
		}
		if n := len(k.c.must(200, "GET", "/contacts", nil).Items()); n != 1 {
			t.Fatalf("%d contacts after a repeated create, want 1", n)
		}
		// The same key with another body is refused; nothing is written.
		if r := c.do("POST", "/contacts", map[string]any{"first_name": "Bo"}); r.Status != 409 || r.Code() != "idempotency_key_reused" {
			t.Fatalf("reused key: %d %s", r.Status, r.Raw)
		}
		// A refused write is the answer to that request and is kept too.
		bad := k.c.with("Idempotency-Key", "bad-1")
		for range 2 {
			if r := bad.do("POST", "/contacts", map[string]any{"email": "nope"}); r.Status != 422 {
				t.Fatalf("invalid contact with a key: %d %s", r.Status, r.Raw)
			}
		}
		if r := k.c.with("Idempotency-Key", "not a key").do("POST", "/contacts", map[string]any{"first_name": "X"}); r.Status != 400 {
			t.Fatalf("malformed key: %d %s", r.Status, r.Raw)
		}

		// Keys belong to their org and actor: another org's key of the same
		// name, and the org's API key, write their own records.
		other := k.api.signUp("rival@example.com", "Rival")
		theirs := k.api.as(other.Access, other.OrgID).with("Idempotency-Key", "create-ann-1").
			must(201, "POST", "/contacts", map[string]any{"first_name": "Ann"})
		if theirs.Str("id") == first.Str("id") || theirs.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("another org's same key got %s", theirs.Raw)
		}
		key := k.c.must(201, "POST", "/api-keys", map[string]any{"name": "sync", "role": "admin"}).Str("key")
		viaKey := k.api.as(key, "").with("Idempotency-Key", "create-ann-1").
			must(201, "POST", "/contacts", map[string]any{"first_name": "Ann"})
		if viaKey.Str("id") == first.Str("id") {
			t.Fatal("an API key shared a user's idempotency key")
		}

		// A message sent twice with one key goes to Telegram once.
		token, _ := k.connectBot(t, 1009, "acme_once_bot")
		bo := telegramtest.User{ID: 6009, FirstName: "Bo"}
		k.tg.UserSays(token, bo, "hi")
		k.waitDelivered(t, token)
		chatID := k.firstChat(t)
		send := k.c.with("Idempotency-Key", "reply-1")
		m1 := send.must(202, "POST", "/chats/"+chatID+"/messages", map[string]any{"text": "on my way"})
		m2 := send.must(202, "POST", "/chats/"+chatID+"/messages", map[string]any{"text": "on my way"})
		if m1.Str("id") != m2.Str("id") {
			t.Fatalf("two messages for one key: %s and %s", m1.Str("id"), m2.Str("id"))
		}
		k.waitStatus(t, chatID, m1.Str("id"), "sent", 10*time.Second)
		time.Sleep(300 * time.Millisecond) // a second send would be out by now
		if sent := k.tg.Sent(token); len(sent) != 1 || sent[0].Text != "on my way" {
			t.Fatalf("Telegram received %+v, want one message", sent)
		}

		// The process died after the write committed but before its answer
		// was kept (played here by forgetting the answer and ageing the
		// key): a retry does not write again, it says the outcome is lost.
		// Every kind of write counts, the organization's own included.
		orgPath := "/organizations/" + k.admin.OrgID
		doomed := k.c.must(201, "POST", "/api-keys", map[string]any{"name": "doomed", "role": "member"}).Str("id")
		invited := k.c.must(201, "POST", orgPath+"/members", map[string]any{"email": "later@example.com", "role": "member"}).Str("invitation.id")
		for _, w := range []struct {
			key, method, path string
			body              map[string]any
			status            int
		}{
			{"ann-lost", "POST", "/contacts", map[string]any{"first_name": "Ann"}, 201},
			{"key-lost", "POST", "/api-keys", map[string]any{"name": "lost answer", "role": "member"}, 201},
			{"revoke-lost", "DELETE", "/api-keys/" + doomed, nil, 204},
			{"member-lost", "POST", orgPath + "/members", map[string]any{"email": "rival@example.com", "role": "viewer"}, 201},
			{"uninvite-lost", "DELETE", orgPath + "/invitations/" + invited, nil, 204},
			{"settings-lost", "PATCH", orgPath, map[string]any{"timezone": "Europe/Berlin"}, 200},
		} {
			k.c.with("Idempotency-Key", w.key).must(w.status, w.method, w.path, w.body)
			if _, err := k.app.DB.ExecContext(context.Background(), "UPDATE idempotency_keys SET status = 0, body = NULL, created_at = ? WHERE idem_key = ?",
				time.Now().UTC().Add(-time.Hour), w.key); err != nil {
				t.Fatal(err)
			}
			if r := k.c.with("Idempotency-Key", w.key).do(w.method, w.path, w.body); r.Status != 409 || r.Code() != "idempotency_key_outcome_lost" {
				t.Errorf("%s %s retried after a lost answer: %d %s", w.method, w.path, r.Status, r.Raw)
			}
		}
		if n := len(k.c.must(200, "GET", "/contacts?q=Ann", nil).Items()); n != 3 { // the first, the API key's and the lost answer's
			t.Errorf("%d contacts named Ann, want 3", n)
		}
		var keys int
		for _, ak := range k.c.must(200, "GET", "/api-keys", nil).Items() {
			if ak["name"] == "lost answer" {
				keys++
			}
		}
		if keys != 1 {
			t.Errorf("%d API keys from one keyed request, want 1", keys)
		}
	})
}
