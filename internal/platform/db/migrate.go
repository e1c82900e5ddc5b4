package db

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/pressly/goose/v3"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// migrationTable is goose's version table.
const migrationTable = "kite_schema_migrations"

// SchemaState describes the schema against what this binary knows.
type SchemaState struct {
	Current int64 // highest applied Kite migration
	Latest  int64 // highest Kite migration this binary carries
	Pending []int64
	// JobsCurrent and JobsLatest are the job queue's (River's) schema versions.
	JobsCurrent, JobsLatest int
}

// Ready reports whether the schema is exactly what this binary expects.
func (s SchemaState) Ready() bool {
	return s.Current == s.Latest && len(s.Pending) == 0 && s.JobsCurrent == s.JobsLatest
}

// ErrSchemaNewer means the database was migrated by a newer Kite.
var ErrSchemaNewer = errors.New("database schema is newer than this binary")

// ErrSchemaBroken means applied migrations have gaps: the database was
// half-migrated or migrated by a different build.
var ErrSchemaBroken = errors.New("database schema is half-migrated")

func (d *DB) provider() (*goose.Provider, error) {
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	if d.Kind == Postgres {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
	}
	sub, err := fs.Sub(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(dialect, d.DB.DB, sub, goose.WithTableName(migrationTable))
}

// Schema reads the migration state. It returns ErrSchemaNewer or
// ErrSchemaBroken (wrapped with the versions involved) when this binary must
// not run on the database.
func (d *DB) Schema(ctx context.Context) (SchemaState, error) {
	p, err := d.provider()
	if err != nil {
		return SchemaState{}, err
	}
	var st SchemaState
	for _, s := range p.ListSources() {
		st.Latest = max(st.Latest, s.Version)
	}
	st.Current, err = p.GetDBVersion(ctx)
	if err != nil {
		return st, fmt.Errorf("reading schema version: %w", err)
	}
	if st.Current > st.Latest {
		return st, fmt.Errorf("%w: the database is at version %d, this binary knows up to %d; run a newer Kite",
			ErrSchemaNewer, st.Current, st.Latest)
	}
	statuses, err := p.Status(ctx)
	if err != nil {
		return st, fmt.Errorf("reading migration status: %w", err)
	}
	for _, s := range statuses {
		if s.State == goose.StatePending {
			st.Pending = append(st.Pending, s.Source.Version)
		}
	}
	slices.Sort(st.Pending)
	rv, err := d.riverVersions(ctx)
	if err != nil {
		return st, err
	}
	st.JobsCurrent, st.JobsLatest = rv.current, rv.latest
	if st.JobsCurrent > st.JobsLatest {
		return st, fmt.Errorf("%w: the job queue schema is at version %d, this binary knows up to %d; run a newer Kite",
			ErrSchemaNewer, st.JobsCurrent, st.JobsLatest)
	}
	if len(st.Pending) > 0 && st.Pending[0] < st.Current {
		return st, fmt.Errorf("%w: migration %d is missing below applied version %d; restore a backup or re-run the matching Kite",
			ErrSchemaBroken, st.Pending[0], st.Current)
	}
	return st, nil
}

// Migrate applies every pending migration, each in its own transaction: the
// job queue's first, then Kite's. It
// refuses a database that is newer than the binary or has gaps. On
// PostgreSQL the caller holds MigrationLock so replicas migrate one at a time.
func (d *DB) Migrate(ctx context.Context) (applied []int64, err error) {
	if _, err := d.Schema(ctx); err != nil {
		return nil, err
	}
	p, err := d.provider()
	if err != nil {
		return nil, err
	}
	if err := d.migrateRiver(ctx); err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	for _, r := range results {
		if r.Error == nil {
			applied = append(applied, r.Source.Version)
		}
	}
	if err != nil {
		return applied, fmt.Errorf("migrating: %w", err)
	}
	return applied, nil
}

// migrationLockKey is the PostgreSQL advisory lock id serializing migrations.
const migrationLockKey = 0x4b495445 // "KITE"

// MigrationLock runs fn while holding a database-wide lock, so that several
// replicas starting at once migrate one after another. On SQLite the single
// writer connection already serializes, so fn just runs.
func (d *DB) MigrationLock(ctx context.Context, fn func(ctx context.Context) error) error {
	if d.Kind != Postgres {
		return fn(ctx)
	}
	conn, err := d.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockKey)
	return fn(ctx)
}

// MigrationFiles exposes the embedded migrations (both dialects), so that
// tests can tell when the schema changed.
func MigrationFiles() fs.FS { return migrationFS }
