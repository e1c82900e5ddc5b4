package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kite-crm/kite/internal/platform/db"
)

// A migrated template database is made once (per schema, across test
// binaries) and each test gets CREATE DATABASE … TEMPLATE of it: a file copy
// on the server, far faster than migrating. Templates of older schemas are
// left alone: another test run may still be cloning them.

var pgTemplate = sync.OnceValues(func() (string, error) {
	admin := os.Getenv(PostgresURLEnv)
	name := "kite_tmpl_" + schemaHash()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("connecting to %s: %w", PostgresURLEnv, err)
	}
	defer conn.Close(ctx)
	// Test binaries run in parallel: one builds the template, the others wait.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(4242)"); err != nil {
		return "", err
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock(4242)")
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_building"
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)")
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+building); err != nil {
		return "", err
	}
	if err := migrateDatabase(ctx, withDatabase(admin, building)); err != nil {
		return "", err
	}
	// Renaming last makes the template appear only once it is complete.
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+building+" RENAME TO "+name); err != nil {
		return "", err
	}
	return name, nil
})

func migrateDatabase(ctx context.Context, dsn string) error {
	d, err := db.Open(ctx, db.Options{URL: dsn, MaxConns: 2})
	if err != nil {
		return err
	}
	defer d.Close()
	_, err = d.Migrate(ctx)
	return err
}

// schemaHash names the template after the migrations it holds.
func schemaHash() string {
	h := sha256.New()
	fs.WalkDir(db.MigrationFiles(), ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(db.MigrationFiles(), path)
			h.Write([]byte(path))
			h.Write(b)
		}
		return nil
	})
	h.Write([]byte(db.JobSchemaID()))
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func newPostgres(t testing.TB, migrated bool) string {
	t.Helper()
	admin := os.Getenv(PostgresURLEnv)
	if admin == "" {
		t.Fatalf("%s is not set", PostgresURLEnv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connecting to %s: %v", PostgresURLEnv, err)
	}
	defer conn.Close(ctx)
	name := "kite_test_" + randomSuffix()
	create := "CREATE DATABASE " + name
	if migrated {
		tmpl, err := pgTemplate()
		if err != nil {
			t.Fatalf("postgres template: %v", err)
		}
		create += " TEMPLATE " + tmpl
	}
	if err := execRetryingBusyTemplate(ctx, conn, create); err != nil {
		t.Fatalf("%s: %v", create, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("dropping %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("dropping %s: %v", name, err)
		}
	})
	return withDatabase(admin, name)
}

// execRetryingBusyTemplate retries CREATE DATABASE while another clone of the
// same template holds it (SQLSTATE 55006, "being accessed by other users").
func execRetryingBusyTemplate(ctx context.Context, conn *pgx.Conn, sql string) error {
	var err error
	for range 50 {
		_, err = conn.Exec(ctx, sql)
		var pe *pgconn.PgError
		if err == nil || !errors.As(err, &pe) || pe.Code != "55006" {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

func withDatabase(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.Path = "/" + name
	return u.String()
}

func randomSuffix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return strings.ToLower(hex.EncodeToString(b))
}
