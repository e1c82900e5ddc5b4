package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

type thing struct {
	bun.BaseModel `bun:"table:things"`
	ID            string    `bun:"id,pk"`
	Name          string    `bun:"name"`
	CreatedAt     time.Time `bun:"created_at"`
}

func createThings(t *testing.T, d *db.DB) {
	t.Helper()
	_, err := d.NewCreateTable().Model((*thing)(nil)).Exec(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.NewCreateIndex().Model((*thing)(nil)).Index("things_name").Unique().Column("name").Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestMigratedSchemaIsReady(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		st, err := d.Schema(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !st.Ready() || st.Current == 0 || st.JobsCurrent == 0 {
			t.Fatalf("schema not ready after migration: %+v", st)
		}
		applied, err := d.Migrate(context.Background())
		if err != nil || len(applied) != 0 {
			t.Fatalf("second migrate applied %v, err %v; want nothing", applied, err)
		}
	})
}

func TestFreshDatabaseMigrates(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, false, func(t *testing.T, b dbtest.Backend) {
		d := dbtest.Open(t, b)
		st, err := d.Schema(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Ready() || st.Current != 0 || len(st.Pending) == 0 {
			t.Fatalf("fresh database reported as migrated: %+v", st)
		}
		applied, err := d.Migrate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(applied)) != st.Latest {
			t.Fatalf("applied %v, want %d migrations", applied, st.Latest)
		}
		if st, _ := d.Schema(context.Background()); !st.Ready() {
			t.Fatalf("not ready after migrate: %+v", st)
		}
	})
}

func TestRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		_, err := d.ExecContext(ctx, "INSERT INTO kite_schema_migrations (version_id, is_applied) VALUES (?, ?)", 9999, true)
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.Migrate(ctx)
		if !errors.Is(err, db.ErrSchemaNewer) {
			t.Fatalf("Migrate on newer schema: %v, want ErrSchemaNewer", err)
		}
	})
}

func TestRefusesHalfMigratedSchema(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		// The first migration is missing while later ones are applied.
		if _, err := d.ExecContext(ctx, "DELETE FROM kite_schema_migrations WHERE version_id = 1"); err != nil {
			t.Fatal(err)
		}
		_, err := d.Schema(ctx)
		if !errors.Is(err, db.ErrSchemaBroken) {
			t.Fatalf("Schema with a gap: %v, want ErrSchemaBroken", err)
		}
		if _, err := d.Migrate(ctx); !errors.Is(err, db.ErrSchemaBroken) {
			t.Fatalf("Migrate with a gap: %v, want ErrSchemaBroken", err)
		}
	})
}

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		createThings(t, d)
		if err := d.NewSelect().Model(&thing{}).Where("id = ?", "nope").Scan(ctx); !errors.Is(db.MapError(err), db.ErrNotFound) {
			t.Fatalf("missing row: %v, want ErrNotFound", err)
		}
		a := &thing{ID: db.NewID(), Name: "a", CreatedAt: time.Now()}
		if _, err := d.NewInsert().Model(a).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		dup := &thing{ID: db.NewID(), Name: "a", CreatedAt: time.Now()}
		_, err := d.NewInsert().Model(dup).Exec(ctx)
		if !errors.Is(db.MapError(err), db.ErrConflict) {
			t.Fatalf("duplicate name: %v, want ErrConflict", err)
		}
		err = d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.NewInsert().Model(&thing{ID: db.NewID(), Name: "a", CreatedAt: time.Now()}).Exec(ctx)
			return err
		})
		if !errors.Is(err, db.ErrConflict) {
			t.Fatalf("Tx duplicate: %v, want ErrConflict", err)
		}
	})
}

func TestTxRollsBackOnError(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		createThings(t, d)
		boom := errors.New("boom")
		err := d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.NewInsert().Model(&thing{ID: db.NewID(), Name: "x", CreatedAt: time.Now()}).Exec(ctx); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		n, err := d.Read.NewSelect().Model((*thing)(nil)).Count(ctx)
		if err != nil || n != 0 {
			t.Fatalf("rolled-back row visible: n=%d err=%v", n, err)
		}
	})
}

// AfterCommit functions run once the transaction has committed (its rows
// visible to readers), never after a rollback, and not outside Tx.
func TestAfterCommit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		createThings(t, d)
		if db.AfterCommit(ctx, func() {}) {
			t.Fatal("AfterCommit outside Tx accepted")
		}
		var ran []string
		for _, fail := range []bool{true, false} {
			err := d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
				id := db.NewID()
				if _, err := tx.NewInsert().Model(&thing{ID: id, Name: "x", CreatedAt: time.Now()}).Exec(ctx); err != nil {
					return err
				}
				db.AfterCommit(ctx, func() {
					n, err := d.Read.NewSelect().Model((*thing)(nil)).Where("id = ?", id).Count(ctx)
					ran = append(ran, fmt.Sprint(n, err))
				})
				if fail {
					return errors.New("boom")
				}
				return nil
			})
			if (err != nil) != fail {
				t.Fatalf("fail=%v: err = %v", fail, err)
			}
		}
		if fmt.Sprint(ran) != "[1 <nil>]" {
			t.Fatalf("after-commit calls saw %v, want one that sees the committed row", ran)
		}
	})
}

// Many goroutines writing at once never see "database is locked" or lose a
// row, and readers keep working beside the writer.
func TestConcurrentWritesNeverFail(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		createThings(t, d)
		const writers, each = 32, 20
		var wg sync.WaitGroup
		errs := make(chan error, writers*each*2)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					err := d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
						_, err := tx.NewInsert().Model(&thing{ID: db.NewID(), Name: fmt.Sprintf("w%d-%d", w, i), CreatedAt: time.Now()}).Exec(ctx)
						return err
					})
					if err != nil {
						errs <- err
					}
					if _, err := d.Read.NewSelect().Model((*thing)(nil)).Count(ctx); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent write/read failed: %v", err)
		}
		n, _ := d.Read.NewSelect().Model((*thing)(nil)).Count(ctx)
		if n != writers*each {
			t.Fatalf("rows = %d, want %d", n, writers*each)
		}
	})
}

func TestTimesRoundTripInOrder(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		createThings(t, d)
		base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		offsets := []time.Duration{0, 500 * time.Millisecond, 450 * time.Millisecond, time.Second, 100 * time.Microsecond}
		for i, off := range offsets {
			d.NewInsert().Model(&thing{ID: db.NewID(), Name: fmt.Sprint(i), CreatedAt: base.Add(off)}).Exec(ctx)
		}
		var got []thing
		if err := d.Read.NewSelect().Model(&got).Where("created_at > ?", base.Add(400*time.Millisecond)).Order("created_at").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].Name != "2" || got[1].Name != "1" || got[2].Name != "3" {
			t.Fatalf("time comparison/order wrong: %+v", got)
		}
		if !got[0].CreatedAt.Equal(base.Add(450 * time.Millisecond)) {
			t.Fatalf("time did not round-trip: %v", got[0].CreatedAt)
		}
	})
}

func TestNewIDIsTimeOrderedUUIDv7(t *testing.T) {
	t.Parallel()
	prev := db.NewID()
	for range 1000 {
		id := db.NewID()
		if !db.ValidID(id) || id[14] != '7' || id <= prev {
			t.Fatalf("id %s after %s is not an ordered UUIDv7", id, prev)
		}
		prev = id
	}
	if db.ValidID("not-a-uuid") || db.ValidID("") {
		t.Fatal("ValidID accepted garbage")
	}
}
