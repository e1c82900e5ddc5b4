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
	if a.UserID == "" {
		return Unread{Chats: []ChatUnread{}}, nil
	}
	st, err := s.unreadState(ctx, a)
	if err != nil {
		return Unread{Chats: []ChatUnread{}}, err
	}
	return s.unreadChats(ctx, a, st.Total)
}

// unreadChats is the caller's counts per chat, with total as read.
func (s *Service) unreadChats(ctx context.Context, a org.Actor, total int) (Unread, error) {
	u := Unread{Total: total, Chats: []ChatUnread{}}
	if total == 0 {
		return u, nil
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
type unreadReads struct{ state, chats *db.Prepared }

func prepareUnreadReads(d *db.DB) unreadReads {
	mine := func(q *bun.SelectQuery, p *db.Params) *bun.SelectQuery {
		return q.Where("user_id = ?", p.Next()).Where("org_id = ?", p.Next())
	}
	return unreadReads{
		state: d.PrepareRead(func(q *bun.SelectQuery, p *db.Params) *bun.SelectQuery {
			return mine(q.Model((*unreadTotal)(nil)).
				ColumnExpr("COALESCE(SUM(total), 0) AS total, COALESCE(SUM(version), 0) AS version"), p)
		}),
		chats: d.PrepareRead(func(q *bun.SelectQuery, p *db.Params) *bun.SelectQuery {
			return mine(q.Model((*unreadRow)(nil)).Column("chat_id", "count"), p).
				OrderExpr("last_at DESC, chat_id DESC").Limit(maxUnreadChats)
		}),
	}
}

// unreadSum is a member's unread total over all chats, summed from their
// shard rows, and the sum of the rows' versions.
type unreadSum struct {
	Total   int   `bun:"total"`
	Version int64 `bun:"version"`
}

func (s *Service) unreadState(ctx context.Context, a org.Actor) (unreadSum, error) {
	var st unreadSum
	err := s.unread.state.Scan(ctx, &st, a.UserID, a.OrgID)
	return st, err
}

// UnreadTotal is the caller's count of unread messages over all chats.
func (s *Service) UnreadTotal(ctx context.Context, a org.Actor) (int, error) {
	if a.UserID == "" {
		return 0, nil
	}
	st, err := s.unreadState(ctx, a)
	return st.Total, err
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
		if _, err := tx.NewUpdate().Model((*unreadTotal)(nil)).Set("total = total - ?", counts[0]).Set("version = version + 1").Where("user_id = ?", a.UserID).
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
	// Version counts the row's changes (see unread_cache.go).
	Version int64 `bun:"version"`
}

// unreadShard is the shard of a chat's share of the totals: from the
// random tail of its UUIDv7 id.
func unreadShard(chatID string) int {
	if chatID == "" {
		return 0
	}
	return int(chatID[len(chatID)-1]) % unreadShards
}
