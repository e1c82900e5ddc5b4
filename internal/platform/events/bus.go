package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/jobs"
)

// Handler reacts to one event inside a transaction that also records the
// delivery, so its database effects happen exactly once. It runs while that
// transaction is open: keep it short, and hand slow or external work (HTTP
// calls, mail) to a job enqueued in tx.
type Handler func(ctx context.Context, tx bun.Tx, ev Event) error

// LiveFunc receives each event right after its transaction commits.
type LiveFunc func(ctx context.Context, ev Event)

type subscriber struct {
	name    string
	pattern string
	handle  Handler
}

// Bus records events and dispatches them to subscribers.
type Bus struct {
	db    *db.DB
	queue *jobs.Queue
	log   *slog.Logger
	subs  []subscriber
	live  []LiveFunc
}

// NewBus returns a bus; Register must be called before the queue starts.
func NewBus(d *db.DB, log *slog.Logger) *Bus {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Bus{db: d, log: log}
}

// Register adds the dispatch worker and the daily retention job to the job
// registry.
func (b *Bus) Register(reg *jobs.Registry) {
	jobs.Register(reg, &dispatchWorker{bus: b})
	jobs.Register(reg, &pruneWorker{bus: b})
	reg.Every(24*time.Hour, func() river.JobArgs { return pruneArgs{} })
}

// UseQueue binds the queue that Record enqueues dispatch jobs on.
func (b *Bus) UseQueue(q *jobs.Queue) { b.queue = q }

// Subscribe registers a handler under a unique, stable name (deliveries are
// remembered by it) for event types matching pattern: an exact type
// ("deal.won"), a prefix ("deal.*") or every type ("*"). Subscribe before
// the queue starts.
func (b *Bus) Subscribe(name, pattern string, h Handler) {
	if slices.ContainsFunc(b.subs, func(s subscriber) bool { return s.name == name }) {
		panic("events: subscriber " + name + " registered twice")
	}
	b.subs = append(b.subs, subscriber{name: name, pattern: pattern, handle: h})
}

// Live registers fn to be called with every event right after the
// transaction that recorded it commits, in the committing goroutine, for
// latency-critical fan-out such as pushing to sockets. Delivery is at most
// once: a crash between the commit and the call loses it (sockets replay
// from the outbox with Since). Durable effects Subscribe instead. Register
// before serving.
func (b *Bus) Live(fn LiveFunc) { b.live = append(b.live, fn) }

// durable reports whether a subscriber wants events of typ, which then
// need a dispatch job.
func (b *Bus) durable(typ string) bool {
	return slices.ContainsFunc(b.subs, func(s subscriber) bool { return matches(s.pattern, typ) })
}

func matches(pattern, typ string) bool {
	switch {
	case pattern == "*":
		return true
	case strings.HasSuffix(pattern, ".*"):
		return strings.HasPrefix(typ, strings.TrimSuffix(pattern, "*"))
	}
	return pattern == typ
}

// ErrInvalidEvent is returned for an event without organization or type.
var ErrInvalidEvent = errors.New("events: an event needs an org_id and a type")

// ErrNoCommitScope is returned by Record outside db.Tx when Live functions
// are registered: they could not learn of the commit.
var ErrNoCommitScope = errors.New("events: Record needs the ctx and tx of db.Tx")

// Record writes ev to the outbox in tx (of db.Tx, with its ctx) and, when a
// subscriber wants its type, enqueues its delivery in the same transaction:
// the event exists, and is delivered, only if tx commits. Live functions get
// it after the commit. ID, OccurredAt and an empty payload are filled in;
// the stored event is returned.
func (b *Bus) Record(ctx context.Context, tx bun.Tx, ev Event) (Event, error) {
	evs, err := b.RecordAll(ctx, tx, []Event{ev})
	if err != nil {
		return ev, err
	}
	return evs[0], nil
}

// RecordPayload is Record with the payload given as a value, encoded as
// JSON into ev.Payload.
func (b *Bus) RecordPayload(ctx context.Context, tx bun.Tx, ev Event, payload any) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("events: payload of %s: %w", ev.Type, err)
	}
	ev.Payload = raw
	_, err = b.Record(ctx, tx, ev)
	return err
}

// RecordAll is Record for many events at once, written with one statement
// per thousand; Live functions get them in order after the commit.
func (b *Bus) RecordAll(ctx context.Context, tx bun.Tx, evs []Event) ([]Event, error) {
	if len(evs) == 0 {
		return evs, nil
	}
	rows := make([]row, len(evs))
	for i := range evs {
		ev := &evs[i]
		if ev.OrgID == "" || ev.Type == "" {
			return evs, ErrInvalidEvent
		}
		if ev.ID == "" {
			ev.ID = db.NewID()
		} else if !db.ValidID(ev.ID) {
			return evs, fmt.Errorf("events: %q is not a UUID", ev.ID)
		}
		if ev.OccurredAt.IsZero() {
			ev.OccurredAt = time.Now().UTC()
		}
		if len(ev.Payload) == 0 {
			ev.Payload = json.RawMessage("{}")
		}
		if !json.Valid(ev.Payload) {
			return evs, fmt.Errorf("events: payload of %s is not JSON", ev.Type)
		}
		rows[i] = row{ID: ev.ID, OrgID: ev.OrgID, Type: ev.Type, SubjectID: ev.SubjectID, Actor: ev.Actor,
			Payload: string(ev.Payload), OccurredAt: ev.OccurredAt}
	}
	for part := range slices.Chunk(rows, 1000) {
		if _, err := tx.NewInsert().Model(&part).Exec(ctx); err != nil {
			return evs, fmt.Errorf("events: recording %s: %w", part[0].Type, err)
		}
	}
	for _, ev := range evs {
		if b.durable(ev.Type) {
			if err := b.queue.Enqueue(ctx, tx, dispatchArgs{EventID: ev.ID}, nil); err != nil {
				return evs, fmt.Errorf("events: enqueueing %s: %w", ev.Type, err)
			}
		}
	}
	if len(b.live) > 0 && !db.AfterCommit(ctx, func() {
		for _, ev := range evs {
			b.publishLive(ctx, ev)
		}
	}) {
		return evs, ErrNoCommitScope
	}
	return evs, nil
}

