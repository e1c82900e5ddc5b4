package inbox

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/org"
)

// Unread is the caller's unread inbound messages: the total and per chat.
type Unread struct {
	Total int          `json:"total"`
	Chats []ChatUnread `json:"chats"`
}

// ChatUnread is one chat's unread count.
type ChatUnread struct {
	ChatID      string `json:"chat_id"`
	UnreadCount int    `json:"unread_count"`
}

// maxUnreadChats bounds the per-chat list of GET /chats/unread; the total
// always counts every chat.
const maxUnreadChats = 500

// Unread reads the caller's unread counts. They are kept per member as
// messages arrive and are read, so this reads the caller's own rows and
// never the messages.
func (s *Service) Unread(ctx context.Context, a org.Actor) (Unread, error) {
	u := Unread{Chats: []ChatUnread{}}
	if a.UserID == "" {
		return u, nil
	}
	var rows []unreadRow
	if err := s.db.Read.NewSelect().Model(&rows).Column("chat_id", "count").Where("user_id = ?", a.UserID).
		Where("org_id = ?", a.OrgID).Scan(ctx); err != nil {
		return u, err
	}
	for _, r := range rows {
		u.Total += r.Count
		if len(u.Chats) < maxUnreadChats {
			u.Chats = append(u.Chats, ChatUnread{ChatID: r.ChatID, UnreadCount: r.Count})
		}
	}
	return u, nil
}

// MarkRead marks every message of the chat read for the caller.
func (s *Service) MarkRead(ctx context.Context, a org.Actor, id string) (Chat, error) {
	chat, err := s.Chat(ctx, a, id)
	if err != nil || a.UserID == "" {
		return chat, err
	}
	had := chat.UnreadCount
	chat.UnreadCount = 0
	if had == 0 {
		return chat, nil
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model((*unreadRow)(nil)).Where("user_id = ?", a.UserID).Where("chat_id = ?", chat.ID).Exec(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx, a.OrgID, a.EventActor(), "chat.read", chat.ID, map[string]any{"user_id": a.UserID, "chat_id": chat.ID})
	})
	return chat, err
}
