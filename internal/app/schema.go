package app

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/kite-crm/kite/internal/platform/db"
)

// schemaWatch caches the schema state for /readyz and /status, which are
// called far too often to read migration tables each time.
type schemaWatch struct {
	db  *db.DB
	mu  sync.RWMutex
	st  db.SchemaState
	err error
}

func newSchemaWatch(d *db.DB) *schemaWatch { return &schemaWatch{db: d} }

func (s *schemaWatch) refresh(ctx context.Context) error {
	st, err := s.db.Schema(ctx)
	s.mu.Lock()
	s.st, s.err = st, err
	s.mu.Unlock()
	return err
}

func (s *schemaWatch) state() (db.SchemaState, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st, s.err
}

// watch re-reads the schema periodically: a replica whose database was
// migrated past it by a newer release stops reporting ready.
func (s *schemaWatch) watch(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.refresh(ctx); err != nil && ctx.Err() == nil {
				log.Warn("schema check failed", "err", err)
			}
		}
	}
}

// errSchemaNotCurrent is readiness's reason when migrations are pending.
var errSchemaNotCurrent = errors.New("database schema is not current")

// ready is the /readyz check: the database answers and every migration
// this binary needs is applied. A schema a newer release has migrated
// further keeps old replicas ready, so a rolling deploy never empties the
// pool (migrations are additive until the old release is gone).
func (a *App) ready(ctx context.Context) error {
	if err := a.DB.Ping(ctx); err != nil {
		return errors.New("database unreachable")
	}
	st, err := a.schema.state()
	if errors.Is(err, db.ErrSchemaNewer) {
		return nil
	}
	if err != nil {
		return errors.New("database schema unreadable")
	}
	if !st.Ready() {
		return errSchemaNotCurrent
	}
	return nil
}
