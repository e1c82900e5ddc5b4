package telegramtest

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// BotInfo describes a bot registered with AddBot.
type BotInfo struct {
	ID        int64 // the numeric part of the token, which is the bot's user id
	Username  string
	FirstName string
	Token     string
}

// bot is the server-side state of one bot token. Its locks are its own, so
// traffic of one bot never waits for another.
type bot struct {
	info    BotInfo
	limits  Limits
	revoked atomic.Bool
	files   fileStore
	log     callLog

	mu         sync.Mutex // guards the fields below
	chats      map[int64]*chatState
	usernames  map[string]int64 // lower-cased @username → chat id
	window     window           // the bot-wide flood limit
	retryUntil time.Time        // deadline of the last bot-wide 429
	stats      Stats
	sent       []SentMessage
	upd        updateState
}

// chatState is what the bot knows about one chat.
type chatState struct {
	chat          Chat
	known         bool // seen in an update or added; others answer "chat not found"
	blocked       bool // the user blocked the bot, or the bot was kicked
	lastMessageID int
	messages      map[int]*Message // for reply_to_message; never mutated once stored
	window        window
	retryUntil    time.Time // deadline of the last 429 for this chat
	forced        int       // retry_after to force on the next send, from ForceRetryAfter
}

// AddBot registers a bot. The token must look like Telegram's, "123456:secret";
// its numeric part becomes the bot's id. Adding a token twice returns the bot
// registered first.
func (s *Server) AddBot(token, username string) BotInfo {
	idPart, _, ok := strings.Cut(token, ":")
	id, err := strconv.ParseInt(idPart, 10, 64)
	if !ok || err != nil || id <= 0 {
		panic(fmt.Sprintf("telegramtest: token %q is not of the form 123456:secret", token))
	}
	b := &bot{
		info:      BotInfo{ID: id, Username: username, FirstName: username, Token: token},
		limits:    s.limits,
		files:     fileStore{botID: id},
		chats:     make(map[int64]*chatState),
		usernames: make(map[string]int64),
	}
	actual, _ := s.bots.LoadOrStore(token, b)
	return actual.(*bot).info
}

// RevokeBot makes every later request with token answer 401 Unauthorized, as
// after /revoke in BotFather.
func (s *Server) RevokeBot(token string) {
	if b := s.lookup(token); b != nil {
		b.revoked.Store(true)
	}
}

// AddChat makes a chat known to the bot without an update, so sends to it
// succeed. On Telegram the chat would first have to talk to the bot.
func (s *Server) AddChat(token string, chat Chat) {
	b := s.mustBot(token)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.learnChatLocked(chat)
}

// BlockChat makes sends to chatID answer 403: "bot was blocked by the user"
// for a private chat, "bot was kicked from the ... chat" otherwise. It sends
// no update; UserBlocksBot does.
func (s *Server) BlockChat(token string, chatID int64) {
	s.setBlocked(token, chatID, true)
}

// UnblockChat undoes BlockChat.
func (s *Server) UnblockChat(token string, chatID int64) {
	s.setBlocked(token, chatID, false)
}

func (s *Server) setBlocked(token string, chatID int64, blocked bool) {
	b := s.mustBot(token)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.chatLocked(chatID).blocked = blocked
}

// user is the bot as it appears in "from" of its own messages.
func (b *bot) user() User {
	return User{ID: b.info.ID, IsBot: true, FirstName: b.info.FirstName, Username: b.info.Username}
}

// chatLocked returns the state of chat id, creating an unknown one if needed.
func (b *bot) chatLocked(id int64) *chatState {
	cs := b.chats[id]
	if cs == nil {
		cs = &chatState{chat: Chat{ID: id}, messages: make(map[int]*Message)}
		b.chats[id] = cs
	}
	return cs
}

// learnChatLocked records that the bot knows chat c, refreshing its details.
func (b *bot) learnChatLocked(c Chat) *chatState {
	if c.Type == "" {
		c.Type = ChatPrivate
		if c.ID < 0 {
			c.Type = ChatGroup
		}
	}
	cs := b.chatLocked(c.ID)
	cs.known, cs.chat = true, c
	if c.Username != "" {
		b.usernames[strings.ToLower(c.Username)] = c.ID
	}
	return cs
}

// writableChatLocked resolves a chat_id parameter (a number or @username) to a
// chat the bot may post in, with Telegram's errors otherwise.
func (b *bot) writableChatLocked(ref string) (*chatState, *apiError) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, badRequest("chat_id is empty")
	}
	var cs *chatState
	if name, ok := strings.CutPrefix(ref, "@"); ok {
		if id, found := b.usernames[strings.ToLower(name)]; found {
			cs = b.chats[id]
		}
	} else if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		cs = b.chats[id]
	}
	if cs == nil || !cs.known {
		return nil, badRequest("chat not found")
	}
	if cs.blocked {
		switch cs.chat.Type {
		case ChatPrivate:
			return nil, forbidden("bot was blocked by the user")
		case ChatSupergroup:
			return nil, forbidden("bot was kicked from the supergroup chat")
		case ChatChannel:
			return nil, forbidden("bot was kicked from the channel chat")
		default:
			return nil, forbidden("bot was kicked from the group chat")
		}
	}
	return cs, nil
}

// privateChat is the private chat between the bot and u, whose id is u's id.
func privateChat(u User) Chat {
	return Chat{ID: u.ID, Type: ChatPrivate, Username: u.Username, FirstName: u.FirstName, LastName: u.LastName}
}
