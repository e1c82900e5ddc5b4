package inbox

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// Delivery keys older than Telegram's redelivery window are dropped; the
// recent ones, which guard against a redelivery, stay.
func TestPruneInboundKeysKeepsTheRecentOnes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Microsecond)
		s := &Service{db: d, log: slog.New(slog.DiscardHandler), now: func() time.Time { return now }}
		orgID, chID := db.NewID(), db.NewID()
		if _, err := d.NewRaw("INSERT INTO organizations (id, name, created_at, updated_at) VALUES (?, 'O', ?, ?)", orgID, now, now).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		ch := ChannelRecord{ID: chID, OrgID: orgID, Kind: "telegram", Name: "b", ExternalID: "1", Status: ChannelActive,
			Delivery: "polling", CreatedAt: now, UpdatedAt: now}
		if _, err := d.NewInsert().Model(&ch).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		keys := []inboundKey{
			{ChannelID: chID, Key: "update:1", CreatedAt: now.Add(-keepInboundKeys - time.Minute)},
			{ChannelID: chID, Key: "update:2", CreatedAt: now.Add(-keepInboundKeys + time.Minute)},
			{ChannelID: chID, Key: "update:3", CreatedAt: now},
		}
		if _, err := d.NewInsert().Model(&keys).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		s.pruneInboundKeys(ctx)
		var left []string
		if err := d.NewSelect().Model((*inboundKey)(nil)).Column("key").OrderExpr("key").Scan(ctx, &left); err != nil {
			t.Fatal(err)
		}
		if len(left) != 2 || left[0] != "update:2" || left[1] != "update:3" {
			t.Fatalf("keys left: %v", left)
		}
	})
}
