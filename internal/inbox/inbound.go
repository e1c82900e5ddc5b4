package inbox

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
)

// What an inbound delivery does to a chat.
const (
	InboundMessage   = "message"
	InboundEdit      = "edit"
	InboundBlocked   = "blocked"
	InboundUnblocked = "unblocked"
)

// Inbound is one thing a channel delivers: a message, an edit of one, or
// the person blocking or unblocking the account.
type Inbound struct {
	Kind       string // InboundMessage, InboundEdit, InboundBlocked, InboundUnblocked
	Chat       InboundChat
	From       Person
	ExternalID string // the message's id in the chat
	Text       string
	// Attachments with an ExternalID are fetched in the background.
	Attachments []Attachment
	ReplyTo     string // the external id of the message replied to
	At          time.Time
}

// InboundChat identifies the conversation at the channel.
type InboundChat struct {
	ExternalID string
	Kind       string // ChatPrivate | ChatGroup
	Title      string
}

// Person is who wrote: their address on the channel and their names.
type Person struct {
	Handle    string // telegram: the user id
	FirstName string
	LastName  string
	Username  string
}

func (p Person) name() string {
	n := strings.TrimSpace(p.FirstName + " " + p.LastName)
	if n == "" && p.Username != "" {
		n = "@" + p.Username
	}
	return n
}

// Receive stores one inbound delivery exactly once: key (unique per
// channel, e.g. the update id) is recorded in the same transaction as the
// messages it brings, so a repeat is recognised and changes nothing. It
// reports whether key was seen before. The caller acknowledges the
// delivery only after Receive returns without error.
func (s *Service) Receive(ctx context.Context, ch ChannelRecord, key string, items []Inbound) (duplicate bool, err error) {
	s.mu.Lock()
	batcher, stopped := s.receiving, s.receiverStopped
	s.mu.Unlock()
	if batcher == nil {
		return s.receiveNow(ctx, ch, key, items)
	}
	r := &receiveReq{ch: ch, key: key, items: items, done: make(chan receiveResult, 1)}
	select {
	case batcher <- r:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	// Once handed over, the delivery is stored whether or not the caller
	// still waits: it answers only after the commit.
	select {
	case res := <-r.done:
		return res.duplicate, res.err
	case <-stopped:
		// The writers stopped (shutdown) and never took this one.
		select {
		case res := <-r.done:
			return res.duplicate, res.err
		default:
			return s.receiveNow(ctx, ch, key, items)
		}
	}
}

// receiveNow stores one delivery in a transaction of its own.
func (s *Service) receiveNow(ctx context.Context, ch ChannelRecord, key string, items []Inbound) (duplicate bool, err error) {
	err = s.receiveTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewInsert().Model(&inboundKey{ChannelID: ch.ID, Key: key, CreatedAt: s.now()}).On("CONFLICT DO NOTHING").Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			duplicate = true
			return nil
		}
		for _, it := range items {
			if err := s.receiveOne(ctx, tx, ch, it); err != nil {
				return err
			}
		}
		return nil
	})
	return duplicate, err
}

type inboundKey struct {
	bun.BaseModel `bun:"table:inbound_keys"`
	ChannelID     string    `bun:"channel_id,pk"`
	Key           string    `bun:"key,pk"`
	CreatedAt     time.Time `bun:"created_at"`
}

func (s *Service) receiveOne(ctx context.Context, tx bun.Tx, ch ChannelRecord, it Inbound) error {
	chat, err := s.chatFor(ctx, tx, ch, it)
	if err != nil {
		return err
	}
	switch it.Kind {
	case InboundEdit:
		return s.receiveEdit(ctx, tx, ch, chat, it)
	case InboundBlocked, InboundUnblocked:
		return s.setBlocked(ctx, tx, ch, chat, it.Kind == InboundBlocked)
	}
	return s.receiveMessage(ctx, tx, ch, chat, it)
}

// chatFor finds the chat of an inbound delivery, creating it (and, for a
// private chat, linking or creating its contact) on first contact.
func (s *Service) chatFor(ctx context.Context, tx bun.Tx, ch ChannelRecord, it Inbound) (Chat, error) {
	var found []Chat
	if err := tx.NewSelect().Model(&found).Where("channel_id = ?", ch.ID).Where("external_id = ?", it.Chat.ExternalID).
		Limit(1).Scan(ctx); err != nil {
		return Chat{}, err
	}
	if len(found) == 1 {
		return found[0], nil
	}
	chat := s.newChat(ch, it)
	if chat.Kind == ChatPrivate {
		contactID, err := s.contactFor(ctx, tx, ch, it.From)
		if err != nil {
			return Chat{}, err
		}
		chat.ContactID = &contactID
	}
	if _, err := tx.NewInsert().Model(&chat).Exec(ctx); err != nil {
		return Chat{}, err
	}
	return chat, s.record(ctx, tx, ch.OrgID, "system:"+ch.Kind, "chat.created", chat.ID, chatEvent(chat))
}

