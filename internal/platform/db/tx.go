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
func (d *DB) Tx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	var err error
	for attempt := 1; attempt <= maxTxAttempts; attempt++ {
		err = d.RunInTx(ctx, nil, fn)
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
