package inbox

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// The sender of one channel account runs on the replica holding the
// channel's lease, so it alone paces the account. It keeps each chat's
// messages in order (only a chat's oldest queued message is ever in
// flight), spaces sends by the channel's limits, waits as long as the
// channel asks after a refusal, and backs off while the channel is down.
// A message is marked sent after the channel took it: a crash between the
// two sends it again on restart, so at most maxInFlight messages per
// account can be sent twice.

const (
	maxInFlight = 8
	queueWindow = 2000 // queued messages looked at per refresh
	maxBackoff  = 30 * time.Second
	minReload   = 50 * time.Millisecond // between reads of the queue after wake-ups
)

type queued struct {
	ID       string
	ChatID   string
	ChatKind string
}

type sendResult struct {
	item queued
	err  *SendError // nil: sent, or failed for good (already recorded)
	// answered is when the channel answered (or the send failed); the
	// channel got the message no later than that.
	answered time.Time
}

// sendMark is one started send, for the Burst-per-Window count.
type sendMark struct {
	id       string
	answered time.Time // zero while in flight
}

type sender struct {
	s      *Service
	ch     ChannelRecord
	c      Channel
	limits Limits
	wake   chan struct{}
	done   chan sendResult

	queue       []queued
	inFlight    map[string]bool      // by chat
	chatNext    map[string]time.Time // earliest next send per chat
	overallNext time.Time            // earliest next send of the account
	recent      []sendMark           // the latest Burst sends, oldest first
	backoff     time.Duration        // while the channel fails
}

func newSender(s *Service, ch ChannelRecord, c Channel) *sender {
	return &sender{s: s, ch: ch, c: c, limits: c.Capabilities().Limits, wake: make(chan struct{}, 1),
		done: make(chan sendResult, maxInFlight), inFlight: map[string]bool{}, chatNext: map[string]time.Time{}}
}

