package events

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
	"github.com/kite-crm/kite/internal/platform/jobs"
)

// recorder is a subscriber that remembers what it was given.
type recorder struct {
	mu       sync.Mutex
	got      []string
	failures int // fail this many calls before succeeding
}

func (r *recorder) handle(ctx context.Context, tx bun.Tx, ev Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failures > 0 {
		r.failures--
		return errors.New("subscriber down")
	}
	r.got = append(r.got, ev.Type+"/"+ev.SubjectID)
	return nil
}

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

func setup(t *testing.T, d *db.DB, subscribe func(b *Bus)) (*Bus, *jobs.Queue) {
	t.Helper()
	bus := NewBus(d, nil)
	subscribe(bus)
	reg := jobs.NewRegistry()
	bus.Register(reg)
	q, err := jobs.New(d, reg, jobs.Config{PollInterval: 100 * time.Millisecond, SingleProcess: d.Kind == db.SQLite})
	if err != nil {
		t.Fatal(err)
	}
	bus.UseQueue(q)
	return bus, q
}

func start(t *testing.T, q *jobs.Queue) {
	t.Helper()
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
}

func record(t *testing.T, d *db.DB, bus *Bus, evs ...Event) []Event {
	t.Helper()
	var out []Event
	err := d.Tx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		out = out[:0]
		for _, ev := range evs {
			stored, err := bus.Record(ctx, tx, ev)
			if err != nil {
				return err
			}
			out = append(out, stored)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDeliversToMatchingSubscribersOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		all, deals, won := &recorder{}, &recorder{}, &recorder{}
		bus, q := setup(t, d, func(b *Bus) {
			b.Subscribe("all", "*", all.handle)
			b.Subscribe("deals", "deal.*", deals.handle)
			b.Subscribe("won", "deal.won", won.handle)
		})
		start(t, q)
		record(t, d, bus,
			Event{OrgID: "o1", Type: "deal.won", SubjectID: "d1"},
			Event{OrgID: "o1", Type: "contact.created", SubjectID: "c1", Payload: json.RawMessage(`{"name":"Ann"}`)})
		eventually(t, "deliveries", func() bool { return len(all.seen()) == 2 && len(deals.seen()) == 1 && len(won.seen()) == 1 })
		time.Sleep(300 * time.Millisecond)
		if len(all.seen()) != 2 || deals.seen()[0] != "deal.won/d1" || len(won.seen()) != 1 {
			t.Fatalf("all=%v deals=%v won=%v", all.seen(), deals.seen(), won.seen())
		}
	})
}

func TestRolledBackEventIsNeverDelivered(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		all := &recorder{}
		bus, q := setup(t, d, func(b *Bus) { b.Subscribe("all", "*", all.handle) })
		start(t, q)
		oops := errors.New("business rule failed")
		err := d.Tx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
			if _, err := bus.Record(ctx, tx, Event{OrgID: "o1", Type: "deal.created"}); err != nil {
				return err
			}
			return oops
		})
		if !errors.Is(err, oops) {
			t.Fatal(err)
		}
		record(t, d, bus, Event{OrgID: "o1", Type: "deal.deleted"})
		eventually(t, "the committed event", func() bool { return len(all.seen()) == 1 })
		if got := all.seen()[0]; got != "deal.deleted/" {
			t.Fatalf("delivered %q", got)
		}
	})
}

// A failing subscriber is retried; one that already succeeded is not called
// again, even when the event is dispatched a second time.
func TestRetriesOnlyFailedSubscribers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		steady, flaky := &recorder{}, &recorder{failures: 1}
		bus, q := setup(t, d, func(b *Bus) {
			b.Subscribe("steady", "*", steady.handle)
			b.Subscribe("flaky", "*", flaky.handle)
		})
		start(t, q)
		evs := record(t, d, bus, Event{OrgID: "o1", Type: "note.created", SubjectID: "n1"})
		// River retries the failed dispatch after its backoff (about a second).
		eventually(t, "the flaky subscriber's retry", func() bool { return len(flaky.seen()) == 1 })
		// A duplicate dispatch (e.g. after a crash) delivers nothing new.
		if err := q.EnqueueNow(context.Background(), dispatchArgs{EventID: evs[0].ID}, nil); err != nil {
			t.Fatal(err)
		}
		eventually(t, "both dispatches to finish", func() bool {
			n, _ := d.NewSelect().TableExpr("river_job").Where("kind = ?", "events.dispatch").Where("state = 'completed'").Count(context.Background())
			return n == 2
		})
		if len(steady.seen()) != 1 || len(flaky.seen()) != 1 {
			t.Fatalf("steady=%v flaky=%v; want one delivery each", steady.seen(), flaky.seen())
		}
	})
}