// contactFor is the contact of a person writing from a channel: the one
// already known by their handle or username, else a new one.
func (s *Service) contactFor(ctx context.Context, tx bun.Tx, ch ChannelRecord, p Person) (string, error) {
	var ids []string
	if err := tx.NewSelect().Table("contact_handles").Column("contact_id").Where("org_id = ?", ch.OrgID).
		Where("kind = ?", ch.Kind).Where("handle = ?", p.Handle).Limit(1).Scan(ctx, &ids); err != nil {
		return "", err
	}
	if len(ids) == 1 {
		return ids[0], nil
	}
	id, err := s.crm.ContactIDByTelegram(ctx, tx, ch.OrgID, p.Username)
	if err != nil {
		return "", err
	}
	if id == "" {
		c, err := s.crm.CreateContactTx(ctx, tx, org.SystemActor(ch.OrgID, ch.Kind), personContact(p))
		if err != nil {
			return "", err
		}
		id = c.ID
	}
	_, err = tx.NewRaw("INSERT INTO contact_handles (org_id, kind, handle, contact_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
		ch.OrgID, ch.Kind, p.Handle, id).Exec(ctx)
	return id, err
}

func (s *Service) receiveMessage(ctx context.Context, tx bun.Tx, ch ChannelRecord, chat Chat, it Inbound) error {
	m := s.inboundMessage(ch, chat, it)
	if chat.Kind == ChatGroup {
		var ids []string
		if err := tx.NewSelect().Table("contact_handles").Column("contact_id").Where("org_id = ?", ch.OrgID).
			Where("kind = ?", ch.Kind).Where("handle = ?", it.From.Handle).Limit(1).Scan(ctx, &ids); err != nil {
			return err
		}
		if len(ids) == 1 {
			m.SenderID = ids[0]
		}
	}
	if it.ReplyTo != "" {
		var ids []string
		if err := tx.NewSelect().Model((*Message)(nil)).Column("id").Where("chat_id = ?", chat.ID).
			Where("external_id = ?", it.ReplyTo).Limit(1).Scan(ctx, &ids); err != nil {
			return err
		}
		if len(ids) == 1 {
			m.ReplyToID = &ids[0]
		}
	}
	return s.storeInbound(ctx, tx, []inboundRow{{chat: chat, msg: m}})
}

func (s *Service) receiveEdit(ctx context.Context, tx bun.Tx, ch ChannelRecord, chat Chat, it Inbound) error {
	var m Message
	err := tx.NewSelect().Model(&m).Where("chat_id = ?", chat.ID).Where("external_id = ?", it.ExternalID).Limit(1).Scan(ctx)
	if err != nil {
		if errors.Is(db.MapError(err), db.ErrNotFound) {
			// An edit of a message Kite never saw (sent before the bot was
			// connected): keep it as a message.
			return s.receiveMessage(ctx, tx, ch, chat, it)
		}
		return err
	}
	at := s.now()
	m.Text, m.SearchText, m.EditedAt = it.Text, crm.FoldForSearch(it.Text), &at
	if len(it.Attachments) > 0 {
		m.AttachmentsText = encodeAttachments(it.Attachments)
	}
	if _, err := tx.NewUpdate().Model(&m).Column("text", "search_text", "edited_at", "attachments").WherePK().Exec(ctx); err != nil {
		return err
	}
	m.fill()
	return s.record(ctx, tx, ch.OrgID, "system:"+ch.Kind, "message.edited", chat.ID, messageEvent(chat, m))
}

func (s *Service) setBlocked(ctx context.Context, tx bun.Tx, ch ChannelRecord, chat Chat, blocked bool) error {
	// Messages received earlier in this transaction reopen the chat and
	// unblock it: they are written first, so this change comes after them.
	if err := s.flushNews(ctx, tx); err != nil {
		return err
	}
	if err := tx.NewSelect().Model(&chat).Column("blocked").WherePK().Scan(ctx); err != nil {
		return err
	}
	if chat.Blocked == blocked {
		return nil
	}
	chat.Blocked, chat.UpdatedAt = blocked, s.now()
	if _, err := tx.NewUpdate().Model(&chat).Column("blocked", "updated_at").WherePK().Exec(ctx); err != nil {
		return err
	}
	typ := "chat.unblocked"
	if blocked {
		typ = "chat.blocked"
	}
	return s.record(ctx, tx, ch.OrgID, "system:"+ch.Kind, typ, chat.ID, chatEvent(chat))
}

// preview is the chat list's one line for a message.
func preview(m Message) string {
	if t := strings.Join(strings.Fields(m.Text), " "); t != "" {
		return truncate(t, 140)
	}
	for _, a := range decodeAttachments(m.AttachmentsText) {
		return "[" + strings.ToUpper(a.Kind[:1]) + strings.ReplaceAll(a.Kind[1:], "_", " ") + "]"
	}
	return ""
}

func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func chatEvent(c Chat) map[string]any {
	return map[string]any{"chat_id": c.ID, "channel_id": c.ChannelID, "kind": c.Kind, "title": c.Title, "contact_id": c.ContactID,
		"assignee_id": c.AssigneeID, "status": c.Status, "blocked": c.Blocked}
}

func messageEvent(c Chat, m Message) map[string]any {
	return map[string]any{"chat_id": c.ID, "contact_id": c.ContactID, "message": m}
}
