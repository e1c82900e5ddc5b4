package inbox

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

type messageCursor struct {
	At time.Time `json:"t"`
	ID string    `json:"i"`
}

// Messages lists a chat's messages, newest first; the cursor pages back in time.
func (s *Service) Messages(ctx context.Context, a org.Actor, chatID, cursor string, limit int) ([]Message, string, error) {
	if _, err := s.Chat(ctx, a, chatID); err != nil {
		return nil, "", err
	}
	limit = httpx.Limit(limit)
	list := []Message{}
	q := s.db.Read.NewSelect().Model(&list).Where("message.chat_id = ?", chatID)
	var cur messageCursor
	if ok, err := httpx.DecodeCursor(cursor, &cur); err != nil {
		return nil, "", httpx.Invalid("query.cursor", "This cursor is not one Kite gave out.")
	} else if ok {
		q.Where("(message.created_at < ? OR (message.created_at = ? AND message.id < ?))", cur.At, cur.At, cur.ID)
	}
	if err := q.OrderExpr("message.created_at DESC, message.id DESC").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return nil, "", err
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		next = httpx.EncodeCursor(messageCursor{list[limit-1].CreatedAt, list[limit-1].ID})
	}
	for i := range list {
		list[i].fill()
	}
	return list, next, nil
}

// Message reads one message of the org.
func (s *Service) Message(ctx context.Context, orgID, id string) (Message, error) {
	var m Message
	err := db.LoadInOrg(ctx, s.db.Read, &m, orgID, id, errMessageNotFound)
	m.fill()
	return m, err
}

// Outgoing is a message a member (or an agent, or a campaign) sends.
type Outgoing struct {
	Text        string         `json:"text,omitempty" maxLength:"20000" doc:"Longer than the channel's limit is sent as several messages"`
	ReplyToID   *string        `json:"reply_to_id,omitempty" maxLength:"64" doc:"A message of this chat to reply to"`
	Attachments []OutgoingFile `json:"attachments,omitempty" maxItems:"10" doc:"Files uploaded with POST /files; the text is their caption when it fits"`
}

// maxOutgoingText bounds one outgoing message (a channel splits it further).
const maxOutgoingText = 20000

// Send queues a message for the chat's channel and returns it queued; the
// channel's sender delivers it at the channel's pace, in order per chat.
func (s *Service) Send(ctx context.Context, a org.Actor, chatID string, in Outgoing) (Message, error) {
	chat, err := s.Chat(ctx, a, chatID)
	if err != nil {
		return Message{}, err
	}
	if err := a.Allowed(); err != nil {
		return Message{}, err
	}
	text := strings.TrimSpace(in.Text)
	switch {
	case text == "" && len(in.Attachments) == 0:
		return Message{}, invalidField("text", "Write something to send, or attach a file.")
	case !utf8.ValidString(text):
		return Message{}, invalidField("text", "Not valid text.")
	case utf8.RuneCountInString(text) > maxOutgoingText:
		return Message{}, invalidField("text", "A message has at most 20,000 characters.")
	}
	ch, err := s.ChannelByID(ctx, a.OrgID, chat.ChannelID)
	if err != nil {
		return Message{}, err
	}
	if ch.Status == ChannelDisconnected {
		return Message{}, httpx.Invalid("path.id", "This chat's channel is disconnected; connect it again to answer.")
	}
	files, err := s.attachmentsOf(ctx, a.OrgID, in.Attachments)
	if err != nil {
		return Message{}, err
	}
	if c, ok := s.channel(ch.Kind); len(files) > 0 && ok && !c.Capabilities().Attachments {
		return Message{}, invalidField("attachments", "This channel sends no files.")
	}
	m := Message{ID: db.NewID(), OrgID: a.OrgID, ChatID: chat.ID, ChannelID: chat.ChannelID, Direction: Out,
		SenderKind: SenderUser, SenderID: a.ID(), SenderName: a.Name, Text: text, SearchText: crm.FoldForSearch(text),
		AttachmentsText: encodeAttachments(files), Status: StatusQueued, CreatedAt: s.now()}
	if in.ReplyToID != nil && *in.ReplyToID != "" {
		r, err := s.Message(ctx, a.OrgID, *in.ReplyToID)
		if err != nil || r.ChatID != chat.ID {
			return Message{}, invalidField("reply_to_id", "No message of this chat has this id.")
		}
		m.ReplyToID = &r.ID
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&m).Exec(ctx); err != nil {
			return err
		}
		if err := s.touchChat(ctx, tx, &chat, m); err != nil {
			return err
		}
		m.fill()
		return s.record(ctx, tx, a.OrgID, a.EventActor(), "message.queued", m.ChatID, messageEvent(chat, m))
	})
	if err != nil {
		return Message{}, err
	}
	s.wakeSender(ch.ID)
	return m, nil
}

