package inbox

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// ChatFilter narrows the chat list.
type ChatFilter struct {
	Status     string // open | closed | "" (both)
	AssigneeID string // a member's id, "me", "none", or "" (anyone)
	ChannelID  string
	ContactID  string
	Q          string // words in the title
	Cursor     string
	Limit      int
}

type chatCursor struct {
	At time.Time `json:"t"`
	ID string    `json:"i"`
}

// Chats lists the org's chats, latest activity first, with the caller's
// unread counts.
func (s *Service) Chats(ctx context.Context, a org.Actor, f ChatFilter) ([]Chat, string, error) {
	limit := httpx.Limit(f.Limit)
	list := []Chat{}
	q := s.selectChats(s.db.Read, &list, a).Where("chat.org_id = ?", a.OrgID)
	switch f.Status {
	case "":
	case ChatOpen, ChatClosed:
		q.Where("chat.status = ?", f.Status)
	default:
		return nil, "", httpx.Invalid("query.status", "Use open or closed.")
	}
	switch f.AssigneeID {
	case "":
	case "none":
		q.Where("chat.assignee_id IS NULL")
	case "me":
		q.Where("chat.assignee_id = ?", a.UserID)
	default:
		q.Where("chat.assignee_id = ?", f.AssigneeID)
	}
	if f.ChannelID != "" {
		q.Where("chat.channel_id = ?", f.ChannelID)
	}
	if f.ContactID != "" {
		q.Where("chat.contact_id = ?", f.ContactID)
	}
	if words := strings.Fields(strings.ToLower(f.Q)); len(words) > 0 {
		for _, w := range words {
			q.Where("LOWER(chat.title) LIKE ? ESCAPE '\\'", "%"+likeEscape(w)+"%")
		}
	}
	var cur chatCursor
	if ok, err := httpx.DecodeCursor(f.Cursor, &cur); err != nil {
		return nil, "", httpx.Invalid("query.cursor", "This cursor is not one Kite gave out.")
	} else if ok {
		q.Where("(chat.sort_at < ? OR (chat.sort_at = ? AND chat.id < ?))", cur.At, cur.At, cur.ID)
	}
	if err := q.OrderExpr("chat.sort_at DESC, chat.id DESC").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return nil, "", err
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		last := list[limit-1]
		next = httpx.EncodeCursor(chatCursor{last.SortAt, last.ID})
	}
	return list, next, nil
}

