package db

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The writer never checkpoints inside a commit, and the background
// checkpointer keeps the WAL from growing with what is written.
func TestCheckpointerBoundsTheWAL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kite.db")
	d, err := Open(ctx, Options{Path: path, CheckpointEvery: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var auto int
	if err := d.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("the writer checkpoints every %d pages (%v), want never", auto, err)
	}
	if _, err := d.ExecContext(ctx, "CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	// 16 MiB in 2,000 commits: the WAL would hold all of it without
	// checkpoints.
	body := strings.Repeat("k", 8<<10)
	written := int64(0)
	for i := range 2000 {
		if _, err := d.ExecContext(ctx, "INSERT INTO blobs (id, body) VALUES (?, ?)", i, body); err != nil {
			t.Fatal(err)
		}
		written += int64(len(body))
		if i%200 == 0 {
			time.Sleep(15 * time.Millisecond) // a tick's time for the checkpointer
		}
	}
	if d.checkpointer.runs.Load() == 0 {
		t.Fatal("no checkpoint ran")
	}
	st, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > written/2 {
		t.Fatalf("the WAL is %d bytes after %d bytes were written: not checkpointed", st.Size(), written)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Fatalf("the WAL is left after Close: %v", err)
	}
}
