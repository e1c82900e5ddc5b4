package events

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// TestLiveGetsCommittedEventsOnly: a Live function sees an event after its
// commit and never one rolled back; an event no subscriber wants enqueues
// no dispatch job; Record outside db.Tx is refused when Live functions
// could not learn of the commit.
func TestLiveGetsCommittedEventsOnly(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		var mu sync.Mutex
		var live []string
		committed := false
		bus, _ := setup(t, d, func(b *Bus) {
			b.Subscribe("deals", "deal.*", (&recorder{}).handle)
			b.Live(func(ctx context.Context, ev Event) {
				mu.Lock()
				defer mu.Unlock()
				if !committed {
					t.Errorf("%s reached Live before its commit", ev.Type)
				}
				live = append(live, ev.Type)
			})
		})
		ctx := context.Background()
		oops := errors.New("business rule failed")
		err := d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			if _, err := bus.Record(ctx, tx, Event{OrgID: "o1", Type: "deal.created"}); err != nil {
				return err
			}
			return oops
		})
		if !errors.Is(err, oops) {
			t.Fatal(err)
		}
		err = d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			for _, typ := range []string{"contact.created", "deal.won"} {
				if _, err := bus.Record(ctx, tx, Event{OrgID: "o1", Type: typ}); err != nil {
					return err
				}
			}
			mu.Lock()
			committed = true // the commit follows; Live must not run before it
			mu.Unlock()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		got := append([]string(nil), live...)
		mu.Unlock()
		if len(got) != 2 || got[0] != "contact.created" || got[1] != "deal.won" {
			t.Fatalf("live saw %v, want the two committed events in order", got)
		}
		var jobs int
		if err := d.NewRaw("SELECT count(*) FROM river_job WHERE kind = ?", dispatchArgs{}.Kind()).Scan(ctx, &jobs); err != nil {
			t.Fatal(err)
		}
		if jobs != 1 {
			t.Fatalf("%d dispatch jobs, want 1 (for deal.won; nobody subscribes to contact.*)", jobs)
		}
		err = d.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			_, err := bus.Record(ctx, tx, Event{OrgID: "o1", Type: "deal.lost"})
			return err
		})
		if !errors.Is(err, ErrNoCommitScope) {
			t.Fatalf("Record outside db.Tx = %v, want ErrNoCommitScope", err)
		}
	})
}
