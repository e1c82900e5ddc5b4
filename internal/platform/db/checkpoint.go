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
//
// A checkpoint does not shorten the WAL: the next write starts it over,
// but only if the checkpoint copied all of it. While commits never pause,
// each checkpoint finds new pages behind it and the WAL keeps growing. So
// once the WAL is longer than longWAL pages, the checkpointer runs one
// more checkpoint on the writer's own connection, so that no write can
// commit meanwhile (every write needs that one connection): by then
// nearly everything is copied, so writes wait for one short copy and its
// fsync, once per 256 MiB written, and the next write starts the WAL over.

const (
	defaultCheckpointEvery = 200 * time.Millisecond
	defaultLongWAL         = 65536 // pages: 256 MiB
)

type checkpointer struct {
	conn *sql.DB
	stop context.CancelFunc
	done chan struct{}
	// writer is the one connection writes go through.
	writer *sql.DB
	// runs counts the checkpoints made and restarts those made on the
	// writer's connection (tests wait for them).
	runs, restarts atomic.Int64
}

func startCheckpointer(path string, every time.Duration, longWAL int, writer *sql.DB) (*checkpointer, error) {
	if every <= 0 {
		every = defaultCheckpointEvery
	}
	if longWAL <= 0 {
		longWAL = defaultLongWAL
	}
	conn, err := sql.Open("sqlite", sqliteDSN(path, sqliteCheckpointer))
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	conn.SetMaxOpenConns(1)
	conn.SetConnMaxIdleTime(0)
	ctx, stop := context.WithCancel(context.Background())
	c := &checkpointer{conn: conn, writer: writer, stop: stop, done: make(chan struct{})}
	go c.run(ctx, every, longWAL)
	return c, nil
}

func (c *checkpointer) run(ctx context.Context, every time.Duration, longWAL int) {
	defer close(c.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// A failure (the disk full, say) is left to the next tick: the WAL
		// only grows meanwhile, and commits go on.
		pages, err := c.checkpoint(ctx, c.conn)
		if err != nil || pages < longWAL {
			continue
		}
		if c.checkpointOnWriter(ctx) == nil {
			c.restarts.Add(1)
		}
	}
}

func (c *checkpointer) checkpointOnWriter(ctx context.Context) error {
	w, err := c.writer.Conn(ctx)
	if err != nil {
		return err
	}
	defer w.Close()
	_, err = c.checkpoint(ctx, w)
	return err
}

// checkpoint copies, through conn, what no reader still needs and returns
// the WAL's length in pages.
func (c *checkpointer) checkpoint(ctx context.Context, conn interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (pages int, err error) {
	var busy, copied int
	err = conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &pages, &copied)
	if err == nil {
		c.runs.Add(1)
	}
	return pages, err
}

func (c *checkpointer) close() error {
	c.stop()
	<-c.done
	return c.conn.Close()
}
