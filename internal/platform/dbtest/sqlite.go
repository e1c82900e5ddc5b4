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

// sqliteTemplate is a migrated database file made once per test binary and
// copied for each test, which is much faster than migrating every time.
var sqliteTemplate = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "kite-dbtest-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "template.db")
	ctx := context.Background()
	d, err := db.Open(ctx, db.Options{Path: path})
	if err != nil {
		return "", err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return "", fmt.Errorf("migrating template: %w", err)
	}
	// Fold the WAL into the main file so that copying one file copies everything.
	if _, err := d.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return "", err
	}
	return path, nil
})

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