func (x *sender) poke() {
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

func (x *sender) run(ctx context.Context) {
	reload, woken, loadedAt := true, false, time.Time{}
	for {
		if reload {
			if err := x.load(ctx); err != nil && ctx.Err() == nil {
				x.s.log.Warn("could not read the send queue", "channel", x.ch.ID, "err", err)
			}
			reload, woken, loadedAt = false, false, time.Now()
		}
		wait := x.dispatch(ctx)
		// Look at the queue at least once a second (other replicas queue
		// messages without waking this one), and soon after a wake-up, but
		// not on every one: a burst of queued messages is read in one go.
		next := time.Second
		if woken {
			next = minReload
		}
		if sinceLoad := time.Since(loadedAt); wait > next-sinceLoad {
			wait = max(next-sinceLoad, time.Millisecond)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			x.drain()
			return
		case <-x.wake:
			woken = true
			reload = time.Since(loadedAt) >= minReload
		case r := <-x.done:
			if x.settle(ctx, r) {
				timer.Stop()
				x.drain()
				return
			}
		case <-timer.C:
			reload = time.Since(loadedAt) >= next
		}
		timer.Stop()
	}
}

// drain waits for sends in flight, so their outcome is recorded.
func (x *sender) drain() {
	for len(x.inFlight) > 0 {
		r := <-x.done
		delete(x.inFlight, r.item.ChatID)
	}
}

// load reads the oldest queued messages of the account.
func (x *sender) load(ctx context.Context) error {
	var rows []queued
	err := x.s.db.Read.NewSelect().TableExpr("messages AS m").Join("JOIN chats AS c ON c.id = m.chat_id").
		ColumnExpr("m.id, m.chat_id, c.kind AS chat_kind").
		Where("m.channel_id = ?", x.ch.ID).Where("m.status = ?", StatusQueued).
		OrderExpr("m.created_at, m.id").Limit(queueWindow).Scan(ctx, &rows)
	if err != nil {
		return err
	}
	x.queue = rows
	return nil
}

// dispatch starts every send the limits allow now and returns how long
// until the next one could start.
func (x *sender) dispatch(ctx context.Context) time.Duration {
	now := time.Now()
	wait := time.Second
	if x.overallNext.After(now) {
		return x.overallNext.Sub(now)
	}
	if w := x.windowWait(now); w > 0 {
		return w
	}
	heads := map[string]bool{}
	kept := x.queue[:0]
	for i, q := range x.queue {
		if heads[q.ChatID] || x.inFlight[q.ChatID] {
			heads[q.ChatID] = true
			kept = append(kept, q)
			continue
		}
		heads[q.ChatID] = true
		if next := x.chatNext[q.ChatID]; next.After(now) {
			wait = min(wait, next.Sub(now))
			kept = append(kept, q)
			continue
		}
		if len(x.inFlight) >= maxInFlight || x.overallNext.After(now) || x.windowWait(now) > 0 {
			if x.overallNext.After(now) {
				wait = min(wait, x.overallNext.Sub(now))
			}
			if w := x.windowWait(now); w > 0 {
				wait = min(wait, w)
			}
			kept = append(kept, x.queue[i:]...)
			break
		}
		x.start(ctx, q, now)
	}
	x.queue = kept
	return wait
}

// windowWait is how long until a send may start without Burst sends
// reaching the channel within one Window. A send reaches the channel
// after it starts and before it is answered, so a new send may start one
// Window after the send Burst back was answered: then no Window can hold
// more than Burst arrivals, however the requests were delayed on the way.
// Pacing keeps this from binding while answers come quickly.
func (x *sender) windowWait(now time.Time) time.Duration {
	if x.limits.Burst <= 0 || len(x.recent) < x.limits.Burst {
		return 0
	}
	oldest := x.recent[len(x.recent)-x.limits.Burst]
	if oldest.answered.IsZero() {
		return 10 * time.Millisecond // its answer wakes the loop anyway
	}
	return max(oldest.answered.Add(x.limits.Window).Sub(now), 0)
}

func (x *sender) start(ctx context.Context, q queued, now time.Time) {
	x.inFlight[q.ChatID] = true
	if x.limits.Burst > 0 {
		x.recent = append(x.recent, sendMark{id: q.ID})
		if len(x.recent) > 2*x.limits.Burst {
			x.recent = append(x.recent[:0], x.recent[len(x.recent)-x.limits.Burst:]...)
		}
	}
	if x.limits.Overall > 0 {
		// The next send is due one interval after this one was due, not
		// after it started: a timer that fires late must not slow the
		// account below its rate. After an idle spell it starts afresh.
		interval := time.Duration(float64(time.Second) / x.limits.Overall)
		due := x.overallNext
		if due.Before(now.Add(-interval)) {
			due = now
		}
		x.overallNext = due.Add(interval)
	}
	gap := x.limits.PrivateGap
	if q.ChatKind == ChatGroup {
		gap = x.limits.GroupGap
	}
	x.chatNext[q.ChatID] = now.Add(gap)
	go func() {
		var answered time.Time
		err := x.deliver(ctx, q, &answered)
		x.done <- sendResult{item: q, err: err, answered: answered}
	}()
}

// settle applies a send's outcome; true means the account is broken.
func (x *sender) settle(ctx context.Context, r sendResult) bool {
	delete(x.inFlight, r.item.ChatID)
	for i := range x.recent {
		if x.recent[i].id == r.item.ID && x.recent[i].answered.IsZero() {
			x.recent[i].answered = r.answered
			if r.answered.IsZero() { // nothing reached the channel
				x.recent[i].answered = time.Now().Add(-x.limits.Window)
			}
		}
	}
	x.drop(r.item.ID)
	if r.err == nil {
		x.backoff = 0
		return false
	}
	now := time.Now()
	switch r.err.Outcome {
	case Broken:
		if err := x.s.MarkBroken(context.WithoutCancel(ctx), x.ch, r.err.Reason); err != nil {
			x.s.log.Warn("could not mark the channel broken", "channel", x.ch.ID, "err", err)
		}
		return true
	case Retry:
		after := r.err.After
		if after <= 0 { // down or unreachable: the whole account backs off
			x.backoff = min(max(2*x.backoff, 500*time.Millisecond), maxBackoff)
			after, r.err.WholeChannel = x.backoff, true
		}
		if next := now.Add(after); next.After(x.chatNext[r.item.ChatID]) {
			x.chatNext[r.item.ChatID] = next
		}
		if r.err.WholeChannel && now.Add(after).After(x.overallNext) {
			x.overallNext = now.Add(after)
		}
		// The message is still queued: it comes back, first of its chat.
		x.queue = append([]queued{r.item}, x.queue...)
	}
	return false
}

func (x *sender) drop(id string) {
	kept := x.queue[:0]
	for _, q := range x.queue {
		if q.ID != id {
			kept = append(kept, q)
		}
	}
	x.queue = kept
}

// deliver sends one message and records the outcome; a nil result means
// nothing more to do (sent, failed for good, or no longer queued). It sets
// answered when the channel answered.
func (x *sender) deliver(ctx context.Context, q queued, answered *time.Time) *SendError {
	var m Message
	if err := x.s.db.Read.NewSelect().Model(&m).Where("id = ?", q.ID).Scan(ctx); err != nil || m.Status != StatusQueued {
		if err != nil && ctx.Err() == nil {
			return &SendError{Outcome: Retry, Reason: err.Error()}
		}
		return nil
	}
	var chat Chat
	if err := x.s.db.Read.NewSelect().Model(&chat).Where("id = ?", m.ChatID).Scan(ctx); err != nil {
		return &SendError{Outcome: Retry, Reason: err.Error()}
	}
	m.fill()
	if m.ReplyToID != nil {
		var ext []string
		_ = x.s.db.Read.NewSelect().Model((*Message)(nil)).Column("external_id").Where("id = ?", *m.ReplyToID).
			Where("external_id IS NOT NULL").Scan(ctx, &ext)
		if len(ext) == 1 {
			m.ReplyToExternalID = ext[0]
		}
	}
	ext, err := x.c.Send(ctx, x.ch, chat, m)
	*answered = time.Now()
	if err != nil {
		se := sendOutcome(err)
		if se.Outcome == Fail {
			x.record(ctx, chat, m, StatusFailed, "", se.Reason)
			return nil
		}
		if se.Outcome == Retry && se.Reason != m.Error {
			x.note(ctx, m.ID, se.Reason)
		}
		return se
	}
	x.record(ctx, chat, m, StatusSent, ext, "")
	return nil
}

// record stores a send's final outcome with its event. It runs even when
// the sender is stopping: the channel already took (or refused) it.
func (x *sender) record(ctx context.Context, chat Chat, m Message, status, ext, reason string) {
	ctx = context.WithoutCancel(ctx)
	now := x.s.now()
	err := x.s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewUpdate().Model((*Message)(nil)).Set("status = ?", status).Set("error = ?", reason).
			Set("attempts = attempts + 1").Where("id = ?", m.ID).Where("status = ?", StatusQueued)
		if status == StatusSent {
			q.Set("external_id = ?", ext).Set("sent_at = ?", now)
		}
		res, err := q.Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		m.Status, m.Error = status, reason
		if status == StatusSent {
			m.ExternalID, m.SentAt = &ext, &now
		}
		typ := "message.sent"
		if status == StatusFailed {
			typ = "message.failed"
		}
		return x.s.record(ctx, tx, m.OrgID, "system:"+x.ch.Kind, typ, m.ChatID, messageEvent(chat, m))
	})
	if err != nil {
		x.s.log.Error("could not record a send's outcome", "message", m.ID, "status", status, "err", err)
	}
}

// note keeps the latest reason a queued message waits, for the screens.
func (x *sender) note(ctx context.Context, id, reason string) {
	_ = x.s.db.Tx(context.WithoutCancel(ctx), func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewUpdate().Model((*Message)(nil)).Set("error = ?", reason).Where("id = ?", id).
			Where("status = ?", StatusQueued).Exec(ctx)
		return err
	})
}