// selectChats selects chats with the caller's unread count.
func (s *Service) selectChats(q bun.IDB, dst any, a org.Actor) *bun.SelectQuery {
	return q.NewSelect().Model(dst).ColumnExpr("chat.*").ColumnExpr("COALESCE(u.count, 0) AS unread_count").
		Join("LEFT JOIN chat_unread AS u ON u.chat_id = chat.id AND u.user_id = ?", a.UserID)
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Chat reads one chat of the org with the caller's unread count.
func (s *Service) Chat(ctx context.Context, a org.Actor, id string) (Chat, error) {
	if !db.ValidID(id) {
		return Chat{}, errChatNotFound
	}
	var list []Chat
	if err := s.selectChats(s.db.Read, &list, a).Where("chat.org_id = ?", a.OrgID).Where("chat.id = ?", id).Scan(ctx); err != nil {
		return Chat{}, err
	}
	if len(list) == 0 {
		return Chat{}, errChatNotFound
	}
	return list[0], nil
}

// NewChat starts a conversation with a contact on a channel.
type NewChat struct {
	ChannelID string `json:"channel_id" maxLength:"64"`
	ContactID string `json:"contact_id" maxLength:"64"`
}

// StartChat opens the chat with a contact on a channel, or returns the one
// that exists (created = false). The contact must have written to the
// channel before (Telegram bots cannot message someone first).
func (s *Service) StartChat(ctx context.Context, a org.Actor, in NewChat) (chat Chat, created bool, err error) {
	ch, err := s.ChannelByID(ctx, a.OrgID, in.ChannelID)
	if err != nil || ch.Status == ChannelDisconnected {
		return Chat{}, false, invalidField("channel_id", "No connected channel of this organization has this id.")
	}
	c, err := s.crm.Contact(ctx, a.OrgID, in.ContactID)
	if err != nil {
		return Chat{}, false, invalidField("contact_id", "No contact of this organization has this id.")
	}
	var handles []string
	if err := s.db.Read.NewSelect().Table("contact_handles").Column("handle").Where("org_id = ?", a.OrgID).
		Where("kind = ?", ch.Kind).Where("contact_id = ?", c.ID).OrderExpr("handle").Limit(1).Scan(ctx, &handles); err != nil {
		return Chat{}, false, err
	}
	if len(handles) == 0 {
		return Chat{}, false, httpx.NewProblem(http.StatusUnprocessableEntity, "no_handle",
			"This contact has not written to this channel yet, and a bot can only answer people who wrote to it first.")
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var found []Chat
		if err := tx.NewSelect().Model(&found).Where("channel_id = ?", ch.ID).Where("external_id = ?", handles[0]).Scan(ctx); err != nil {
			return err
		}
		if len(found) == 1 {
			chat = found[0]
			return nil
		}
		now := s.now()
		chat = Chat{ID: db.NewID(), OrgID: a.OrgID, ChannelID: ch.ID, ChannelKind: ch.Kind, ExternalID: handles[0], Kind: ChatPrivate,
			Title: strings.TrimSpace(c.FirstName + " " + c.LastName), ContactID: &c.ID, Status: ChatOpen, SortAt: now, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(&chat).Exec(ctx); err != nil {
			return err
		}
		created = true
		return s.record(ctx, tx, a.OrgID, a.EventActor(), "chat.created", chat.ID, chatEvent(chat))
	})
	return chat, created, err
}

// ChatUpdate changes a chat; absent fields stay as they are.
type ChatUpdate struct {
	AssigneeID *string `json:"assignee_id,omitempty" maxLength:"64" doc:"A member's id; empty string unassigns"`
	Status     *string `json:"status,omitempty" enum:"open,closed"`
	ContactID  *string `json:"contact_id,omitempty" maxLength:"64" doc:"Link the chat to another contact (private chats: later chats of this person follow)"`
}

// UpdateChat assigns, closes or reopens a chat, or links it to another contact.
func (s *Service) UpdateChat(ctx context.Context, a org.Actor, id string, in ChatUpdate) (Chat, error) {
	chat, err := s.Chat(ctx, a, id)
	if err != nil {
		return chat, err
	}
	if err := a.Allowed(); err != nil {
		return chat, err
	}
	if in.AssigneeID != nil {
		switch v := strings.TrimSpace(*in.AssigneeID); {
		case v == "":
			chat.AssigneeID = nil
		case !db.ValidID(v):
			return chat, invalidField("assignee_id", "No member of this organization has this id.")
		default:
			if _, err := s.orgs.RoleOf(ctx, a.OrgID, v); err != nil {
				return chat, invalidField("assignee_id", "No member of this organization has this id.")
			}
			chat.AssigneeID = &v
		}
	}
	if in.ContactID != nil {
		c, err := s.crm.Contact(ctx, a.OrgID, *in.ContactID)
		if err != nil {
			return chat, invalidField("contact_id", "No contact of this organization has this id.")
		}
		chat.ContactID = &c.ID
	}
	if in.Status != nil {
		if *in.Status != ChatOpen && *in.Status != ChatClosed {
			return chat, invalidField("status", "A chat is open or closed.")
		}
		chat.Status = *in.Status
	}
	chat.UpdatedAt = s.now()
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model(&chat).Column("assignee_id", "contact_id", "status", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		ev := chatEvent(chat)
		if in.AssigneeID != nil {
			if err := s.record(ctx, tx, a.OrgID, a.EventActor(), "chat.assigned", chat.ID, ev); err != nil {
				return err
			}
		}
		if in.Status != nil {
			if err := s.record(ctx, tx, a.OrgID, a.EventActor(), "chat."+map[string]string{ChatOpen: "reopened", ChatClosed: "closed"}[chat.Status], chat.ID, ev); err != nil {
				return err
			}
		}
		if in.ContactID != nil {
			if chat.Kind == ChatPrivate {
				if _, err := tx.NewRaw(`INSERT INTO contact_handles (org_id, kind, handle, contact_id) VALUES (?, ?, ?, ?)
					ON CONFLICT (org_id, kind, handle) DO UPDATE SET contact_id = excluded.contact_id`,
					a.OrgID, chat.ChannelKind, chat.ExternalID, *chat.ContactID).Exec(ctx); err != nil {
					return err
				}
			}
			return s.record(ctx, tx, a.OrgID, a.EventActor(), "chat.relinked", chat.ID, ev)
		}
		return nil
	})
	return chat, err
}

// relatedChats gives the CRM a contact's (or a company's people's) chats,
// whose messages belong in its timeline.
func (s *Service) relatedChats(ctx context.Context, orgID, subject, id string) ([]string, error) {
	var ids []string
	q := s.db.Read.NewSelect().Model((*Chat)(nil)).Column("chat.id").Where("chat.org_id = ?", orgID)
	if subject == crm.SubjectCompany {
		q.Join("JOIN contacts AS ct ON ct.id = chat.contact_id").Where("ct.org_id = ?", orgID).Where("ct.company_id = ?", id)
	} else {
		q.Where("chat.contact_id = ?", id)
	}
	err := q.OrderExpr("chat.sort_at DESC").Limit(200).Scan(ctx, &ids)
	return ids, err
}
