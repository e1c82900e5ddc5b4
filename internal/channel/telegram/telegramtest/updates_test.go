package telegramtest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
)

func TestGetUpdatesFollowsTelegramOffsetSemantics(t *testing.T) {
	srv := newServer(t)
	u1 := srv.UserSays(token, ann(), "one")
	u2 := srv.UserSays(token, ann(), "two")
	u3 := srv.UserSays(token, bob(), "three")
	if u2.UpdateID != u1.UpdateID+1 || u3.UpdateID != u2.UpdateID+1 {
		t.Fatalf("update ids %d, %d, %d do not increase by one", u1.UpdateID, u2.UpdateID, u3.UpdateID)
	}
	if u1.Message.MessageID != 1 || u2.Message.MessageID != 2 || u3.Message.MessageID != 1 {
		t.Fatalf("message ids must increase per chat: %d, %d, %d",
			u1.Message.MessageID, u2.Message.MessageID, u3.Message.MessageID)
	}

	all := []int64{u1.UpdateID, u2.UpdateID, u3.UpdateID}
	steps := []struct {
		name   string
		offset int64
		extra  url.Values
		want   []int64
	}{
		{"first poll", 0, nil, all},
		{"unconfirmed updates come again", 0, nil, all},
		{"offset confirms older updates", u2.UpdateID, nil, all[1:]},
		{"confirmed updates are gone for good", 0, nil, all[1:]},
		{"limit", 0, url.Values{"limit": {"1"}}, all[1:2]},
		{"negative offset counts from the end", -1, nil, all[2:]},
		{"and forgets what came before", 0, nil, all[2:]},
		{"past the end", u3.UpdateID + 1, nil, []int64{}},
	}
	for _, step := range steps {
		if got := ids(getUpdates(t, srv, token, step.offset, step.extra)); !slices.Equal(got, step.want) {
			t.Fatalf("%s: got %v, want %v", step.name, got, step.want)
		}
	}
	if err := srv.WaitDelivered(testContext(t), token); err != nil {
		t.Fatalf("all confirmed, yet WaitDelivered: %v", err)
	}
}

func TestUpdatesHaveTelegramsShape(t *testing.T) {
	srv := newServer(t)
	srv.UserSays(token, ann(), "/start@kite_test_bot promo")
	var raw []map[string]json.RawMessage
	a := call(t, srv, token, "getUpdates", nil)
	if err := json.Unmarshal(a.Result, &raw); err != nil {
		t.Fatal(err)
	}
	var u struct {
		UpdateID int64 `json:"update_id"`
		Message  struct {
			MessageID int   `json:"message_id"`
			Date      int64 `json:"date"`
			From      struct {
				ID           int64  `json:"id"`
				IsBot        *bool  `json:"is_bot"`
				FirstName    string `json:"first_name"`
				LastName     string `json:"last_name"`
				Username     string `json:"username"`
				LanguageCode string `json:"language_code"`
			} `json:"from"`
			Chat     map[string]any `json:"chat"`
			Text     string         `json:"text"`
			Entities []struct {
				Type   string `json:"type"`
				Offset int    `json:"offset"`
				Length int    `json:"length"`
			} `json:"entities"`
		} `json:"message"`
	}
	body, _ := json.Marshal(raw[0])
	if err := json.Unmarshal(body, &u); err != nil {
		t.Fatal(err)
	}
	m := u.Message
	if u.UpdateID == 0 || m.MessageID != 1 || time.Since(time.Unix(m.Date, 0)) > time.Minute {
		t.Fatalf("ids or date wrong: %s", body)
	}
	if m.From.IsBot == nil || *m.From.IsBot || m.From.ID != 1001 || m.From.FirstName != "Ann" ||
		m.From.LastName != "Lee" || m.From.Username != "ann_lee" || m.From.LanguageCode != "en" {
		t.Fatalf("from: %s", body)
	}
	if m.Chat["type"] != "private" || m.Chat["id"] != float64(1001) || m.Chat["first_name"] != "Ann" {
		t.Fatalf("chat: %s", body)
	}
	if len(m.Entities) != 1 || m.Entities[0].Type != "bot_command" || m.Entities[0].Length != 20 {
		t.Fatalf("entities: %s", body)
	}
}

func TestLongPollReturnsAsSoonAsAnUpdateArrives(t *testing.T) {
	srv := newServer(t)
	go func() {
		time.Sleep(100 * time.Millisecond)
		srv.UserSays(token, ann(), "late")
	}()
	start := time.Now()
	got := getUpdates(t, srv, token, 0, url.Values{"timeout": {"10"}})
	if len(got) != 1 || got[0].field("message", "text") != "late" {
		t.Fatalf("long poll got %v", got)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("long poll took %v", waited)
	}
}

func TestNewerLongPollTerminatesTheOlderOne(t *testing.T) {
	srv := newServer(t)
	older := make(chan answer, 1)
	go func() { older <- call(t, srv, token, "getUpdates", url.Values{"timeout": {"10"}}) }()
	time.Sleep(200 * time.Millisecond) // let the first poll start waiting

	newer := call(t, srv, token, "getUpdates", url.Values{"timeout": {"1"}, "offset": {"5"}})
	select {
	case a := <-older:
		wantError(t, a, http.StatusConflict, "Conflict: terminated by other getUpdates request; "+
			"make sure that only one bot instance is running")
	case <-time.After(5 * time.Second):
		t.Fatal("older poll still waiting")
	}
	if !newer.OK || string(newer.Result) != "[]" {
		t.Fatalf("newer poll: %+v", newer)
	}
}

