package dbtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kite-crm/kite/internal/platform/db"
)

// sqliteTemplate is a migrated database file, made once per schema (named by
// its hash in the temp dir, so runs share it and nothing piles up) and copied
// for each test, which is much faster than migrating every time.
var sqliteTemplate = sync.OnceValues(func() (string, error) {
	final := filepath.Join(os.TempDir(), "kite-dbtest-"+schemaHash()+".db")
	if _, err := os.Stat(final); err == nil {
		return final, nil
	}
	// Build under a private name, then rename: concurrent test binaries
	// each produce a complete file and the rename is atomic.
	path := fmt.Sprintf("%s.%d.building", final, os.Getpid())
	if err := buildSQLiteTemplate(path); err != nil {
		os.Remove(path)
		return "", err
	}
	return final, os.Rename(path, final)
})

func buildSQLiteTemplate(path string) error {
	ctx := context.Background()
	d, err := db.Open(ctx, db.Options{Path: path})
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return fmt.Errorf("migrating template: %w", err)
	}
	// Fold the WAL into the main file so that copying one file copies everything.
	_, err = d.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

func newSQLite(t testing.TB, migrated bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kite.db")
	if !migrated {
		return path
	}
	tmpl, err := sqliteTemplate()
	if err != nil {
		t.Fatalf("sqlite template: %v", err)
	}
	b, err := os.ReadFile(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
