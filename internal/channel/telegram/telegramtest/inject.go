package telegramtest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// Inject queues a raw update for odd cases the helpers do not cover: channel
// posts, unknown update kinds, fields this package has no type for. update
// is a map[string]any, a json.RawMessage, a []byte of JSON or any value that
// encodes to a JSON object; its update_id, if any, is replaced by the bot's
// next one, which Inject returns. Chats found in the update (in a "chat"
// field, or in "message.chat" as in callback queries) become known to the
// bot, so it may answer them, and a my_chat_member change to "kicked" or
// "left" blocks the chat.
func (s *Server) Inject(token string, update any) int64 {
	b := s.mustBot(token)
	fields := decodeObject(update)
	delete(fields, "update_id")
	kinds := slices.Sorted(maps.Keys(fields))
	if len(kinds) == 0 {
		panic("telegramtest: Inject needs an update with a kind, such as \"message\"")
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, kind := range kinds {
		b.learnFromRawLocked(kind, fields[kind])
	}
	return b.enqueueLocked(kinds[0], func(id int64) []byte {
		fields["update_id"] = json.RawMessage(strconv.FormatInt(id, 10))
		return encodeJSON(fields)
	})
}

// decodeObject turns what Inject accepts into the fields of a JSON object.
func decodeObject(v any) map[string]json.RawMessage {
	var data []byte
	switch raw := v.(type) {
	case json.RawMessage:
		data = raw
	case []byte:
		data = raw
	default:
		var err error
		if data, err = json.Marshal(v); err != nil {
			panic(fmt.Sprintf("telegramtest: Inject: %v", err))
		}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil || fields == nil {
		panic(fmt.Sprintf("telegramtest: Inject needs a JSON object, got %q", data))
	}
	return fields
}

// learnFromRawLocked registers the chat and message carried by one field of
// a raw update, so later sends and replies to them work.
func (b *bot) learnFromRawLocked(kind string, raw json.RawMessage) {
	var probe struct {
		MessageID     int         `json:"message_id"`
		Chat          *Chat       `json:"chat"`
		Message       *Message    `json:"message"`
		NewChatMember *ChatMember `json:"new_chat_member"`
	}
	if json.Unmarshal(raw, &probe) != nil {
		return
	}
	if probe.Chat != nil && probe.Chat.ID != 0 {
		cs := b.learnChatLocked(*probe.Chat)
		if probe.MessageID > 0 {
			var m Message
			if json.Unmarshal(raw, &m) == nil {
				b.storeMessageLocked(cs, &m)
			}
		}
		if kind == "my_chat_member" && probe.NewChatMember != nil {
			switch probe.NewChatMember.Status {
			case "kicked", "left":
				cs.blocked = true
			case "member", "administrator", "creator":
				cs.blocked = false
			}
		}
	}
	if m := probe.Message; m != nil && m.Chat.ID != 0 && m.MessageID > 0 {
		b.storeMessageLocked(b.learnChatLocked(m.Chat), m)
	}
}

// storeMessageLocked keeps m for replies and moves the chat's message ids
// past it so ids stay unique.
func (b *bot) storeMessageLocked(cs *chatState, m *Message) {
	cs.messages[m.MessageID] = m
	cs.lastMessageID = max(cs.lastMessageID, m.MessageID)
}
