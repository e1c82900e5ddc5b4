package telegramtest

import (
	"bytes"
	"time"
)

// The helpers below play the customer's side: each creates the update
// Telegram would send the bot when a user acts, queues it for getUpdates or
// the webhook, and returns it. Message ids increase per chat and update ids
// per bot. They panic if token was not registered with AddBot.

// UserSays makes from write text to the bot in their private chat, whose id
// is from.ID. Commands, mentions, hashtags and URLs get entities.
func (s *Server) UserSays(token string, from User, text string) Update {
	return s.mustBot(token).customerMessage(privateChat(from), from, func(_ *chatState, m *Message) {
		m.Text, m.Entities = text, detectEntities(text)
	})
}

// GroupSays makes from write text in group (type "group" unless set).
func (s *Server) GroupSays(token string, group Chat, from User, text string) Update {
	if group.Type == "" {
		group.Type = ChatGroup
	}
	return s.mustBot(token).customerMessage(group, from, func(_ *chatState, m *Message) {
		m.Text, m.Entities = text, detectEntities(text)
	})
}

// UserReplies makes from answer message replyTo of their private chat (one
// of theirs or one the bot sent) with text.
func (s *Server) UserReplies(token string, from User, replyTo int, text string) Update {
	return s.mustBot(token).customerMessage(privateChat(from), from, func(cs *chatState, m *Message) {
		m.Text, m.Entities = text, detectEntities(text)
		m.ReplyToMessage = quote(cs, replyTo)
	})
}

// UserEdits makes from change the text of their message messageID, which
// Telegram reports as an edited_message with the original date and an
// edit_date.
func (s *Server) UserEdits(token string, from User, messageID int, newText string) Update {
	b := s.mustBot(token)
	b.mu.Lock()
	defer b.mu.Unlock()
	cs := b.learnChatLocked(privateChat(from))
	now := time.Now().Unix()
	m := &Message{MessageID: messageID, From: &from, Chat: cs.chat, Date: now}
	if orig := cs.messages[messageID]; orig != nil {
		copied := *orig
		m = &copied
	}
	m.Text, m.Entities, m.EditDate = newText, detectEntities(newText), now
	cs.messages[messageID] = m
	u := Update{EditedMessage: m}
	b.enqueueUpdateLocked(&u, "edited_message")
	return u
}

// UserSendsPhoto makes from send an image (GIF, JPEG or PNG; anything else
// gets placeholder dimensions). getFile and downloads serve data.
func (s *Server) UserSendsPhoto(token string, from User, name string, data []byte, caption string) Update {
	b := s.mustBot(token)
	f := s.customerFile(b, "photo", name, data)
	f.width, f.height, _ = imageSize(data)
	if f.width == 0 {
		f.width, f.height = placeholderSide, placeholderSide
	}
	return b.customerMessage(privateChat(from), from, withFile(f, caption))
}

// UserSendsDocument makes from send a file named name.
func (s *Server) UserSendsDocument(token string, from User, name string, data []byte, caption string) Update {
	b := s.mustBot(token)
	return b.customerMessage(privateChat(from), from, withFile(s.customerFile(b, "document", name, data), caption))
}

// UserSendsVoice makes from send a voice note lasting seconds.
func (s *Server) UserSendsVoice(token string, from User, data []byte, seconds int) Update {
	b := s.mustBot(token)
	f := s.customerFile(b, "voice", "", data)
	f.mime, f.duration = "audio/ogg", seconds
	return b.customerMessage(privateChat(from), from, withFile(f, ""))
}

// UserSendsSticker makes from send a regular sticker showing emoji.
func (s *Server) UserSendsSticker(token string, from User, emoji string) Update {
	b := s.mustBot(token)
	f := s.customerFile(b, "sticker", "", []byte("RIFF\x0c\x00\x00\x00WEBPVP8 "))
	f.width, f.height, f.emoji = placeholderSide, placeholderSide, emoji
	return b.customerMessage(privateChat(from), from, withFile(f, ""))
}

// UserSendsLocation makes from share a location.
func (s *Server) UserSendsLocation(token string, from User, latitude, longitude float64) Update {
	return s.mustBot(token).customerMessage(privateChat(from), from, func(_ *chatState, m *Message) {
		m.Location = &Location{Latitude: latitude, Longitude: longitude}
	})
}

// UserSendsContact makes from share a contact; to share their own, set
// contact.UserID to from.ID.
func (s *Server) UserSendsContact(token string, from User, contact Contact) Update {
	return s.mustBot(token).customerMessage(privateChat(from), from, func(_ *chatState, m *Message) {
		m.Contact = &contact
	})
}

// UserBlocksBot makes from block the bot: Telegram sends a my_chat_member
// update (member → kicked) and later sends answer 403 "bot was blocked by
// the user".
func (s *Server) UserBlocksBot(token string, from User) Update {
	return s.mustBot(token).memberChange(from, "member", "kicked")
}

// UserUnblocksBot makes from unblock (restart) the bot: a my_chat_member
// update kicked → member, and sends work again.
func (s *Server) UserUnblocksBot(token string, from User) Update {
	return s.mustBot(token).memberChange(from, "kicked", "member")
}

func (b *bot) memberChange(from User, oldStatus, newStatus string) Update {
	b.mu.Lock()
	defer b.mu.Unlock()
	cs := b.learnChatLocked(privateChat(from))
	cs.blocked = newStatus == "kicked"
	change := &ChatMemberUpdated{
		Chat:          cs.chat,
		From:          from,
		Date:          time.Now().Unix(),
		OldChatMember: member(b.user(), oldStatus),
		NewChatMember: member(b.user(), newStatus),
	}
	u := Update{MyChatMember: change}
	b.enqueueUpdateLocked(&u, "my_chat_member")
	return u
}

func member(u User, status string) ChatMember {
	m := ChatMember{User: u, Status: status}
	if status == "kicked" {
		forever := int64(0)
		m.UntilDate = &forever
	}
	return m
}

// customerMessage stores a message from a user in chat and queues its
// update; fill sets the content.
func (b *bot) customerMessage(chat Chat, from User, fill func(cs *chatState, m *Message)) Update {
	b.mu.Lock()
	defer b.mu.Unlock()
	cs := b.learnChatLocked(chat)
	cs.lastMessageID++
	m := &Message{MessageID: cs.lastMessageID, From: &from, Chat: cs.chat, Date: time.Now().Unix()}
	fill(cs, m)
	cs.messages[m.MessageID] = m
	u := Update{Message: m}
	b.enqueueUpdateLocked(&u, "message")
	return u
}

// customerFile stores a copy of data as a file the bot can fetch.
func (s *Server) customerFile(b *bot, kind, name string, data []byte) *storedFile {
	k := s.media[kind]
	f := b.files.newFile(k, name, int64(len(data)))
	f.data = bytes.Clone(data)
	if f.data == nil {
		f.data = []byte{}
	}
	f.mime = mimeType(name, data, k.mime)
	b.files.add(f)
	return f
}

func withFile(f *storedFile, caption string) func(*chatState, *Message) {
	return func(_ *chatState, m *Message) {
		f.attach(m)
		m.Caption = caption
		if caption != "" {
			m.CaptionEntities = detectEntities(caption)
		}
	}
}

// quote returns message id of cs as it appears in reply_to_message, or nil
// if the chat has no such message.
func quote(cs *chatState, id int) *Message {
	orig := cs.messages[id]
	if orig == nil {
		return nil
	}
	copied := *orig
	copied.ReplyToMessage = nil
	return &copied
}
