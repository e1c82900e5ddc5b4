package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"
)

const (
	maxLongPoll   = 50 // seconds; Telegram's cap on getUpdates timeout
	updateStorage = 24 * time.Hour
)

// updateState is a bot's side of update delivery: the queue, getUpdates
// bookkeeping and the webhook. It is guarded by bot.mu.
type updateState struct {
	nextID     int64
	queue      updateQueue
	allowed    []string      // allowed_updates; empty means Telegram's default set
	pollGen    uint64        // bumped by each getUpdates; an older waiting poll then gives way
	pollWake   chan struct{} // closed to wake waiting getUpdates calls
	drained    chan struct{} // closed when nothing is pending, for WaitDelivered
	lastOffset int64
	lastPollAt time.Time

	hook             *webhook
	backoff          time.Duration
	pauseUntil       time.Time // no delivery starts before this after a failure
	lastErrorDate    int64
	lastErrorMessage string
	nextSetWebhook   time.Time // Telegram accepts one setWebhook per second
}

// allowedKind reports whether updates of kind reach the bot. By default
// Telegram withholds chat_member, message_reaction and message_reaction_count.
func (u *updateState) allowedKind(kind string) bool {
	if len(u.allowed) == 0 {
		return kind != "chat_member" && kind != "message_reaction" && kind != "message_reaction_count"
	}
	return slices.Contains(u.allowed, kind)
}

// enqueueLocked gives an update of kind the bot's next update_id, has encode
// produce its JSON with that id, and queues it unless allowed_updates
// excludes the kind. b.mu must be held.
func (b *bot) enqueueLocked(kind string, encode func(id int64) []byte) int64 {
	b.upd.nextID++
	id := b.upd.nextID
	body := encode(id)
	b.stats.Updates++
	if !b.upd.allowedKind(kind) {
		return id
	}
	b.upd.queue.push(&pendingUpdate{id: id, body: body, created: time.Now()})
	b.wakePollersLocked()
	if h := b.upd.hook; h != nil {
		h.signal()
	}
	return id
}

// enqueueUpdateLocked queues a typed update and fills in its id and Raw.
func (b *bot) enqueueUpdateLocked(u *Update, kind string) {
	b.enqueueLocked(kind, func(id int64) []byte {
		u.UpdateID = id
		u.Raw = encodeJSON(u)
		return u.Raw
	})
}

// markDoneLocked forgets an update and wakes WaitDelivered when the queue
// empties.
func (b *bot) markDoneLocked(u *pendingUpdate) {
	b.upd.queue.done(u)
	b.noteDrainedLocked()
}

func (b *bot) noteDrainedLocked() {
	if b.upd.queue.pending == 0 && b.upd.drained != nil {
		close(b.upd.drained)
		b.upd.drained = nil
	}
}

func (b *bot) wakePollersLocked() {
	if b.upd.pollWake != nil {
		close(b.upd.pollWake)
		b.upd.pollWake = nil
	}
}

// getUpdates implements https://core.telegram.org/bots/api#getupdates.
func (s *Server) getUpdates(b *bot, in *request) (any, *apiError) {
	offset := in.int64Arg("offset")
	limit := in.intArg("limit", 100, 1, 100)
	timeout := time.Duration(in.intArg("timeout", 0, 0, maxLongPoll)) * time.Second
	allowed, setAllowed := in.listArg("allowed_updates")

	b.mu.Lock()
	defer b.mu.Unlock()
	if b.upd.hook != nil {
		return nil, conflict(descWebhookActive)
	}
	if setAllowed {
		b.upd.allowed = allowed
	}
	// Telegram stretches a quick repeat of the same short poll to 3 seconds
	// so that clients cannot spin on it.
	if offset == b.upd.lastOffset && timeout < 3*time.Second && in.at.Before(b.upd.lastPollAt.Add(3*time.Second)) {
		timeout = 3 * time.Second
	}
	b.upd.lastOffset, b.upd.lastPollAt = offset, in.at
	b.upd.pollGen++
	gen := b.upd.pollGen
	b.wakePollersLocked()

	// A negative offset counts from the end of the queue; everything before
	// the resulting offset is confirmed.
	if offset < 0 {
		offset = max(0, b.upd.nextID+1+offset)
	}
	b.upd.queue.expire(in.at.Add(-updateStorage))
	b.upd.queue.confirmBefore(offset)
	b.noteDrainedLocked()

	deadline := in.at.Add(timeout)
	for {
		switch {
		case s.down.Load():
			return nil, errBadGateway()
		case b.upd.hook != nil:
			return nil, conflict(descSetWebhookPoll)
		case gen != b.upd.pollGen:
			return nil, conflict(descOtherPoll)
		}
		found := b.upd.queue.collect(offset, limit)
		wait := time.Until(deadline)
		if len(found) > 0 || wait <= 0 {
			return updateList(found), nil
		}
		if b.upd.pollWake == nil {
			b.upd.pollWake = make(chan struct{})
		}
		wake := b.upd.pollWake
		b.mu.Unlock()
		timer := time.NewTimer(wait)
		select {
		case <-wake:
		case <-timer.C:
		case <-in.ctx.Done():
		case <-s.ctx.Done():
		}
		timer.Stop()
		b.mu.Lock()
		if in.ctx.Err() != nil || s.ctx.Err() != nil {
			return updateList(nil), nil
		}
	}
}

// updateList is a JSON array of update bodies, joined without re-encoding.
func updateList(updates []*pendingUpdate) json.RawMessage {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, u := range updates {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(u.body)
	}
	buf.WriteByte(']')
	return buf.Bytes()
}

// WaitDelivered blocks until no update of the bot is pending: each one was
// answered 2xx by the webhook or confirmed through getUpdates (or dropped).
// It returns ctx's error if ctx ends first.
func (s *Server) WaitDelivered(ctx context.Context, token string) error {
	b := s.lookup(token)
	if b == nil {
		return errors.New("telegramtest: no bot registered with token " + token)
	}
	for {
		b.mu.Lock()
		if b.upd.queue.pending == 0 {
			b.mu.Unlock()
			return nil
		}
		if b.upd.drained == nil {
			b.upd.drained = make(chan struct{})
		}
		drained := b.upd.drained
		b.mu.Unlock()
		select {
		case <-drained:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
