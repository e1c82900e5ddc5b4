package realtime

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

// notifyChannel is the PostgreSQL channel every replica listens on.
const notifyChannel = "kite_realtime"

// maxNotifyPayload stays under PostgreSQL's 8000-byte NOTIFY limit; larger
// frames go through the realtime_payloads table and the notification
// carries "@<row id>".
const maxNotifyPayload = 7900

type pgBroker struct {
	pool  *pgxpool.Pool
	large atomic.Int64
	// notes holds payloads for the sender, which NOTIFYs them many to a
	// statement: one round trip per frame would make a burst of events
	// wait on each other in the committing request.
	notes chan string
	start sync.Once
	log   *slog.Logger
}

// ListenPostgres makes the hub span replicas: Publish sends NOTIFY, and
// Run's LISTEN loop delivers what any replica published to this process's
// subscribers. Call before Run and before publishing.
func (h *Hub) ListenPostgres(pool *pgxpool.Pool) {
	h.broker = &pgBroker{pool: pool, notes: make(chan string, notifyQueue), log: h.log}
}

// notifyQueue bounds the frames waiting for the sender; a publisher waits
// when it is full.
const notifyQueue = 8192

// maxNotifyBatch bounds the frames sent in one statement.
const maxNotifyBatch = 500

func (b *pgBroker) publish(ctx context.Context, topic string, frame []byte) error {
	payload := topic + "\n" + string(frame)
	if len(payload) > maxNotifyPayload {
		id := uuid.NewString()
		if _, err := b.pool.Exec(ctx, "INSERT INTO realtime_payloads (id, body) VALUES ($1, $2)", id, payload); err != nil {
			return fmt.Errorf("realtime: storing large frame: %w", err)
		}
		payload = "@" + id
		if b.large.Add(1)%100 == 0 {
			// Every replica has long read these.
			b.pool.Exec(ctx, "DELETE FROM realtime_payloads WHERE created_at < now() - interval '5 minutes'")
		}
	}
	b.start.Do(func() { go b.send() })
	select {
	case b.notes <- payload:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// send NOTIFYs queued payloads in order, all that are waiting in one
// statement, until the pool is closed.
func (b *pgBroker) send() {
	for p := range b.notes {
		batch := []string{p}
	more:
		for len(batch) < maxNotifyBatch {
			select {
			case p := <-b.notes:
				batch = append(batch, p)
			default:
				break more
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := b.pool.Exec(ctx, "SELECT pg_notify($1, p) FROM unnest($2::text[]) WITH ORDINALITY AS t (p, n) ORDER BY n", notifyChannel, batch)
		cancel()
		if err != nil {
			if strings.Contains(err.Error(), "closed pool") {
				return
			}
			// Sockets of other replicas miss these frames; clients catch
			// up from the event log with ?since=.
			b.log.Warn("realtime: could not notify other replicas", "frames", len(batch), "err", err)
		}
	}
}

// Run listens for other replicas' messages until ctx ends, reconnecting
// with backoff. Without ListenPostgres it only waits for ctx. Frames
// published while the listener reconnects are not delivered; clients catch
// up from the event log with ?since=.
func (h *Hub) Run(ctx context.Context) {
	b, ok := h.broker.(*pgBroker)
	if !ok {
		<-ctx.Done()
		return
	}
	backoff := 100 * time.Millisecond
	for connected := false; ctx.Err() == nil; connected = true {
		err := h.listen(ctx, b, connected)
		if ctx.Err() != nil {
			return
		}
		h.log.Warn("realtime: listener lost; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff + rand.N(backoff/2)):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// listen holds one LISTEN connection and delivers its notifications.
func (h *Hub) listen(ctx context.Context, b *pgBroker, reconnect bool) error {
	pooled, err := b.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection stays in LISTEN state: take it out of the pool for good.
	conn := pooled.Hijack()
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	h.listening.Store(true)
	defer h.listening.Store(false)
	if reconnect {
		h.resetAll() // frames sent while we were away are lost to these clients
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		payload := n.Payload
		if id, large := strings.CutPrefix(payload, "@"); large {
			if err := b.pool.QueryRow(ctx, "SELECT body FROM realtime_payloads WHERE id = $1", id).Scan(&payload); err != nil {
				h.log.Warn("realtime: large frame missing", "id", id, "err", err)
				continue
			}
		}
		if topic, frame, ok := splitNotification([]byte(payload)); ok {
			h.deliver(topic, frame)
		}
	}
}

// Listening reports whether the cross-replica listener is connected (always
// true without PostgreSQL).
func (h *Hub) Listening() bool {
	if _, ok := h.broker.(*pgBroker); !ok {
		return true
	}
	return h.listening.Load()
}
