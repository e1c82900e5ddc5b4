package bench

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// postgresAdminURL returns KITE_TEST_POSTGRES_URL, skipping the test when it is unset
// (failing instead when CI=true).
func postgresAdminURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("KITE_TEST_POSTGRES_URL")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("KITE_TEST_POSTGRES_URL is not set")
		}
		t.Skip("KITE_TEST_POSTGRES_URL is not set")
	}
	return u
}

// databaseExists reports whether the server of adminURL has a database called name.
func databaseExists(t *testing.T, adminURL, name string) bool {
	t.Helper()
	ctx := context.WithoutCancel(t.Context())
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var exists bool
	err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err != nil {
		t.Fatal(err)
	}
	return exists
}

func TestScratchDatabasesCreateAndDrop(t *testing.T) {
	t.Parallel()
	admin := postgresAdminURL(t)
	dbs := newScratchDatabases(admin)
	name, dbURL, err := dbs.create(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !databaseExists(t, admin, name) {
		t.Fatalf("database %s was not created", name)
	}
	// A connection left open must not stop the drop.
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatalf("connecting to the new database: %v", err)
	}
	defer conn.Close(context.WithoutCancel(t.Context()))
	cancelled, cancel := context.WithCancel(t.Context())
	cancel() // dropping must work even after Ctrl-C
	if err := dbs.dropAll(cancelled); err != nil {
		t.Fatal(err)
	}
	if databaseExists(t, admin, name) {
		t.Errorf("database %s still exists after dropAll", name)
	}
}

func TestColdStartOnPostgres(t *testing.T) {
	t.Parallel()
	admin := postgresAdminURL(t)
	bin := buildFakeKite(t)
	c, record := coldScenario(t)
	env := coldEnv(t, bin, 2, 50*time.Millisecond)
	env.DatabaseURL = admin
	results, err := c.Run(t.Context(), env)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0].Min < 50*time.Millisecond || results[1].Min < 50*time.Millisecond {
		t.Fatalf("results %+v", results)
	}
	starts := readStarts(t, record)
	checkAllGone(t, starts)
	if len(starts) != 4 {
		t.Fatalf("%d starts, want 4", len(starts))
	}
	names := make([]string, len(starts))
	for i, s := range starts {
		u, err := url.Parse(s.db)
		if err != nil {
			t.Fatal(err)
		}
		names[i] = strings.TrimPrefix(u.Path, "/")
		if !strings.HasPrefix(names[i], scratchPrefix) {
			t.Errorf("start %d used database %q, want a %s* one", i, names[i], scratchPrefix)
		}
		if databaseExists(t, admin, names[i]) {
			t.Errorf("database %s was not dropped", names[i])
		}
	}
	if names[0] == names[1] || names[2] != names[0] || names[3] != names[0] {
		t.Errorf("databases %v: want two fresh ones, then the first reused", names)
	}
}