func TestAllowedUpdatesFiltersNewUpdates(t *testing.T) {
	srv := newServer(t)
	first := srv.UserSays(token, ann(), "hi")
	got := getUpdates(t, srv, token, first.UpdateID+1, url.Values{"allowed_updates": {`["my_chat_member"]`}})
	if len(got) != 0 {
		t.Fatalf("got %v", got)
	}
	srv.UserSays(token, ann(), "filtered out")
	blocked := srv.UserBlocksBot(token, ann())
	got = getUpdates(t, srv, token, 0, nil)
	if !slices.Equal(ids(got), []int64{blocked.UpdateID}) {
		t.Fatalf("got %v, want only the my_chat_member update %d", ids(got), blocked.UpdateID)
	}
	if got[0].field("my_chat_member", "new_chat_member", "status") != "kicked" ||
		got[0].field("my_chat_member", "old_chat_member", "status") != "member" {
		t.Fatalf("my_chat_member: %v", got[0])
	}
}

func TestInjectQueuesRawUpdatesAndLearnsTheirChats(t *testing.T) {
	srv := newServer(t)
	client := newClient(t, srv, token)
	post := srv.Inject(token, map[string]any{"channel_post": map[string]any{
		"message_id": 41, "date": 1700000000, "text": "news",
		"chat": map[string]any{"id": -1001234, "type": "channel", "title": "Kite News"},
	}})
	odd := srv.Inject(token, json.RawMessage(`{"update_id": 1, "future_kind": {"x": 1}}`))
	if odd != post+1 {
		t.Fatalf("ids %d then %d", post, odd)
	}
	got := getUpdates(t, srv, token, 0, nil)
	if !slices.Equal(ids(got), []int64{post, odd}) || got[0].field("channel_post", "chat", "type") != "channel" ||
		got[1].field("future_kind", "x") != float64(1) {
		t.Fatalf("got %v", got)
	}
	m, err := client.SendMessage(testContext(t), sendText(-1001234, "reply"))
	if err != nil {
		t.Fatalf("send to injected channel: %v", err)
	}
	if m.ID != 42 || m.Chat.Type != "channel" {
		t.Fatalf("sent %+v", m)
	}
}

func TestCustomerHelpersProduceRepliesEditsAndMedia(t *testing.T) {
	srv := newServer(t)
	hi := srv.UserSays(token, ann(), "hi")
	m, err := newClient(t, srv, token).SendMessage(testContext(t), sendText(ann().ID, "hello, how can I help?"))
	if err != nil {
		t.Fatal(err)
	}
	reply := srv.UserReplies(token, ann(), m.ID, "my order")
	if r := reply.Message.ReplyToMessage; r == nil || r.MessageID != m.ID || r.From == nil || !r.From.IsBot {
		t.Fatalf("reply_to_message = %+v", r)
	}
	edit := srv.UserEdits(token, ann(), hi.Message.MessageID, "hi there")
	if e := edit.EditedMessage; e == nil || e.MessageID != hi.Message.MessageID || e.Date != hi.Message.Date ||
		e.EditDate == 0 || e.Text != "hi there" {
		t.Fatalf("edited_message = %+v", e)
	}
	loc := srv.UserSendsLocation(token, ann(), 52.37, 4.89)
	contact := srv.UserSendsContact(token, ann(), telegramtest.Contact{PhoneNumber: "+31600000000", FirstName: "Ann",
		UserID: ann().ID})
	voice := srv.UserSendsVoice(token, ann(), []byte("OggS voice"), 3)
	sticker := srv.UserSendsSticker(token, ann(), "👍")
	group := srv.GroupSays(token, telegramtest.Chat{ID: -42, Title: "Support"}, bob(), "anyone?")

	got := getUpdates(t, srv, token, 0, nil)
	if len(got) != 8 {
		t.Fatalf("got %d updates", len(got))
	}
	checks := []struct {
		u    wireUpdate
		path []string
		want any
	}{
		{got[2], []string{"edited_message", "text"}, "hi there"},
		{got[3], []string{"message", "location", "latitude"}, loc.Message.Location.Latitude},
		{got[4], []string{"message", "contact", "phone_number"}, contact.Message.Contact.PhoneNumber},
		{got[5], []string{"message", "voice", "mime_type"}, "audio/ogg"},
		{got[5], []string{"message", "voice", "file_id"}, voice.Message.Voice.FileID},
		{got[6], []string{"message", "sticker", "emoji"}, sticker.Message.Sticker.Emoji},
		{got[7], []string{"message", "chat", "type"}, "group"},
		{got[7], []string{"message", "chat", "title"}, group.Message.Chat.Title},
	}
	for _, c := range checks {
		if v := c.u.field(c.path...); v != c.want {
			t.Errorf("%v = %v, want %v", c.path, v, c.want)
		}
	}
}