// publishLive hands a committed event to the Live functions; the request
// that committed it may be cancelled by now, the event still goes out.
func (b *Bus) publishLive(ctx context.Context, ev Event) {
	ctx = context.WithoutCancel(ctx)
	for _, fn := range b.live {
		fn(ctx, ev)
	}
}

// ReplaySlack is how far before a client's last event Since looks again:
// IDs are minted when a transaction records the event, not when it
// commits, so a transaction that began earlier can commit later with a
// smaller ID.
const ReplaySlack = 10 * time.Second

// Since returns up to limit events of an org that a client whose last seen
// event is afterID may have missed, oldest first: those after it, and
// those of the ReplaySlack before it (except afterID itself). Clients drop
// IDs they already have. IDs are time-ordered, so this is a keyset scan on
// (org_id, id).
func (b *Bus) Since(ctx context.Context, orgID, afterID string, limit int) ([]Event, error) {
	from := afterID
	if t, ok := timeOfID(afterID); ok {
		from = idAt(t.Add(-ReplaySlack))
	}
	var rows []row
	err := b.db.Read.NewSelect().Model(&rows).Where("org_id = ?", orgID).Where("id > ?", from).Where("id <> ?", afterID).
		Order("id").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Event, len(rows))
	for i, r := range rows {
		out[i] = r.event()
	}
	return out, nil
}

// About returns up to limit events of an org about one record, newest
// first, older than the event beforeID (all when empty): a record's
// activity timeline. It reads the (org_id, subject_id, id) index.
func (b *Bus) About(ctx context.Context, orgID, subjectID, beforeID string, limit int) ([]Event, error) {
	return b.AboutAny(ctx, orgID, []string{subjectID}, beforeID, limit)
}

// AboutAny is About for several records at once (a contact and its
// deals), merged newest first.
func (b *Bus) AboutAny(ctx context.Context, orgID string, subjectIDs []string, beforeID string, limit int) ([]Event, error) {
	var rows []row
	q := b.db.Read.NewSelect().Model(&rows).Where("org_id = ?", orgID).OrderExpr("id DESC").Limit(int64(limit))
	if len(subjectIDs) == 1 {
		q.Where("subject_id = ?", subjectIDs[0])
	} else {
		q.Where("subject_id IN (?)", bun.In(subjectIDs))
	}
	if beforeID != "" {
		q.Where("id < ?", beforeID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Event, len(rows))
	for i, r := range rows {
		out[i] = r.event()
	}
	return out, nil
}

type dispatchArgs struct {
	EventID string `json:"event_id"`
}

func (dispatchArgs) Kind() string { return "events.dispatch" }

type dispatchWorker struct {
	river.WorkerDefaults[dispatchArgs]
	bus *Bus
}

// Work delivers the event to each matching subscriber that has not had it
// yet. A failing subscriber fails the job, which River retries with backoff;
// subscribers that succeeded are skipped on the retry.
func (w *dispatchWorker) Work(ctx context.Context, job *river.Job[dispatchArgs]) error {
	var r row
	if err := w.bus.db.NewSelect().Model(&r).Where("id = ?", job.Args.EventID).Scan(ctx); err != nil {
		if errors.Is(db.MapError(err), db.ErrNotFound) {
			return river.JobCancel(fmt.Errorf("event %s no longer exists", job.Args.EventID))
		}
		return err
	}
	ev := r.event()
	var failed []error
	for _, s := range w.bus.subs {
		if !matches(s.pattern, ev.Type) {
			continue
		}
		if err := w.bus.deliver(ctx, s, ev); err != nil {
			w.bus.log.Warn("event subscriber failed; will retry", "subscriber", s.name, "event", ev.ID, "type", ev.Type, "attempt", job.Attempt, "err", err)
			failed = append(failed, fmt.Errorf("%s: %w", s.name, err))
		}
	}
	return errors.Join(failed...)
}

// errDelivered rolls back a delivery that another attempt already made.
var errDelivered = errors.New("already delivered")

func (b *Bus) deliver(ctx context.Context, s subscriber, ev Event) error {
	err := b.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewInsert().Model(&delivery{EventID: ev.ID, Subscriber: s.name, DeliveredAt: time.Now().UTC()}).
			On("CONFLICT DO NOTHING").Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errDelivered
		}
		return s.handle(ctx, tx, ev)
	})
	if errors.Is(err, errDelivered) {
		return nil
	}
	return err
}
