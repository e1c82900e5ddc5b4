package db

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"
)

func openCheckpointed(t *testing.T, longWAL int) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kite.db")
	d, err := Open(context.Background(), Options{Path: path, CheckpointEvery: 5 * time.Millisecond, longWAL: longWAL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.ExecContext(context.Background(), "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	return d, path
}

// walPages is the WAL's length in pages, read by a checkpoint before it
// copies anything.
func walPages(t *testing.T, d *DB) int {
	t.Helper()
	var busy, pages, copied int
	if err := d.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &pages, &copied); err != nil {
		t.Fatal(err)
	}
	return pages
}

// A commit never checkpoints; the background checkpointer copies the WAL
// so that the next commit starts it over.
func TestCheckpointerLetsTheWALStartOver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, path := openCheckpointed(t, 0)
	var auto int
	if err := d.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("the writer checkpoints every %d pages (%v), want never", auto, err)
	}
	for i := range 500 {
		if _, err := d.ExecContext(ctx, "INSERT INTO notes (id, body) VALUES (?, 'a note')", i); err != nil {
			t.Fatal(err)
		}
	}
	// Two checkpoints after the last commit: the second started after it.
	runs := d.checkpointer.runs.Load()
	for deadline := time.Now().Add(10 * time.Second); d.checkpointer.runs.Load() < runs+2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the checkpointer did not run")
		}
	}
	if _, err := d.ExecContext(ctx, "INSERT INTO notes (id, body) VALUES (1000, 'after')"); err != nil {
		t.Fatal(err)
	}
	if pages := walPages(t, d); pages > 10 {
		t.Fatalf("the WAL holds %d pages after one commit: it did not start over", pages)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Fatalf("the WAL is left after Close: %v", err)
	}
}

// Under commits that never pause, a long WAL still starts over: the
// checkpointer runs one checkpoint on the writer's connection.
func TestCheckpointerShortensTheWALUnderSteadyWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const longWAL = 64
	d, path := openCheckpointed(t, longWAL)
	// Four writers, so that a commit always waits for the writer.
	var commits atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(600 * time.Millisecond)
	for range 4 {
		wg.Go(func() {
			for time.Now().Before(stop) {
				if err := d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
					_, err := tx.ExecContext(ctx, "INSERT INTO notes (body) VALUES ('a note')")
					return err
				}); err != nil {
					t.Error(err)
					return
				}
				commits.Add(1)
			}
		})
	}
	wg.Wait()
	// Each commit adds a page or more. The WAL file keeps the largest
	// length the WAL reached: bounded by longWAL and a tick's commits, not
	// by all of them.
	st, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	pages, n := int(st.Size()/4096), int(commits.Load())
	t.Logf("WAL %d pages, %d commits", pages, n)
	if pages > n/4 {
		t.Fatalf("the WAL reached %d pages in %d commits (%d restarts)", pages, n, d.checkpointer.restarts.Load())
	}
}