// touchChat makes an outgoing message the chat's latest (received ones
// are stored by storeInbound).
func (s *Service) touchChat(ctx context.Context, tx bun.Tx, chat *Chat, m Message) error {
	chat.LastMessageAt, chat.LastMessagePreview, chat.SortAt, chat.UpdatedAt = &m.CreatedAt, preview(m), m.CreatedAt, s.now()
	_, err := tx.NewUpdate().Model(chat).Column("last_message_at", "last_message_preview", "sort_at", "updated_at").WherePK().Exec(ctx)
	return err
}

// SearchMessages finds the org's messages containing every word of q (as
// prefixes), newest first; chatID narrows to one chat.
func (s *Service) SearchMessages(ctx context.Context, a org.Actor, q, chatID string, limit int) ([]Message, error) {
	tokens := crm.SearchTokens(q)
	list := []Message{}
	if len(tokens) == 0 {
		return list, nil
	}
	query := s.db.Read.NewSelect().Model(&list).Where("message.org_id = ?", a.OrgID)
	if chatID != "" {
		query.Where("message.chat_id = ?", chatID)
	}
	if s.db.Kind == db.Postgres {
		expr, args := db.TSQuery(tokens)
		query.Where("message.search_tsv @@ ("+expr+")", args...)
	} else {
		query.Where("message.rowid IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)", db.FTSQuery(tokens))
	}
	if err := query.OrderExpr("message.created_at DESC, message.id DESC").Limit(int64(httpx.Limit(limit))).Scan(ctx); err != nil {
		return nil, err
	}
	for i := range list {
		list[i].fill()
	}
	return list, nil
}

// Typing shows the channel's typing indicator in a chat.
func (s *Service) Typing(ctx context.Context, a org.Actor, chatID string) error {
	chat, err := s.Chat(ctx, a, chatID)
	if err != nil {
		return err
	}
	if err := a.Allowed(); err != nil {
		return err
	}
	ch, err := s.ChannelByID(ctx, a.OrgID, chat.ChannelID)
	if err != nil {
		return err
	}
	c, ok := s.channel(ch.Kind)
	if !ok || !c.Capabilities().Typing || ch.Status != ChannelActive {
		return nil
	}
	return c.Typing(ctx, ch, chat)
}

// Retry queues a failed outgoing message again.
func (s *Service) Retry(ctx context.Context, a org.Actor, id string) (Message, error) {
	m, err := s.Message(ctx, a.OrgID, id)
	if err != nil {
		return m, err
	}
	if err := a.Allowed(); err != nil {
		return m, err
	}
	if m.Direction != Out || m.Status != StatusFailed {
		return m, httpx.NewProblem(409, "not_failed", "Only a failed outgoing message can be sent again.")
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*Message)(nil)).Set("status = ?", StatusQueued).Set("error = ''").
			Where("id = ?", m.ID).Where("status = ?", StatusFailed).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return httpx.NewProblem(409, "not_failed", "Only a failed outgoing message can be sent again.")
		}
		m.Status, m.Error = StatusQueued, ""
		return s.record(ctx, tx, a.OrgID, a.EventActor(), "message.queued", m.ChatID, map[string]any{"chat_id": m.ChatID, "message": m})
	})
	if err == nil {
		s.wakeSender(m.ChannelID)
	}
	return m, err
}