func TestHandlerWritesCommitWithDelivery(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		bus, q := setup(t, d, func(b *Bus) {
			b.Subscribe("copier", "*", func(ctx context.Context, tx bun.Tx, ev Event) error {
				// A subscriber's write lands in the same transaction as the
				// delivery mark: here it records a follow-up event.
				if ev.Type != "a" {
					return nil
				}
				_, err := b.Record(ctx, tx, Event{OrgID: ev.OrgID, Type: "b", SubjectID: ev.ID})
				return err
			})
		})
		start(t, q)
		first := record(t, d, bus, Event{OrgID: "o1", Type: "a"})[0]
		eventually(t, "the follow-up event", func() bool {
			evs, _ := bus.Since(context.Background(), "o1", first.ID, 10)
			return len(evs) == 1 && evs[0].Type == "b" && evs[0].SubjectID == first.ID
		})
	})
}

func TestSinceReplaysInOrderPerOrg(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		bus, _ := setup(t, d, func(*Bus) {})
		evs := record(t, d, bus,
			Event{OrgID: "o1", Type: "t1"}, Event{OrgID: "o2", Type: "other-org"},
			Event{OrgID: "o1", Type: "t2", Payload: json.RawMessage(`{"k":[1,2]}`)}, Event{OrgID: "o1", Type: "t3"})
		got, err := bus.Since(context.Background(), "o1", evs[2].ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		// The slack window brings back t1 (recorded just before) but never
		// the client's own last event or another org's.
		if len(got) != 2 || got[0].Type != "t1" || got[1].Type != "t3" {
			t.Fatalf("since with slack = %+v", got)
		}
		got, _ = bus.Since(context.Background(), "o1", "", 10)
		if len(got) != 3 || got[0].Type != "t1" || got[1].Type != "t2" || got[2].Type != "t3" {
			t.Fatalf("since = %+v", got)
		}
		var payload map[string][]int
		if err := json.Unmarshal(got[1].Payload, &payload); err != nil || len(payload["k"]) != 2 {
			t.Fatalf("payload did not round-trip: %s", got[1].Payload)
		}
		if got[0].OccurredAt.IsZero() || got[0].OrgID != "o1" {
			t.Fatalf("event fields lost: %+v", got[0])
		}
	})
}

func TestRecordRejectsIncompleteEvents(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		bus, _ := setup(t, d, func(*Bus) {})
		for _, ev := range []Event{{Type: "x"}, {OrgID: "o"}, {OrgID: "o", Type: "x", Payload: json.RawMessage("{oops")}} {
			err := d.Tx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
				_, err := bus.Record(ctx, tx, ev)
				return err
			})
			if err == nil {
				t.Fatalf("Record(%+v) succeeded", ev)
			}
		}
	})
}

func TestPatternMatching(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pattern, typ string
		want         bool
	}{
		{"*", "deal.won", true}, {"deal.*", "deal.won", true}, {"deal.*", "dealer.x", false},
		{"deal.won", "deal.won", true}, {"deal.won", "deal.lost", false}, {"deal.*", "deal", false},
	}
	for _, c := range cases {
		if got := matches(c.pattern, c.typ); got != c.want {
			t.Errorf("matches(%q, %q) = %v", c.pattern, c.typ, got)
		}
	}
}

func TestPruneDeletesOnlyOldEvents(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		bus, _ := setup(t, d, func(*Bus) {})
		old := time.Now().Add(-40 * 24 * time.Hour)
		oldID := idAt(old)[:24] + "00000000abcd" // an ID minted at that instant
		evs := record(t, d, bus, Event{ID: oldID, OrgID: "o1", Type: "old", OccurredAt: old}, Event{OrgID: "o1", Type: "new"})
		d.NewInsert().Model(&delivery{EventID: oldID, Subscriber: "s", DeliveredAt: old}).Exec(context.Background())
		n, err := bus.Prune(context.Background(), time.Now().Add(-Retention))
		if err != nil || n != 1 {
			t.Fatalf("pruned %d, %v; want 1", n, err)
		}
		left, _ := bus.Since(context.Background(), "o1", "", 10)
		if len(left) != 1 || left[0].ID != evs[1].ID {
			t.Fatalf("left = %+v", left)
		}
		marks, _ := d.NewSelect().Model((*delivery)(nil)).Count(context.Background())
		if marks != 0 {
			t.Fatalf("%d delivery marks of pruned events remain", marks)
		}
	})
}
