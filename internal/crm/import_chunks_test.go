package crm

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

func TestChunkedFileReadsBackFromAnyOffset(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		orgID, importID := db.NewID(), db.NewID()
		file := make([]byte, 2*importChunkBytes+12345) // two full chunks and a partial one
		rand.NewChaCha8([32]byte{1}).Read(file)
		err := d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.NewRaw("INSERT INTO organizations (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
				orgID, "Chunks", now, now).Exec(ctx); err != nil {
				return err
			}
			im := Import{ID: importID, OrgID: orgID, Status: ImportDraft, CreatedAt: now, UpdatedAt: now}
			if _, err := tx.NewInsert().Model(&im).Exec(ctx); err != nil {
				return err
			}
			size, err := storeChunks(ctx, tx, importID, bytes.NewReader(file), MaxImportBytes)
			if size != int64(len(file)) {
				t.Errorf("stored %d bytes, want %d", size, len(file))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		chunks, _ := d.NewSelect().Model((*importChunk)(nil)).Where("import_id = ?", importID).Count(ctx)
		if chunks != 3 {
			t.Fatalf("%d chunks, want 3", chunks)
		}
		for _, offset := range []int64{0, 1, importChunkBytes - 1, importChunkBytes, importChunkBytes + 7, int64(len(file)) - 1, int64(len(file))} {
			got, err := io.ReadAll(newChunkReader(ctx, d.Read, importID, offset))
			if err != nil {
				t.Fatalf("offset %d: %v", offset, err)
			}
			if !bytes.Equal(got, file[offset:]) {
				t.Fatalf("offset %d: read %d bytes that differ from the file's %d", offset, len(got), len(file)-int(offset))
			}
		}
		err = d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			big := Import{ID: db.NewID(), OrgID: orgID, Status: ImportDraft, CreatedAt: now, UpdatedAt: now}
			if _, err := tx.NewInsert().Model(&big).Exec(ctx); err != nil {
				return err
			}
			_, err := storeChunks(ctx, tx, big.ID, bytes.NewReader(file), importChunkBytes)
			return err
		})
		if !errors.Is(err, errImportTooLarge) {
			t.Fatalf("storing past the limit: %v, want errImportTooLarge", err)
		}
	})
}
