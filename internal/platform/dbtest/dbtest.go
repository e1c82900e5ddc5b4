// Package dbtest gives each test a fresh, migrated database on every
// configured backend: SQLite always, PostgreSQL when KITE_TEST_POSTGRES_URL is
// set. Tests on different databases run in parallel without seeing each
// other's rows.
package dbtest

import (
	"context"
	"os"
	"testing"

	"github.com/kite-crm/kite/internal/platform/db"
)

// PostgresURLEnv names the variable holding an admin URL of a PostgreSQL
// server on which tests may create and drop databases.
const PostgresURLEnv = "KITE_TEST_POSTGRES_URL"

// Backend is a fresh database a test may open itself: a SQLite file path or a
// PostgreSQL URL, already migrated unless asked otherwise.
type Backend struct {
	Kind db.Kind
	Path string // SQLite file
	URL  string // PostgreSQL database URL
}

// Options returns the db.Options that open the backend.
func (b Backend) Options() db.Options {
	return db.Options{URL: b.URL, Path: b.Path, MaxConns: 8}
}

// Kinds lists the backends configured for this run. With CI=true a missing
// PostgreSQL URL fails the test instead of quietly testing less.
func Kinds(t testing.TB) []db.Kind {
	t.Helper()
	kinds := []db.Kind{db.SQLite}
	if os.Getenv(PostgresURLEnv) != "" {
		kinds = append(kinds, db.Postgres)
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but %s is not set: PostgreSQL tests cannot be skipped in CI", PostgresURLEnv)
	}
	return kinds
}

// Each runs fn as a parallel subtest per backend ("sqlite", "postgres"), each
// with its own freshly migrated database, closed when the subtest ends.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	EachBackend(t, true, func(t *testing.T, b Backend) {
		fn(t, Open(t, b))
	})
}

// EachBackend runs fn as a parallel subtest per backend with a fresh database
// that the test opens itself; migrated says whether it is already migrated.
func EachBackend(t *testing.T, migrated bool, fn func(t *testing.T, b Backend)) {
	t.Helper()
	for _, kind := range Kinds(t) {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			fn(t, New(t, kind, migrated))
		})
	}
}

// New makes a fresh database of the given kind, dropped when the test ends.
func New(t testing.TB, kind db.Kind, migrated bool) Backend {
	t.Helper()
	if kind == db.Postgres {
		return Backend{Kind: kind, URL: newPostgres(t, migrated)}
	}
	return Backend{Kind: kind, Path: newSQLite(t, migrated)}
}

// Open opens a backend and closes it when the test ends.
func Open(t testing.TB, b Backend) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), b.Options())
	if err != nil {
		t.Fatalf("opening %s test database: %v", b.Kind, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
