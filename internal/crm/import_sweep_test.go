package crm

import (
	"context"
	"testing"
	"time"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

func TestDraftSweepDropsOnlyOldDrafts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		orgID := db.NewID()
		if _, err := d.NewRaw("INSERT INTO organizations (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)", orgID, "Sweep", now, now).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		old := now.Add(-draftTTL - time.Hour)
		rows := []Import{
			{ID: db.NewID(), OrgID: orgID, Status: ImportDraft, Filename: "old draft", CreatedAt: old, UpdatedAt: old},
			{ID: db.NewID(), OrgID: orgID, Status: ImportDraft, Filename: "new draft", CreatedAt: now, UpdatedAt: now},
			{ID: db.NewID(), OrgID: orgID, Status: ImportDone, Filename: "old import", CreatedAt: old, UpdatedAt: old},
		}
		if _, err := d.NewInsert().Model(&rows).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := d.NewInsert().Model(&importChunk{ImportID: rows[0].ID, Data: []byte("a,b\n")}).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		w := &draftSweepWorker{s: &Service{db: d, now: time.Now}}
		if err := w.Work(ctx, nil); err != nil {
			t.Fatal(err)
		}
		var left []string
		d.NewSelect().Model((*Import)(nil)).Column("filename").Order("filename").Scan(ctx, &left)
		if len(left) != 2 || left[0] != "new draft" || left[1] != "old import" {
			t.Fatalf("imports left: %q", left)
		}
		if n, _ := d.NewSelect().Model((*importChunk)(nil)).Count(ctx); n != 0 {
			t.Fatalf("%d chunks of the dropped draft are left", n)
		}
	})
}
