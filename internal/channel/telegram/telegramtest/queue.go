package telegramtest

import (
	"container/heap"
	"time"
)

// deliveryState tracks an update on its way to the bot.
type deliveryState uint8

const (
	stateWaiting  deliveryState = iota // not yet handed to a webhook worker
	stateInFlight                      // being POSTed to the webhook
	stateRetrying                      // the webhook failed it; waits in the retry heap
	stateDone                          // delivered or confirmed, forgotten for good
)

// pendingUpdate is an update the bot has not confirmed yet. body is the
// final JSON, encoded once and sent as is by getUpdates and the webhook.
type pendingUpdate struct {
	id      int64
	body    []byte
	created time.Time
	state   deliveryState
}

// updateQueue holds a bot's unconfirmed updates in update_id order. Done
// updates leave from the head in amortised O(1); the slice is compacted when
// the released prefix outgrows the rest, so memory follows the backlog and
// 100,000 updates cost no quadratic work.
type updateQueue struct {
	items   []*pendingUpdate
	head    int // items[:head] are done and released; items[head] is never done
	cursor  int // next item no webhook worker has tried; cursor >= head
	retry   retryHeap
	pending int // items not done
}

func (q *updateQueue) push(u *pendingUpdate) {
	if q.head > 1024 && q.head*2 > len(q.items) {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items = q.items[:n]
		q.cursor -= q.head
		q.head = 0
	}
	q.items = append(q.items, u)
	q.pending++
}

// done forgets u; it reports false if u was already done.
func (q *updateQueue) done(u *pendingUpdate) bool {
	if u.state == stateDone {
		return false
	}
	u.state = stateDone
	q.pending--
	for q.head < len(q.items) && q.items[q.head].state == stateDone {
		q.items[q.head] = nil
		q.head++
	}
	q.cursor = max(q.cursor, q.head)
	return true
}

// confirmBefore forgets every update with an id below offset, which is what
// getUpdates does with its offset parameter.
func (q *updateQueue) confirmBefore(offset int64) {
	for q.head < len(q.items) && q.items[q.head].id < offset {
		q.done(q.items[q.head])
	}
}

// expire forgets updates created before cutoff: Telegram keeps them 24 hours.
func (q *updateQueue) expire(cutoff time.Time) {
	for q.head < len(q.items) && q.items[q.head].created.Before(cutoff) {
		q.done(q.items[q.head])
	}
}

// dropAll forgets every pending update (drop_pending_updates).
func (q *updateQueue) dropAll() {
	for _, u := range q.items[q.head:] {
		u.state = stateDone
	}
	*q = updateQueue{}
}

// collect returns up to limit pending updates with id >= offset, oldest first.
func (q *updateQueue) collect(offset int64, limit int) []*pendingUpdate {
	var out []*pendingUpdate
	for i := q.head; i < len(q.items) && len(out) < limit; i++ {
		if u := q.items[i]; u.state != stateDone && u.id >= offset {
			out = append(out, u)
		}
	}
	return out
}

// nextForDelivery hands out the oldest failed update, else the next untried
// one, marking it in flight; nil when there is nothing to deliver.
func (q *updateQueue) nextForDelivery() *pendingUpdate {
	for q.retry.Len() > 0 {
		if u := heap.Pop(&q.retry).(*pendingUpdate); u.state == stateRetrying {
			u.state = stateInFlight
			return u
		}
	}
	for q.cursor < len(q.items) {
		u := q.items[q.cursor]
		q.cursor++
		if u.state == stateWaiting {
			u.state = stateInFlight
			return u
		}
	}
	return nil
}

// hasWork reports whether nextForDelivery may find something.
func (q *updateQueue) hasWork() bool {
	return q.retry.Len() > 0 || q.cursor < len(q.items)
}

// failed puts an update whose delivery failed back for a retry.
func (q *updateQueue) failed(u *pendingUpdate) {
	if u.state == stateInFlight {
		u.state = stateRetrying
		heap.Push(&q.retry, u)
	}
}

// restartDelivery makes every pending update deliverable again, for a new
// webhook. Updates still in flight to an old webhook come back through
// failed if that delivery does not succeed.
func (q *updateQueue) restartDelivery() {
	for _, u := range q.retry {
		if u.state == stateRetrying {
			u.state = stateWaiting
		}
	}
	q.retry = q.retry[:0]
	q.cursor = q.head
}

// retryHeap orders failed updates by id so the oldest is retried first.
type retryHeap []*pendingUpdate

func (h retryHeap) Len() int           { return len(h) }
func (h retryHeap) Less(i, j int) bool { return h[i].id < h[j].id }
func (h retryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *retryHeap) Push(x any)        { *h = append(*h, x.(*pendingUpdate)) }
func (h *retryHeap) Pop() any {
	old := *h
	u := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return u
}
