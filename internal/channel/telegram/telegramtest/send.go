package telegramtest

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

const maxTextLength = 4096 // UTF-16 code units

// outgoing is a validated message the bot asked to send.
type outgoing struct {
	kind    string // SentMessage.Kind
	text    string
	caption string
	file    *storedFile
}

// sendMessage implements https://core.telegram.org/bots/api#sendmessage.
func (s *Server) sendMessage(b *bot, in *request) (any, *apiError) {
	text := in.params["text"]
	if strings.TrimSpace(text) == "" {
		return nil, badRequest("message text is empty")
	}
	if utf16Len(text) > maxTextLength {
		return nil, badRequest("message is too long")
	}
	return s.send(b, in, outgoing{kind: "text", text: text})
}

// send delivers a message to the chat named by chat_id: it checks the chat,
// the reply target and flood control, then stores and records the message
// and returns it as Telegram's Message object.
func (s *Server) send(b *bot, in *request, out outgoing) (any, *apiError) {
	reply, e := parseReply(in)
	if e != nil {
		return nil, e
	}
	markup, e := parseMarkup(in.params["reply_markup"])
	if e != nil {
		return nil, e
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	cs, e := b.writableChatLocked(in.params["chat_id"])
	if e != nil {
		return nil, e
	}
	var replyTo *Message
	if reply.messageID != 0 {
		if orig := cs.messages[reply.messageID]; orig != nil {
			quoted := *orig
			quoted.ReplyToMessage = nil // Telegram does not nest replies further
			replyTo = &quoted
		} else if !reply.allowWithout {
			return nil, badRequest("message to be replied not found")
		}
	}
	now := time.Now()
	if e := b.admitLocked(cs, now); e != nil {
		return nil, e
	}

	from := b.user()
	cs.lastMessageID++
	m := &Message{
		MessageID:      cs.lastMessageID,
		From:           &from,
		Chat:           cs.chat,
		Date:           now.Unix(),
		ReplyToMessage: replyTo,
		Text:           out.text,
		Entities:       detectEntities(out.text),
		Caption:        out.caption,
		ReplyMarkup:    markup,
	}
	if out.caption != "" {
		m.CaptionEntities = detectEntities(out.caption)
	}
	record := SentMessage{ChatID: cs.chat.ID, MessageID: m.MessageID, Text: out.text,
		Caption: out.caption, Kind: out.kind, At: now}
	if replyTo != nil {
		record.ReplyTo = replyTo.MessageID
	}
	if f := out.file; f != nil {
		b.files.add(f)
		f.attach(m)
		record.FileID = f.id
	}
	cs.messages[m.MessageID] = m
	b.sent = append(b.sent, record)
	b.stats.Sent++
	return m, nil
}

// replyRef is the message a send replies to.
type replyRef struct {
	messageID    int
	allowWithout bool
}

// parseReply reads reply_parameters, or the older reply_to_message_id and
// allow_sending_without_reply that Telegram still accepts.
func parseReply(in *request) (replyRef, *apiError) {
	if raw := in.params["reply_parameters"]; raw != "" {
		var rp struct {
			MessageID                int  `json:"message_id"`
			AllowSendingWithoutReply bool `json:"allow_sending_without_reply"`
		}
		if err := json.Unmarshal([]byte(raw), &rp); err != nil {
			return replyRef{}, badRequest("can't parse reply parameters JSON object")
		}
		return replyRef{messageID: rp.MessageID, allowWithout: rp.AllowSendingWithoutReply}, nil
	}
	id, _ := strconv.Atoi(strings.TrimSpace(in.params["reply_to_message_id"]))
	return replyRef{messageID: id, allowWithout: in.boolArg("allow_sending_without_reply")}, nil
}

// parseMarkup validates reply_markup. Only inline keyboards are echoed in
// the sent message, as Telegram does.
func parseMarkup(raw string) (json.RawMessage, *apiError) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	var markup map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &markup); err != nil {
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	if kb, ok := markup["inline_keyboard"]; ok {
		return encodeJSON(map[string]json.RawMessage{"inline_keyboard": kb}), nil
	}
	return nil, nil
}

// chatActions are the actions sendChatAction accepts.
func chatActions() []string {
	return []string{"typing", "upload_photo", "record_video", "upload_video", "record_voice",
		"upload_voice", "upload_document", "choose_sticker", "find_location",
		"record_video_note", "upload_video_note"}
}

// sendChatAction implements https://core.telegram.org/bots/api#sendchataction.
// It is not subject to flood control.
func (s *Server) sendChatAction(b *bot, in *request) (any, *apiError) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, e := b.writableChatLocked(in.params["chat_id"]); e != nil {
		return nil, e
	}
	if !slices.Contains(chatActions(), in.params["action"]) {
		return nil, badRequest("wrong parameter action in request")
	}
	return true, nil
}
