package inbox

import (
	"context"
	"errors"
	"net/http"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// Disconnector is implemented by channels that undo something at the
// provider when an account is disconnected (a Telegram webhook).
type Disconnector interface {
	Disconnect(ctx context.Context, ch ChannelRecord) error
}

// ConnectChannel stores a connected account. Connecting an account the org
// had before revives that channel (its chats and history come back); an
// account live in another org is a conflict.
func (s *Service) ConnectChannel(ctx context.Context, a org.Actor, rec ChannelRecord) (ChannelRecord, error) {
	now := s.now()
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var existing []ChannelRecord
		if err := tx.NewSelect().Model(&existing).Where("kind = ?", rec.Kind).Where("external_id = ?", rec.ExternalID).
			OrderExpr("created_at").Scan(ctx); err != nil {
			return err
		}
		var mine *ChannelRecord
		for i, e := range existing {
			switch {
			case e.OrgID == a.OrgID:
				mine = &existing[i]
			case e.Status != ChannelDisconnected:
				return httpx.NewProblem(http.StatusConflict, "channel_in_use",
					"This account is connected to another organization. Disconnect it there first.")
			}
		}
		rec.OrgID, rec.Status, rec.StatusReason, rec.UpdatedAt = a.OrgID, ChannelActive, "", now
		if mine != nil {
			rec.ID, rec.CreatedAt, rec.CreatedBy = mine.ID, mine.CreatedAt, mine.CreatedBy
			if _, err := tx.NewUpdate().Model(&rec).Column("name", "username", "status", "status_reason", "secret_sealed",
				"webhook_key", "delivery", "updated_at").WherePK().Exec(ctx); err != nil {
				return err
			}
		} else {
			rec.ID, rec.CreatedAt, rec.CreatedBy = db.NewID(), now, a.ID()
			if _, err := tx.NewInsert().Model(&rec).Exec(ctx); err != nil {
				if errors.Is(db.MapError(err), db.ErrConflict) {
					return httpx.NewProblem(http.StatusConflict, "channel_in_use", "This account was connected at the same moment; try again.")
				}
				return err
			}
		}
		return s.record(ctx, tx, a.OrgID, a.EventActor(), "channel.connected", rec.ID, channelEvent(rec))
	})
	if err == nil {
		s.nudgeChannels() // start its sender now, not at the next lease tick
	}
	return rec, err
}

func channelEvent(c ChannelRecord) map[string]any {
	return map[string]any{"kind": c.Kind, "name": c.Name, "username": c.Username, "status": c.Status, "reason": c.StatusReason}
}

// Channels lists the org's channels, oldest first.
func (s *Service) Channels(ctx context.Context, orgID string) ([]ChannelRecord, error) {
	list := []ChannelRecord{}
	err := s.db.Read.NewSelect().Model(&list).Where("org_id = ?", orgID).OrderExpr("created_at, id").Scan(ctx)
	return list, err
}

// ChannelByID reads one channel of the org.
func (s *Service) ChannelByID(ctx context.Context, orgID, id string) (ChannelRecord, error) {
	var c ChannelRecord
	err := db.LoadInOrg(ctx, s.db.Read, &c, orgID, id, errChannelNotFound)
	return c, err
}

// ChannelByWebhookKey finds the live channel whose webhook secret hashes to key.
func (s *Service) ChannelByWebhookKey(ctx context.Context, key string) (ChannelRecord, bool, error) {
	var list []ChannelRecord
	err := s.db.Read.NewSelect().Model(&list).Where("webhook_key = ?", key).Where("status = ?", ChannelActive).Limit(1).Scan(ctx)
	if err != nil || len(list) == 0 {
		return ChannelRecord{}, false, err
	}
	return list[0], true, nil
}

// DisconnectChannel stops an account: the channel stays, disconnected,
// for its chats' history, and then the adapter undoes what it set up at
// the provider (a failure there does not keep the channel connected).
func (s *Service) DisconnectChannel(ctx context.Context, a org.Actor, id string) error {
	ch, err := s.ChannelByID(ctx, a.OrgID, id)
	if err != nil {
		return err
	}
	if err := a.Allowed(); err != nil {
		return err
	}
	if ch.Status == ChannelDisconnected {
		return errChannelNotFound
	}
	before := ch
	defer s.nudgeChannels() // stop its sender now, not at the next lease tick
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ch.Status, ch.StatusReason, ch.SecretSealed, ch.WebhookKey, ch.UpdatedAt = ChannelDisconnected, "", "", nil, s.now()
		if _, err := tx.NewUpdate().Model(&ch).Column("status", "status_reason", "secret_sealed", "webhook_key", "updated_at").
			WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx, a.OrgID, a.EventActor(), "channel.disconnected", ch.ID, channelEvent(ch))
	})
	if err != nil {
		return err
	}
	if c, ok := s.channel(before.Kind); ok {
		if d, ok := c.(Disconnector); ok {
			if err := d.Disconnect(ctx, before); err != nil {
				s.log.Warn("could not undo the channel's setup at the provider", "channel", ch.ID, "err", err)
			}
		}
	}
	return nil
}

// MarkBroken records that a channel's credential stopped working; the
// settings page shows the reason until an admin connects it again.
func (s *Service) MarkBroken(ctx context.Context, ch ChannelRecord, reason string) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*ChannelRecord)(nil)).Set("status = ?", ChannelBroken).Set("status_reason = ?", reason).
			Set("updated_at = ?", s.now()).Where("id = ?", ch.ID).Where("status = ?", ChannelActive).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		ch.Status, ch.StatusReason = ChannelBroken, reason
		return s.record(ctx, tx, ch.OrgID, "system:"+ch.Kind, "channel.broken", ch.ID, channelEvent(ch))
	})
}

// SavePollOffset remembers where a channel's long poll goes on.
func (s *Service) SavePollOffset(ctx context.Context, channelID string, offset int64) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewUpdate().Model((*ChannelRecord)(nil)).Set("poll_offset = ?", offset).
			Where("id = ?", channelID).Where("poll_offset < ?", offset).Exec(ctx)
		return err
	})
}
