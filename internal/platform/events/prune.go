package events

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
)

// Retention is how long events stay in the outbox for replay (?since=) and
// audit; older ones are deleted daily.
const Retention = 30 * 24 * time.Hour

// pruneBatch bounds one delete so that pruning never holds a long lock.
const pruneBatch = 5000

type pruneArgs struct{}

func (pruneArgs) Kind() string { return "events.prune" }

type pruneWorker struct {
	river.WorkerDefaults[pruneArgs]
	bus *Bus
}

// Work deletes events older than Retention in batches. Event IDs are UUIDv7,
// whose leading 48 bits are the creation time in milliseconds, so "older
// than" is a primary-key range scan with no extra index.
func (w *pruneWorker) Work(ctx context.Context, job *river.Job[pruneArgs]) error {
	_, err := w.bus.Prune(ctx, time.Now().Add(-Retention))
	return err
}

// Prune deletes events that occurred before cutoff (and their delivery
// marks) and returns how many it deleted.
func (b *Bus) Prune(ctx context.Context, cutoff time.Time) (int64, error) {
	bound := idAt(cutoff)
	var total int64
	for {
		res, err := b.db.NewDelete().TableExpr("events").
			Where("id IN (SELECT id FROM events WHERE id < ? ORDER BY id LIMIT ?)", bound, pruneBatch).Exec(ctx)
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}

// idAt is the smallest UUIDv7 string of the given instant.
func idAt(t time.Time) string {
	ms := uint64(t.UnixMilli())
	hex := fmt.Sprintf("%012x", ms)
	return hex[:8] + "-" + hex[8:] + "-7000-8000-000000000000"
}

// timeOfID reads the creation time out of a UUIDv7 string.
func timeOfID(id string) (time.Time, bool) {
	u, err := uuid.Parse(id)
	if err != nil || u.Version() != 7 {
		return time.Time{}, false
	}
	sec, nsec := u.Time().UnixTime()
	return time.Unix(sec, nsec), true
}

// PositionAt is a replay position for a page drawn at t: a client that
// connects with ?since=PositionAt(t) is sent the events from then on (and
// the ReplaySlack before), so none falls between drawing the page and
// opening its socket.
func PositionAt(t time.Time) string { return idAt(t) }
