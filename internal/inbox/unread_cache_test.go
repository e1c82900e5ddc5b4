package inbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/org/orgtest"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// TestUnreadAnswerFollowsEveryChange reads a member's kept unread answer
// after each kind of write that changes unread counts and checks that it
// equals the counts read afresh; a write that leaves a member's counts
// alone (a teammate reading) keeps their answer.
func TestUnreadAnswerFollowsEveryChange(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, owner, member := unreadFixture(t, d)
		// Enough chats that every shard of a member's totals has a row (all
		// but surely), so the second seed below changes rows that exist.
		if _, err := s.Seed(ctx, owner.OrgID, SeedOptions{Chats: 150, UnreadEvery: 1}, nil); err != nil {
			t.Fatal(err)
		}
		var ch ChannelRecord
		if err := d.NewSelect().Model(&ch).Where("org_id = ?", owner.OrgID).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		marshal := func(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }
		answer := func(a org.Actor) *httpx.Kept {
			t.Helper()
			kept, err := s.UnreadAnswer(ctx, a, marshal)
			if err != nil {
				t.Fatal(err)
			}
			return kept
		}
		fresh := func(a org.Actor) Unread {
			t.Helper()
			u, err := s.Unread(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		// step checks a's answer after a write: still the same kept one when
		// kept, else a new one equal to the counts read afresh and unlike the
		// one before (so the write did change them and the test saw it).
		last := map[string]*httpx.Kept{owner.UserID: answer(owner), member.UserID: answer(member)}
		step := func(name string, a org.Actor, kept bool) Unread {
			t.Helper()
			got, want := answer(a), fresh(a)
			var decoded Unread
			if err := json.Unmarshal(got.JSON, &decoded); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !equalUnread(decoded, want) {
				t.Fatalf("%s: answered %s, want %+v", name, got.JSON, want)
			}
			if kept != (got == last[a.UserID]) {
				t.Fatalf("%s: kept answer reused %v, want %v", name, got == last[a.UserID], kept)
			}
			if !kept && bytes.Equal(got.JSON, last[a.UserID].JSON) {
				t.Fatalf("%s: the write did not change the counts (%s)", name, got.JSON)
			}
			last[a.UserID] = got
			return want
		}
		step("read again", owner, true)

		u := fresh(owner)
		first := u.Chats[0].ChatID
		var chat Chat
		if err := d.NewSelect().Model(&chat).Where("id = ?", first).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		receive := func(chatID, title, msgID string) {
			t.Helper()
			in := Inbound{Kind: InboundMessage, Chat: InboundChat{ExternalID: chatID, Kind: ChatPrivate, Title: title},
				From: Person{Handle: chatID, FirstName: title}, ExternalID: msgID, Text: "hello", At: time.Now().UTC()}
			if _, err := s.Receive(ctx, ch, "test:"+chatID+":"+msgID, []Inbound{in}); err != nil {
				t.Fatal(err)
			}
		}
		receive(chat.ExternalID, chat.Title, "900")
		step("a message in an unread chat", owner, false)
		step("the same message, for the teammate", member, false)

		if _, err := s.MarkRead(ctx, member, first); err != nil {
			t.Fatal(err)
		}
		step("the teammate read a chat", member, false)
		step("the owner, after the teammate read", owner, true)

		if _, err := s.MarkRead(ctx, owner, first); err != nil {
			t.Fatal(err)
		}
		step("the owner read the chat", owner, false)

		receive("5550001", "New Person", "1")
		u = step("a message in a new chat", owner, false)
		total := u.Total

		// One more message in one chat and one read of a chat with one
		// unread: the total stays, the list changes.
		receive(chat.ExternalID, chat.Title, "901")
		var newChat string
		for _, c := range u.Chats {
			if c.UnreadCount == 1 && c.ChatID != first {
				newChat = c.ChatID
			}
		}
		if _, err := s.MarkRead(ctx, owner, newChat); err != nil {
			t.Fatal(err)
		}
		if u := step("a message and a read that keep the total", owner, false); u.Total != total {
			t.Fatalf("total %d, want it kept at %d", u.Total, total)
		}

		if _, err := s.Seed(ctx, owner.OrgID, SeedOptions{Chats: 2, UnreadEvery: 1}, nil); err != nil {
			t.Fatal(err)
		}
		step("a seed recounted the totals", owner, false)

		key := org.Actor{OrgID: owner.OrgID, APIKeyID: "k", Role: org.Admin}
		if got := answer(key); !bytes.Equal(bytes.TrimSpace(got.JSON), []byte(`{"total":0,"chats":[]}`)) {
			t.Fatalf("an API key's answer %s", got.JSON)
		}
	})
}

func equalUnread(a, b Unread) bool {
	if a.Total != b.Total || len(a.Chats) != len(b.Chats) {
		return false
	}
	for i := range a.Chats {
		if a.Chats[i] != b.Chats[i] {
			return false
		}
	}
	return true
}

// unreadFixture is an inbox service with an org of two: its owner and a
// member.
func unreadFixture(t *testing.T, d *db.DB) (*Service, org.Actor, org.Actor) {
	t.Helper()
	kit := orgtest.New(t, d)
	s := NewService(d, kit.Bus, kit.Orgs, crm.NewService(d, kit.Bus, kit.Orgs, nil), t.TempDir(), nil)
	owner := kit.SignUp(t, "owner@unread.example", "Owner", "Owner's org")
	member := kit.SignUp(t, "member@unread.example", "Member", "Member's org")
	if _, err := kit.Orgs.AddMember(context.Background(), owner, "member@unread.example", org.Member); err != nil {
		t.Fatal(err)
	}
	member.OrgID, member.Role = owner.OrgID, org.Member
	return s, owner, member
}
