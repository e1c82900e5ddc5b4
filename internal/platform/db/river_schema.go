package db

import (
	"context"
	"fmt"

	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// The job queue's tables belong to River and are migrated with its own
// migrator, in the same step as Kite's schema.

// riverMigration reports River's applied and known migration versions.
type riverVersions struct{ current, latest int }

func (d *DB) riverVersions(ctx context.Context) (riverVersions, error) {
	var v riverVersions
	var all, existing []rivermigrate.Migration
	var err error
	if d.Kind == Postgres {
		m, merr := rivermigrate.New(riverpgxv5.New(d.Pool), nil)
		if merr != nil {
			return v, merr
		}
		all = m.AllVersions()
		existing, err = m.ExistingVersions(ctx)
	} else {
		m, merr := rivermigrate.New(riversqlite.New(d.DB.DB), nil)
		if merr != nil {
			return v, merr
		}
		all = m.AllVersions()
		existing, err = m.ExistingVersions(ctx)
	}
	if err != nil {
		return v, fmt.Errorf("reading job queue schema version: %w", err)
	}
	if len(all) > 0 {
		v.latest = all[len(all)-1].Version
	}
	if len(existing) > 0 {
		v.current = existing[len(existing)-1].Version
	}
	return v, nil
}

func (d *DB) migrateRiver(ctx context.Context) error {
	var err error
	if d.Kind == Postgres {
		m, merr := rivermigrate.New(riverpgxv5.New(d.Pool), nil)
		if merr != nil {
			return merr
		}
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	} else {
		m, merr := rivermigrate.New(riversqlite.New(d.DB.DB), nil)
		if merr != nil {
			return merr
		}
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	}
	if err != nil {
		return fmt.Errorf("migrating job queue schema: %w", err)
	}
	return nil
}

// JobSchemaID identifies the job queue's migrations this binary carries.
func JobSchemaID() string {
	m, err := rivermigrate.New(riversqlite.New(nil), nil)
	if err != nil {
		return "unknown"
	}
	all := m.AllVersions()
	return fmt.Sprintf("river-%d", all[len(all)-1].Version)
}
