package telegram

import (
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/kite-crm/kite/internal/inbox"
)

func TestDecodeUpdateKinds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body string
		want       []inbox.Inbound
	}{
		{"private text", `{"update_id":7,"message":{"message_id":3,"date":1700000000,"from":{"id":42,"first_name":"Ann","username":"ann_k"},"chat":{"id":42,"type":"private","first_name":"Ann"},"text":"hi"}}`,
			[]inbox.Inbound{{Kind: inbox.InboundMessage, Chat: inbox.InboundChat{ExternalID: "42", Kind: inbox.ChatPrivate, Title: "Ann"},
				From: inbox.Person{Handle: "42", FirstName: "Ann", Username: "ann_k"}, ExternalID: "3", Text: "hi"}}},
		{"supergroup reply", `{"update_id":8,"message":{"message_id":9,"from":{"id":5,"first_name":"Bo"},"chat":{"id":-100123,"type":"supergroup","title":"Deal room"},"text":"ok","reply_to_message":{"message_id":4,"chat":{"id":-100123,"type":"supergroup"}}}}`,
			[]inbox.Inbound{{Kind: inbox.InboundMessage, Chat: inbox.InboundChat{ExternalID: "-100123", Kind: inbox.ChatGroup, Title: "Deal room"},
				From: inbox.Person{Handle: "5", FirstName: "Bo"}, ExternalID: "9", Text: "ok", ReplyTo: "4"}}},
		{"channel post ignored", `{"update_id":9,"channel_post":{"message_id":1,"chat":{"id":-1,"type":"channel"},"text":"x"}}`, nil},
		{"message in an unknown chat type", `{"update_id":10,"message":{"message_id":1,"from":{"id":1},"chat":{"id":-5,"type":"forum_thing"},"text":"x"}}`, nil},
		{"service message ignored", `{"update_id":11,"message":{"message_id":1,"from":{"id":1},"chat":{"id":-5,"type":"group"},"new_chat_members":[{"id":2}]}}`, nil},
		{"unknown update kind", `{"update_id":12,"poll":{"id":"p"}}`, nil},
		{"blocked", `{"update_id":13,"my_chat_member":{"chat":{"id":42,"type":"private"},"from":{"id":42,"first_name":"Ann"},"date":1,"old_chat_member":{"status":"member"},"new_chat_member":{"status":"kicked"}}}`,
			[]inbox.Inbound{{Kind: inbox.InboundBlocked, Chat: inbox.InboundChat{ExternalID: "42", Kind: inbox.ChatPrivate}, From: inbox.Person{Handle: "42", FirstName: "Ann"}}}},
	}
	for _, c := range cases {
		id, items, err := decodeUpdate([]byte(c.body))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if id == 0 {
			t.Errorf("%s: no update id", c.name)
		}
		if len(items) != len(c.want) {
			t.Errorf("%s: %d items, want %d: %+v", c.name, len(items), len(c.want), items)
			continue
		}
		for i := range items {
			got, want := items[i], c.want[i]
			got.At, want.At = got.At.UTC(), got.At.UTC()
			if got.Kind != want.Kind || got.Chat != want.Chat || got.From != want.From || got.ExternalID != want.ExternalID ||
				got.Text != want.Text || got.ReplyTo != want.ReplyTo {
				t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, want)
			}
		}
	}
}

func TestDecodeUpdateMedia(t *testing.T) {
	t.Parallel()
	body := `{"update_id":1,"message":{"message_id":2,"from":{"id":3,"first_name":"C"},"chat":{"id":3,"type":"private"},"caption":"the plan",
		"photo":[{"file_id":"small","width":90,"height":60,"file_size":900},{"file_id":"big","width":1280,"height":853,"file_size":90000}],
		"location":{"latitude":52.5,"longitude":13.4}}}`
	_, items, err := decodeUpdate([]byte(body))
	if err != nil || len(items) != 1 {
		t.Fatalf("items %+v, err %v", items, err)
	}
	it := items[0]
	if it.Text != "the plan" || len(it.Attachments) != 2 {
		t.Fatalf("got %+v", it)
	}
	if p := it.Attachments[0]; p.Kind != "photo" || p.ExternalID != "big" || p.Width != 1280 || p.Status != "pending" {
		t.Errorf("photo %+v: want the largest size, pending", p)
	}
	if l := it.Attachments[1]; l.Kind != "location" || l.Latitude != 52.5 {
		t.Errorf("location %+v", l)
	}
}

func TestDecodeUpdateRejectsWhatIsNotAnUpdate(t *testing.T) {
	t.Parallel()
	for _, body := range []string{``, `null`, `[]`, `{"message":{}}`, `{"update_id":"x"}`, `{"update_id":1`, `not json`} {
		if _, _, err := decodeUpdate([]byte(body)); err == nil {
			t.Errorf("%q decoded without error", body)
		}
	}
}

// The decoder never panics and, when it accepts an update, yields only
// items the inbox can store.
func FuzzDecodeUpdate(f *testing.F) {
	f.Add([]byte(`{"update_id":7,"message":{"message_id":3,"from":{"id":42,"first_name":"Ann"},"chat":{"id":42,"type":"private"},"text":"hi"}}`))
	f.Add([]byte(`{"update_id":8,"edited_message":{"message_id":3,"from":{"id":42},"chat":{"id":-42,"type":"group","title":"G"},"text":"hi","document":{"file_id":"d"}}}`))
	f.Add([]byte(`{"update_id":9,"my_chat_member":{"chat":{"id":1,"type":"private"},"from":{"id":1},"new_chat_member":{"status":"kicked"}}}`))
	f.Add([]byte(`{"update_id":1e3}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, items, err := decodeUpdate(body)
		if err != nil {
			return
		}
		for _, it := range items {
			if it.Chat.ExternalID == "" || (it.Chat.Kind != inbox.ChatPrivate && it.Chat.Kind != inbox.ChatGroup) {
				t.Fatalf("item without a known chat: %+v", it)
			}
			if it.Kind == inbox.InboundMessage && it.ExternalID == "" {
				t.Fatalf("message without an id: %+v", it)
			}
		}
	})
}

func TestSplitTextKeepsEveryCharacterWithinTheLimit(t *testing.T) {
	t.Parallel()
	emoji := strings.Repeat("😀", 3000) // 6000 UTF-16 units
	words := strings.Repeat("word ", 2000)
	for name, text := range map[string]string{"emoji": emoji, "words": words, "short": "hello", "exact": strings.Repeat("a", 4096)} {
		parts := splitText(text, maxText)
		joined := ""
		for _, p := range parts {
			if n := len(utf16.Encode([]rune(p))); n > maxText || n == 0 {
				t.Errorf("%s: a part of %d UTF-16 units", name, n)
			}
			joined += p
		}
		if strings.ReplaceAll(joined, " ", "") != strings.ReplaceAll(text, " ", "") {
			t.Errorf("%s: the parts do not add up to the text", name)
		}
	}
	if n := len(splitText(strings.Repeat("a", 4097), maxText)); n != 2 {
		t.Errorf("4097 characters in %d parts, want 2", n)
	}
}
