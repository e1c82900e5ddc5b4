package crm

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/events"
)

// CreateContactsTx adds several contacts in tx with one insert and one
// batch of events: people writing for the first time, many at once. The
// inputs hold names and handles only (no company, owner, tags or custom
// values, which need checks one by one); any other field is refused.
func (s *Service) CreateContactsTx(ctx context.Context, tx bun.Tx, a org.Actor, list []ContactInput) ([]Contact, error) {
	if len(list) == 0 {
		return nil, nil
	}
	now := s.now().UTC()
	out := make([]Contact, len(list))
	evs := make([]events.Event, len(list))
	for i, in := range list {
		if in.CompanyID != nil || in.OwnerID != nil || in.Tags != nil || len(in.CustomFields) > 0 {
			return nil, errors.New("crm: CreateContactsTx takes names and handles only")
		}
		c := Contact{ID: db.NewID(), OrgID: a.OrgID, CustomFieldsText: "{}", CreatedAt: now, UpdatedAt: now}
		if _, err := in.apply(&c); err != nil {
			return nil, err
		}
		c.SearchText = contactSearchText(c, "")
		out[i] = c
		payload, err := json.Marshal(contactPayload(c))
		if err != nil {
			return nil, err
		}
		evs[i] = events.Event{OrgID: a.OrgID, Type: "contact.created", SubjectID: c.ID, Actor: a.EventActor(), Payload: payload}
	}
	if _, err := tx.NewInsert().Model(&out).Exec(ctx); err != nil {
		return nil, emailConflict(err)
	}
	if _, err := s.events.RecordAll(ctx, tx, evs); err != nil {
		return nil, err
	}
	for i := range out {
		out[i] = decodeContact(out[i])
	}
	return out, nil
}

// ContactIDsByTelegram finds the org's contacts by Telegram username (any
// case, the oldest for each), keyed by the lowercased name.
func (s *Service) ContactIDsByTelegram(ctx context.Context, q bun.IDB, orgID string, usernames []string) (map[string]string, error) {
	keys := make([]string, 0, len(usernames))
	for _, u := range usernames {
		if k := TelegramKey(u); k != "" {
			keys = append(keys, k)
		}
	}
	out := map[string]string{}
	if len(keys) == 0 {
		return out, nil
	}
	var rows []struct {
		ID          string `bun:"id"`
		TelegramKey string `bun:"telegram_key"`
	}
	err := q.NewSelect().Model((*Contact)(nil)).Column("id", "telegram_key").Where("org_id = ?", orgID).
		Where("telegram_key IN (?)", bun.In(keys)).OrderExpr("created_at DESC, id DESC").Scan(ctx, &rows)
	for _, r := range rows {
		out[r.TelegramKey] = r.ID // the last written is the oldest
	}
	return out, err
}

// TelegramKey is how a Telegram username is matched: without "@", any case.
func TelegramKey(username string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(username), "@"))
}
