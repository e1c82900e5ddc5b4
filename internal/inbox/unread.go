package inbox

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
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

// maxUnreadChats bounds the per-chat list of GET /chats/unread (the chats
// with the latest unread messages); the total always counts every chat.
const maxUnreadChats = 100

// Unread reads the caller's unread counts. They are kept per member as
// messages arrive and are read, so this reads the caller's own rows (from
// one covering index) and never the messages.
func (s *Service) Unread(ctx context.Context, a org.Actor) (Unread, error) {
	u := Unread{Chats: []ChatUnread{}}
	if a.UserID == "" {
		return u, nil
	}
	var err error
	if u.Total, err = s.UnreadTotal(ctx, a); err != nil || u.Total == 0 {
		return u, err
	}
	rows, err := s.unread.chats.Rows(ctx, a.UserID, a.OrgID)
	if err != nil {
		return u, err
	}
	defer rows.Close()
	for rows.Next() {
		var c ChatUnread
		if err := rows.Scan(&c.ChatID, &c.UnreadCount); err != nil {
			return u, err
		}
		u.Chats = append(u.Chats, c)
	}
	return u, rows.Err()
}

// unreadReads are the queries of a member's unread counts.
type unreadReads struct{ total, chats *db.Prepared }

func prepareUnreadReads(d *db.DB) unreadReads {
	mine := func(q *bun.SelectQuery, p *db.Params) *bun.SelectQuery {
		return q.Where("user_id = ?", p.Next()).Where("org_id = ?", p.Next())
	}
	return unreadReads{
		total: d.PrepareRead(func(q *bun.SelectQuery, p *db.Params) *bun.SelectQuery {
			return mine(q.Model((*unreadTotal)(nil)).ColumnExpr("COALESCE(SUM(total), 0)"), p)
		}),
		chats: d.PrepareRead(func(q *bun.SelectQuery, p *db.Params) *bun.SelectQuery {
			return mine(q.Model((*unreadRow)(nil)).Column("chat_id", "count"), p).
				OrderExpr("last_at DESC, chat_id DESC").Limit(maxUnreadChats)
		}),
	}
}

// UnreadTotal is the caller's count of unread messages over all chats,
// summed from its shard rows.
func (s *Service) UnreadTotal(ctx context.Context, a org.Actor) (int, error) {
	total := 0
	if a.UserID == "" {
		return 0, nil
	}
	err := s.unread.total.Scan(ctx, &total, a.UserID, a.OrgID)
	return total, err
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
		var counts []int
		if err := tx.NewRaw("DELETE FROM chat_unread WHERE user_id = ? AND chat_id = ? RETURNING count", a.UserID, chat.ID).
			Scan(ctx, &counts); err != nil {
			return err
		}
		if len(counts) == 0 {
			return nil // read at the same moment elsewhere
		}
		if _, err := tx.NewUpdate().Model((*unreadTotal)(nil)).Set("total = total - ?", counts[0]).Where("user_id = ?", a.UserID).
			Where("org_id = ?", a.OrgID).Where("shard = ?", unreadShard(chat.ID)).Exec(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx, a.OrgID, a.EventActor(), "chat.read", chat.ID, map[string]any{"user_id": a.UserID, "chat_id": chat.ID})
	})
	return chat, err
}

// unreadShards is how many rows hold each member's unread total.
const unreadShards = 8

type unreadTotal struct {
	bun.BaseModel `bun:"table:chat_unread_totals"`
	UserID        string `bun:"user_id,pk"`
	OrgID         string `bun:"org_id,pk"`
	Shard         int    `bun:"shard,pk"`
	Total         int    `bun:"total"`
}

// unreadShard is the shard of a chat's share of the totals: from the
// random tail of its UUIDv7 id.
func unreadShard(chatID string) int {
	if chatID == "" {
		return 0
	}
	return int(chatID[len(chatID)-1]) % unreadShards
}
