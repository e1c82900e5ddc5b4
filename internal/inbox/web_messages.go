package inbox

import (
	"context"
	"slices"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// What the chat window reads beyond the API's pages: the messages around
// a search hit, and the messages quoted by replies.

// MessagesAround reads a chat's messages around one of them, newest first
// (as Messages gives them): up to n at or before it and up to n after it. older is the cursor of
// the page before (as Messages gives); newer reports that more follow.
func (s *Service) MessagesAround(ctx context.Context, a org.Actor, chatID, messageID string, n int) (list []Message, older string, newer bool, err error) {
	m, err := s.Message(ctx, a.OrgID, messageID)
	if err != nil || m.ChatID != chatID {
		return nil, "", false, errMessageNotFound
	}
	after := []Message{}
	err = s.db.Read.NewSelect().Model(&after).Where("message.chat_id = ?", chatID).
		Where("(message.created_at > ? OR (message.created_at = ? AND message.id > ?))", m.CreatedAt, m.CreatedAt, m.ID).
		OrderExpr("message.created_at ASC, message.id ASC").Limit(int64(n + 1)).Scan(ctx)
	if err != nil {
		return nil, "", false, err
	}
	if newer = len(after) > n; newer {
		after = after[:n]
	}
	// The page ending at the hit: the messages before it, then the hit.
	before, older, err := s.Messages(ctx, a, chatID, httpx.EncodeCursor(messageCursor{m.CreatedAt, m.ID}), n-1)
	if err != nil {
		return nil, "", false, err
	}
	slices.Reverse(after)
	list = append(append(after, m), before...)
	for i := range list {
		list[i].fill()
	}
	return list, older, newer, nil
}

// quoted reads the messages that list replies to, by id.
func (s *Service) quoted(ctx context.Context, orgID string, list []Message) (map[string]Message, error) {
	var ids []string
	for _, m := range list {
		if m.ReplyToID != nil {
			ids = append(ids, *m.ReplyToID)
		}
	}
	out := map[string]Message{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []Message
	if err := s.db.Read.NewSelect().Model(&rows).Where("message.org_id = ?", orgID).Where("message.id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	for _, m := range rows {
		m.fill()
		out[m.ID] = m
	}
	return out, nil
}
