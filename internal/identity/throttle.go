package identity

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// Throttling slows down guessing without letting an attacker lock anyone
// out. Failures are counted over a sliding 15-minute window in the database
// (so every replica sees them):
//   - per account: after 10 failures, each further attempt must wait a delay
//     that doubles with every failure, capped at one minute — slower, never
//     locked;
//   - per IP: after 50 failures the address waits out the window, which
//     stops one source from slowing down many accounts cheaply.

const (
	throttleWindow     = 15 * time.Minute
	accountFreeTries   = 10
	accountMaxDelay    = time.Minute
	ipFreeTries        = 50
	throttleCountLimit = 200 // counting stops here; enough to decide
)

type failure struct {
	bun.BaseModel `bun:"table:auth_failures"`
	Key           string    `bun:"key"`
	At            time.Time `bun:"at"`
}

// Throttle counts failures by key.
type Throttle struct {
	db  *db.DB
	now func() time.Time
}

// NewThrottle returns a throttle over the auth_failures table.
func NewThrottle(d *db.DB) *Throttle { return &Throttle{db: d, now: time.Now} }

// Keys for one attempt: the account (when known) and the client address.
func throttleKeys(scope, account, ip string) (acct, addr string) {
	if account != "" {
		acct = scope + ":acct:" + account
	}
	return acct, scope + ":ip:" + ip
}

// Check returns a 429 problem with Retry-After when the account or the
// address must wait, nil otherwise.
func (t *Throttle) Check(ctx context.Context, scope, account, ip string) error {
	acct, addr := throttleKeys(scope, account, ip)
	now := t.now().UTC()
	if n, _, err := t.recent(ctx, addr, now); err != nil {
		return err
	} else if n >= ipFreeTries {
		return tooMany(throttleWindow / 3)
	}
	if acct == "" {
		return nil
	}
	n, last, err := t.recent(ctx, acct, now)
	if err != nil || n < accountFreeTries {
		return err
	}
	delay := min(time.Second<<min(n-accountFreeTries, 10), accountMaxDelay)
	if wait := last.Add(delay).Sub(now); wait > 0 {
		return tooMany(wait)
	}
	return nil
}

// Fail records a failed attempt for the account and the address.
func (t *Throttle) Fail(ctx context.Context, scope, account, ip string) error {
	acct, addr := throttleKeys(scope, account, ip)
	now := t.now().UTC()
	rows := []failure{{Key: addr, At: now}}
	if acct != "" {
		rows = append(rows, failure{Key: acct, At: now})
	}
	_, err := t.db.NewInsert().Model(&rows).Exec(ctx)
	return err
}

// Reset forgets an account's failures after it proved itself.
func (t *Throttle) Reset(ctx context.Context, scope, account string) error {
	acct, _ := throttleKeys(scope, account, "")
	_, err := t.db.NewDelete().Model((*failure)(nil)).Where("key = ?", acct).Exec(ctx)
	return err
}

// Prune deletes failures older than the window.
func (t *Throttle) Prune(ctx context.Context) error {
	_, err := t.db.NewDelete().Model((*failure)(nil)).Where("at < ?", t.now().UTC().Add(-throttleWindow)).Exec(ctx)
	return err
}

func (t *Throttle) recent(ctx context.Context, key string, now time.Time) (int, time.Time, error) {
	var times []time.Time
	err := t.db.Read.NewSelect().Model((*failure)(nil)).Column("at").Where("key = ?", key).
		Where("at > ?", now.Add(-throttleWindow)).OrderExpr("at DESC").Limit(throttleCountLimit).Scan(ctx, &times)
	if err != nil || len(times) == 0 {
		return 0, time.Time{}, err
	}
	return len(times), times[0], nil
}

// ErrThrottled is the 429 problem; its RetryAfter says how long to wait.
type ErrThrottled struct {
	*httpx.Problem
	RetryAfter time.Duration
}

func tooMany(wait time.Duration) error {
	secs := int((wait + time.Second - 1) / time.Second)
	p := httpx.NewProblem(http.StatusTooManyRequests, "rate_limited",
		fmt.Sprintf("Too many attempts. Try again in %d seconds.", secs))
	return &ErrThrottled{Problem: p, RetryAfter: time.Duration(secs) * time.Second}
}

// GetHeaders adds Retry-After to the 429 answer (huma.HeadersError).
func (e *ErrThrottled) GetHeaders() http.Header {
	return http.Header{"Retry-After": {strconv.Itoa(int(e.RetryAfter / time.Second))}}
}
