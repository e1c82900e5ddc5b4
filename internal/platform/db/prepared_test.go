package db_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

func TestPreparedReadBindsItsArguments(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		createThings(t, d)
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		for _, name := range []string{"ada", "bob", "cy"} {
			if _, err := d.NewInsert().Model(&thing{ID: db.NewID(), Name: name, CreatedAt: at}).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		byName := d.PrepareRead(func(q *bun.SelectQuery, p *db.Params) *bun.SelectQuery {
			return q.Model((*thing)(nil)).Where("name = ?", p.Next())
		})
		between := d.PrepareRead(func(q *bun.SelectQuery, p *db.Params) *bun.SelectQuery {
			return q.Model((*thing)(nil)).Where("name >= ?", p.Next()).Where("name <= ?", p.Next()).Order("name")
		})
		count := d.PrepareRead(func(q *bun.SelectQuery, p *db.Params) *bun.SelectQuery {
			return q.Model((*thing)(nil)).ColumnExpr("count(*)").Where("name <> ?", p.Next())
		})
		// The text holds placeholders, not values: one text for every call.
		if strings.Contains(byName.String(), "ada") || !strings.ContainsAny(byName.String(), "?$") {
			t.Fatalf("query text %q", byName.String())
		}

		// Many callers at once, each getting its own row: arguments are
		// bound per call, never shared.
		var wg sync.WaitGroup
		for i := range 30 {
			name := []string{"ada", "bob", "cy"}[i%3]
			wg.Go(func() {
				var got thing
				if err := byName.Scan(ctx, &got, name); err != nil || got.Name != name || !got.CreatedAt.Equal(at) {
					t.Errorf("by name %q: got %+v, %v", name, got, err)
				}
			})
		}
		wg.Wait()

		var none thing
		if err := byName.Scan(ctx, &none, "dee"); !errors.Is(err, sql.ErrNoRows) {
			t.Fatalf("no row: %v, want sql.ErrNoRows", err)
		}
		var list []thing
		if err := between.ScanAll(ctx, &list, "b", "d"); err != nil || len(list) != 2 || list[0].Name != "bob" || list[1].Name != "cy" {
			t.Fatalf("between: %+v, %v", list, err)
		}
		var n int
		if err := count.Scan(ctx, &n, "ada"); err != nil || n != 2 {
			t.Fatalf("count: %d, %v", n, err)
		}
		if err := byName.Scan(ctx, &none, at); err == nil {
			t.Fatal("a time argument was accepted")
		}
	})
}
