package db

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/uptrace/bun"
)

// maxTxAttempts bounds how often Tx runs a function whose transaction hit a
// serialization failure, deadlock or busy database.
const maxTxAttempts = 5

// Tx runs fn in a transaction and commits it if fn returns nil. When the
// database reports a retryable conflict, the whole transaction runs again, a
// bounded number of times with jittered backoff, so fn must not have effects
// outside the transaction. The returned error is mapped with MapError.
//
// Functions registered with AfterCommit during the successful attempt run
// after the commit, in order, before Tx returns.
func (d *DB) Tx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	var err error
	for attempt := 1; attempt <= maxTxAttempts; attempt++ {
		hooks := &commitHooks{}
		err = d.runInTurn(ctx, func() error { return d.RunInTx(context.WithValue(ctx, commitHooksKey{}, hooks), nil, withLast(fn)) })
		if err == nil {
			hooks.run()
		}
		if err == nil || !retryable(err) || attempt == maxTxAttempts {
			break
		}
		backoff := time.Duration(attempt*attempt)*5*time.Millisecond + rand.N(5*time.Millisecond)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
	}
	return MapError(err)
}

// runInTurn runs a transaction when its turn at the SQLite writer comes:
// blocked channel senders are woken first come, first served.
func (d *DB) runInTurn(ctx context.Context, run func() error) error {
	if d.writeTurn == nil {
		return run()
	}
	select {
	case d.writeTurn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-d.writeTurn }()
	return run()
}

type lastInTxKey struct{}

// withLast runs fn, then the context's WithLastInTx function, if any.
func withLast(fn func(ctx context.Context, tx bun.Tx) error) func(ctx context.Context, tx bun.Tx) error {
	return func(ctx context.Context, tx bun.Tx) error {
		if err := fn(ctx, tx); err != nil {
			return err
		}
		if last, ok := ctx.Value(lastInTxKey{}).(func(context.Context, bun.Tx) error); ok {
			return last(ctx, tx)
		}
		return nil
	}
}

// WithLastInTx returns a context in which every transaction run by Tx
// calls fn as its last statement, inside itself: whatever fn writes
// commits exactly when the transaction's own writes do. The idempotency
// store marks a keyed request's key this way once its write commits.
func WithLastInTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) context.Context {
	return context.WithValue(ctx, lastInTxKey{}, fn)
}

type commitHooksKey struct{}

// commitHooks are the functions to call once a Tx attempt has committed.
type commitHooks struct{ fns []func() }

func (h *commitHooks) run() {
	for _, fn := range h.fns {
		fn()
	}
}

// AfterCommit arranges for fn to run right after the transaction of ctx (a
// Tx) commits, and never if it rolls back. It reports false, doing nothing,
// when ctx is not inside Tx.
func AfterCommit(ctx context.Context, fn func()) bool {
	h, ok := ctx.Value(commitHooksKey{}).(*commitHooks)
	if ok {
		h.fns = append(h.fns, fn)
	}
	return ok
}
