package inbox

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
)

// Channel work that must run on exactly one replica at a time (a bot's
// sender, which alone keeps the bot within its limits, and its long poll)
// runs under a lease: a row naming the replica holding it until it
// expires. The holder renews it well before then; a replica that dies
// loses it after leaseTTL and another takes over.
const (
	leaseTTL   = 15 * time.Second
	leaseRenew = 4 * time.Second
)

// OnLeased registers work a channel adapter runs while this replica holds
// a channel's lease (the Telegram long poll); ctx ends when it loses it.
func (s *Service) OnLeased(fn func(ctx context.Context, ch ChannelRecord)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leased = append(s.leased, fn)
}

// nudgeChannels makes RunChannels look at the channels now, not at its next tick.
func (s *Service) nudgeChannels() {
	select {
	case s.nudge <- struct{}{}:
	default:
	}
}

// RunChannels takes and renews leases of active channels for node, and
// runs each leased channel's sender and OnLeased work, until ctx ends.
func (s *Service) RunChannels(ctx context.Context, node string) {
	running := map[string]context.CancelFunc{}
	defer func() {
		for _, stop := range running {
			stop()
		}
		// Hand the leases over at once instead of after their expiry.
		release, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_, _ = s.db.NewDelete().Table("channel_leases").Where("holder = ?", node).Exec(release)
	}()
	if s.db.Kind == db.SQLite {
		// One process owns a SQLite database (the data dir is locked): a
		// lease left by a process that was killed is stale, not another's.
		if _, err := s.db.NewDelete().Table("channel_leases").Where("holder <> ?", node).Exec(ctx); err != nil {
			s.log.Warn("could not clear stale channel leases", "err", err)
		}
	}
	pruned := time.Time{}
	tick := time.NewTicker(leaseRenew)
	defer tick.Stop()
	for {
		held, err := s.renewLeases(ctx, node)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("could not renew channel leases", "err", err)
		}
		for id, ch := range held {
			if _, ok := running[id]; !ok {
				running[id] = s.startChannel(ctx, ch)
			}
		}
		for id, stop := range running {
			if _, ok := held[id]; !ok && err == nil {
				stop()
				delete(running, id)
			}
		}
		if time.Since(pruned) > pruneEvery {
			s.pruneInboundKeys(ctx)
			pruned = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.nudge:
		}
	}
}

// Telegram redelivers an update for at most 24 hours; a key older than
// keepInboundKeys can no longer come back, so it is dropped.
const (
	keepInboundKeys = 48 * time.Hour
	pruneEvery      = 10 * time.Minute
)

// pruneInboundKeys drops delivery keys that can no longer repeat.
func (s *Service) pruneInboundKeys(ctx context.Context) {
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewDelete().Model((*inboundKey)(nil)).Where("created_at < ?", s.now().Add(-keepInboundKeys)).Exec(ctx)
		return err
	})
	if err != nil && ctx.Err() == nil {
		s.log.Warn("could not drop old inbound delivery keys", "err", err)
	}
}

// renewLeases takes or renews the lease of every active channel that is
// free, expired or already this node's, and returns those it holds.
func (s *Service) renewLeases(ctx context.Context, node string) (map[string]ChannelRecord, error) {
	held := map[string]ChannelRecord{}
	var active []ChannelRecord
	if err := s.db.NewSelect().Model(&active).Where("status = ?", ChannelActive).Scan(ctx); err != nil {
		return held, err
	}
	if len(active) == 0 {
		return held, nil
	}
	now := time.Now().UTC()
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for _, ch := range active {
			res, err := tx.NewRaw(`INSERT INTO channel_leases (channel_id, holder, expires_at) VALUES (?, ?, ?)
				ON CONFLICT (channel_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
				WHERE channel_leases.holder = excluded.holder OR channel_leases.expires_at < ?`,
				ch.ID, node, now.Add(leaseTTL), now).Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				held[ch.ID] = ch
			}
		}
		return nil
	})
	return held, err
}

// startChannel runs a leased channel's sender and lease work.
func (s *Service) startChannel(ctx context.Context, ch ChannelRecord) context.CancelFunc {
	ctx, cancel := context.WithCancel(ctx)
	c, ok := s.channel(ch.Kind)
	if ok {
		x := newSender(s, ch, c)
		s.mu.Lock()
		s.senders[ch.ID] = x
		s.mu.Unlock()
		go func() {
			x.run(ctx)
			s.mu.Lock()
			if s.senders[ch.ID] == x {
				delete(s.senders, ch.ID)
			}
			s.mu.Unlock()
		}()
	}
	s.mu.Lock()
	hooks := append([]func(context.Context, ChannelRecord){}, s.leased...)
	s.mu.Unlock()
	for _, fn := range hooks {
		go fn(ctx, ch)
	}
	return cancel
}

// wakeSender tells the channel's sender, if it runs here, that a message
// was queued; senders on other replicas find it on their next look.
func (s *Service) wakeSender(channelID string) {
	s.mu.Lock()
	x := s.senders[channelID]
	s.mu.Unlock()
	if x != nil {
		x.poke()
	}
}
