package db

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"time"
)

// SQLite commits by appending pages to the WAL, and a checkpoint copies
// them back into the database file, with two fsyncs. Left to itself,
// SQLite checkpoints inside the commit that takes the WAL past 1,000
// pages, and that commit waits for the copy: on a busy inbox, one write in
// a few hundred took tens of milliseconds longer, and every write queued
// behind the one writer waited as long. So the writer never checkpoints
// (wal_autocheckpoint 0); a connection of its own does, in the background,
// in PASSIVE mode, which waits for neither the writer nor readers. Commits
// stay as durable as before: WAL with synchronous=NORMAL.

const defaultCheckpointEvery = 200 * time.Millisecond

type checkpointer struct {
	conn *sql.DB
	stop context.CancelFunc
	done chan struct{}
	// runs counts the checkpoints made (tests wait for one).
	runs atomic.Int64
}

func startCheckpointer(path string, every time.Duration) (*checkpointer, error) {
	if every <= 0 {
		every = defaultCheckpointEvery
	}
	conn, err := sql.Open("sqlite", sqliteDSN(path, sqliteCheckpointer))
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	conn.SetMaxOpenConns(1)
	conn.SetConnMaxIdleTime(0)
	ctx, stop := context.WithCancel(context.Background())
	c := &checkpointer{conn: conn, stop: stop, done: make(chan struct{})}
	go c.run(ctx, every)
	return c, nil
}

func (c *checkpointer) run(ctx context.Context, every time.Duration) {
	defer close(c.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// A passive checkpoint copies what no reader still needs and
		// returns; what it leaves, the next one copies. A failure (the
		// disk full, say) is left to the next tick too: the WAL only grows
		// meanwhile, and commits go on.
		if _, err := c.conn.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err == nil {
			c.runs.Add(1)
		}
	}
}

func (c *checkpointer) close() error {
	c.stop()
	<-c.done
	return c.conn.Close()
}
