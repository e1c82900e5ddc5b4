package jobs

import (
	"context"
	"os"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
)

// Every process writes a heartbeat row. A job whose last attempt belongs to a
// process without a recent heartbeat was cut off (crash, SIGKILL, lost
// machine) and is made available again, so no job is lost; workers are
// idempotent, so the rare second run of a job is harmless.

type node struct {
	bun.BaseModel `bun:"table:kite_nodes"`
	ID            string    `bun:"id,pk"`
	Hostname      string    `bun:"hostname"`
	Version       string    `bun:"version"`
	StartedAt     time.Time `bun:"started_at"`
	SeenAt        time.Time `bun:"seen_at"`
}

func (q *Queue) register(ctx context.Context) error {
	host, _ := os.Hostname()
	now := time.Now().UTC()
	return q.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if q.cfg.SingleProcess {
			// Nobody else can be running: every earlier node is gone.
			if _, err := tx.NewDelete().Model((*node)(nil)).Where("id <> ?", q.nodeID).Exec(ctx); err != nil {
				return err
			}
		}
		_, err := tx.NewInsert().Model(&node{ID: q.nodeID, Hostname: host, Version: q.cfg.Version, StartedAt: now, SeenAt: now}).Exec(ctx)
		return err
	})
}

func (q *Queue) heartbeat(ctx context.Context) {
	beat := time.NewTicker(q.cfg.NodeTTL / 3)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
		}
		if err := q.beat(ctx); err != nil && ctx.Err() == nil {
			q.log.Warn("jobs: heartbeat failed", "err", err)
		}
		// With one process per database (SQLite) there is nobody to
		// recover from after start; sweeping here could only misjudge this
		// process itself after a long stall.
		if q.cfg.SingleProcess {
			continue
		}
		if err := q.sweepOrphans(ctx); err != nil && ctx.Err() == nil {
			q.log.Warn("jobs: orphan sweep failed", "err", err)
		}
	}
}

// beat refreshes this node's heartbeat, re-registering it if another
// replica already presumed it dead and deleted it.
func (q *Queue) beat(ctx context.Context) error {
	host, _ := os.Hostname()
	now := time.Now().UTC()
	_, err := q.db.NewInsert().Model(&node{ID: q.nodeID, Hostname: host, Version: q.cfg.Version, StartedAt: now, SeenAt: now}).
		On("CONFLICT (id) DO UPDATE").Set("seen_at = EXCLUDED.seen_at").Exec(ctx)
	return err
}

// sweepOrphans makes jobs left running by dead processes available again and
// forgets those processes. It never judges this process itself.
func (q *Queue) sweepOrphans(ctx context.Context) error {
	cutoff := time.Now().UTC().Add(-q.cfg.NodeTTL)
	lastAttempt := q.db.Kind.LastJSONArrayElem("attempted_by")
	return q.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().TableExpr("river_job").Set("state = 'available'").
			Where("state = 'running'").
			Where("(attempted_by IS NULL OR ("+lastAttempt+" <> ? AND "+lastAttempt+" NOT IN (SELECT id FROM kite_nodes WHERE seen_at > ?)))", q.nodeID, cutoff).
			Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			q.log.Warn("jobs: gave back jobs left running by a stopped process", "jobs", n)
		}
		_, err = tx.NewDelete().Model((*node)(nil)).Where("seen_at <= ?", cutoff).Where("id <> ?", q.nodeID).Exec(ctx)
		return err
	})
}

// NodeCount reports how many live processes share the database.
func NodeCount(ctx context.Context, d *db.DB, ttl time.Duration) (int64, error) {
	return d.Read.NewSelect().Model((*node)(nil)).Where("seen_at > ?", time.Now().UTC().Add(-ttl)).Count(ctx)
}
