package idempotency

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// fixture is a store in front of a handler that counts its runs and
// answers 201 with the body it read, or what the test sets.
type fixture struct {
	t      *testing.T
	store  *Store
	runs   atomic.Int64
	status atomic.Int64 // answer status; 201 when 0
	gate   chan struct{}
	now    time.Time
	mu     sync.Mutex
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	f := &fixture{t: t, store: New(d, nil), now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	f.store.now = func() time.Time {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.now
	}
	return f
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func (f *fixture) handler(w http.ResponseWriter, r *http.Request) {
	n := f.runs.Add(1)
	if f.gate != nil {
		<-f.gate
	}
	body, _ := io.ReadAll(r.Body)
	status := int(f.status.Load())
	if status == 0 {
		status = http.StatusCreated
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Location", "/things/1")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"run": n, "got": string(body)})
}

// send posts body with key as scope and returns the recorded answer.
func (f *fixture) send(scope, method, key, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "/api/v1/things", strings.NewReader(body))
	if key != "" {
		r.Header.Set(Header, key)
	}
	w := httptest.NewRecorder()
	f.store.Serve(w, r, scope, f.handler)
	return w
}

func code(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var p struct{ Code string }
	json.Unmarshal(w.Body.Bytes(), &p)
	return p.Code
}

func TestRepeatGetsTheFirstAnswer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		first := f.send("org1 user1", http.MethodPost, "k-1", `{"a":1}`)
		again := f.send("org1 user1", http.MethodPost, "k-1", `{"a":1}`)
		if f.runs.Load() != 1 {
			t.Fatalf("handler ran %d times, want 1", f.runs.Load())
		}
		if again.Code != http.StatusCreated || again.Body.String() != first.Body.String() {
			t.Fatalf("repeat answered %d %q, want the first %d %q", again.Code, again.Body, first.Code, first.Body)
		}
		if again.Header().Get(ReplayedHeader) != "true" || first.Header().Get(ReplayedHeader) != "" {
			t.Fatalf("replayed header: first %q, repeat %q", first.Header().Get(ReplayedHeader), again.Header().Get(ReplayedHeader))
		}
		if again.Header().Get("Location") != "/things/1" || again.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("repeat headers %v", again.Header())
		}

		// Another actor's or another org's key of the same name is theirs.
		f.send("org1 user2", http.MethodPost, "k-1", `{"a":1}`)
		f.send("org2 user1", http.MethodPost, "k-1", `{"a":1}`)
		if f.runs.Load() != 3 {
			t.Fatalf("handler ran %d times over three scopes, want 3", f.runs.Load())
		}
		// Without a key, or for a read, every request runs.
		f.send("org1 user1", http.MethodPost, "", `{"a":1}`)
		f.send("org1 user1", http.MethodGet, "k-1", ``)
		if f.runs.Load() != 5 {
			t.Fatalf("handler ran %d times, want 5", f.runs.Load())
		}
	})
}

func TestKeyWithAnotherRequestIsRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.send("s", http.MethodPost, "k", `{"a":1}`)
		for _, tc := range []struct{ method, body string }{{http.MethodPost, `{"a":2}`}, {http.MethodPatch, `{"a":1}`}} {
			w := f.send("s", tc.method, "k", tc.body)
			if w.Code != http.StatusConflict || code(t, w) != "idempotency_key_reused" {
				t.Fatalf("%s %s with a used key: %d %s", tc.method, tc.body, w.Code, w.Body)
			}
		}
		if f.runs.Load() != 1 {
			t.Fatalf("handler ran %d times, want 1", f.runs.Load())
		}
	})
}

func TestBadKeyIsRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		for _, k := range []string{"has space", strings.Repeat("x", 256), "tab\there", "é"} {
			if w := f.send("s", http.MethodPost, k, `{}`); w.Code != http.StatusBadRequest || code(t, w) != "idempotency_key_invalid" {
				t.Fatalf("key %q: %d %s", k, w.Code, w.Body)
			}
		}
		if f.runs.Load() != 0 {
			t.Fatalf("handler ran for a bad key")
		}
	})
}

func TestRepeatWhileRunningIsAConflict(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.gate = make(chan struct{})
		done := make(chan *httptest.ResponseRecorder)
		go func() { done <- f.send("s", http.MethodPost, "k", `{}`) }()
		for f.runs.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		w := f.send("s", http.MethodPost, "k", `{}`)
		if w.Code != http.StatusConflict || code(t, w) != "idempotency_key_in_use" {
			t.Fatalf("repeat during the first: %d %s", w.Code, w.Body)
		}
		close(f.gate)
		if first := <-done; first.Code != http.StatusCreated {
			t.Fatalf("first answered %d", first.Code)
		}
		if w := f.send("s", http.MethodPost, "k", `{}`); w.Code != http.StatusCreated || w.Header().Get(ReplayedHeader) != "true" {
			t.Fatalf("repeat after the first: %d %v", w.Code, w.Header())
		}
		if f.runs.Load() != 1 {
			t.Fatalf("handler ran %d times, want 1", f.runs.Load())
		}
	})
}

func TestFailuresOnOurSideAreNotKept(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		for _, status := range []int{http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusTooManyRequests} {
			f.status.Store(int64(status))
			f.send("s", http.MethodPost, "k", `{}`)
		}
		f.status.Store(0)
		if w := f.send("s", http.MethodPost, "k", `{}`); w.Code != http.StatusCreated || w.Header().Get(ReplayedHeader) != "" {
			t.Fatalf("retry after failures: %d %v", w.Code, w.Header())
		}
		if f.runs.Load() != 4 {
			t.Fatalf("handler ran %d times, want 4 (three failures and the retry)", f.runs.Load())
		}
		// A client error is the answer to that request and is kept.
		f.status.Store(http.StatusUnprocessableEntity)
		f.send("s", http.MethodPost, "k2", `{}`)
		f.status.Store(0)
		if w := f.send("s", http.MethodPost, "k2", `{}`); w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("repeat of a 422: %d", w.Code)
		}
	})
}

func TestPanicReleasesTheKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		func() {
			defer func() { recover() }()
			r := httptest.NewRequest(http.MethodPost, "/api/v1/things", strings.NewReader(`{}`))
			r.Header.Set(Header, "k")
			f.store.Serve(httptest.NewRecorder(), r, "s", func(http.ResponseWriter, *http.Request) { panic("boom") })
		}()
		if w := f.send("s", http.MethodPost, "k", `{}`); w.Code != http.StatusCreated || f.runs.Load() != 1 {
			t.Fatalf("retry after a panic: %d, runs %d", w.Code, f.runs.Load())
		}
	})
}

func TestKeysExpireAndAbandonedRunsAreTakenOver(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.send("s", http.MethodPost, "k", `{"a":1}`)
		f.advance(keep - time.Minute)
		if w := f.send("s", http.MethodPost, "k", `{"a":1}`); w.Header().Get(ReplayedHeader) != "true" {
			t.Fatalf("within a day the answer is replayed: %d %v", w.Code, w.Header())
		}
		f.advance(2 * time.Minute)
		// After a day the key is free, even for another request.
		if w := f.send("s", http.MethodPost, "k", `{"a":2}`); w.Code != http.StatusCreated || w.Header().Get(ReplayedHeader) != "" {
			t.Fatalf("after a day: %d %v", w.Code, w.Header())
		}

		// A first request whose process died leaves its key running.
		ctx := t.Context()
		if first, _, err := f.store.claim(ctx, "s", "dead", "fp"); err != nil || !first {
			t.Fatalf("claim: %v %v", first, err)
		}
		if w := f.send("s", http.MethodPost, "dead", `{}`); w.Code != http.StatusConflict {
			t.Fatalf("a fresh running key: %d", w.Code)
		}
		f.advance(abandoned + time.Second)
		if w := f.send("s", http.MethodPost, "dead", `{}`); w.Code != http.StatusCreated {
			t.Fatalf("an abandoned key is taken over: %d %s", w.Code, w.Body)
		}

		f.advance(keep + time.Second)
		if err := f.store.Prune(ctx); err != nil {
			t.Fatal(err)
		}
		n, err := d.NewSelect().Model((*record)(nil)).Count(ctx)
		if err != nil || n != 0 {
			t.Fatalf("after pruning %d keys left (%v)", n, err)
		}
	})
}

func TestOversizedAnswerIsNotKept(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		big := strings.Repeat("x", maxStored+1)
		f.send("s", http.MethodPost, "k", big)
		if w := f.send("s", http.MethodPost, "k", big); w.Header().Get(ReplayedHeader) != "" || f.runs.Load() != 2 {
			t.Fatalf("an answer over the limit was replayed (runs %d)", f.runs.Load())
		}
	})
}

// TestCommittedWriteNeverRunsTwice: the key is marked in the write's own
// transaction, so a write that committed is not run again by a retry,
// whatever happened to its answer.
func TestCommittedWriteNeverRunsTwice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		if _, err := d.ExecContext(ctx, "CREATE TABLE writes (n INTEGER)"); err != nil {
			t.Fatal(err)
		}
		f := newFixture(t, d)
		writes := func() int64 {
			n, err := d.NewSelect().Table("writes").Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		// write commits a row in the request's context, then fails as told.
		write := func(fail string) func(http.ResponseWriter, *http.Request) {
			return func(w http.ResponseWriter, r *http.Request) {
				f.runs.Add(1)
				if err := d.Tx(r.Context(), func(ctx context.Context, tx bun.Tx) error {
					_, err := tx.ExecContext(ctx, "INSERT INTO writes (n) VALUES (1)")
					return err
				}); err != nil {
					t.Error(err)
				}
				switch fail {
				case "panic": // the process dies before the answer is kept
					panic("after the commit")
				case "500":
					w.WriteHeader(http.StatusInternalServerError)
				}
			}
		}
		serve := func(key string, h http.HandlerFunc) (w *httptest.ResponseRecorder) {
			w = httptest.NewRecorder()
			defer func() { recover() }()
			r := httptest.NewRequest(http.MethodPost, "/api/v1/things", strings.NewReader(`{}`))
			r.Header.Set(Header, key)
			f.store.Serve(w, r, "s", h)
			return w
		}

		// Died after the commit: the key stays taken, first as running,
		// then as a write whose answer was lost.
		serve("died", write("panic"))
		if w := serve("died", write("")); w.Code != http.StatusConflict || code(t, w) != "idempotency_key_in_use" {
			t.Fatalf("retry at once: %d %s", w.Code, w.Body)
		}
		f.advance(abandoned + time.Second)
		if w := serve("died", write("")); w.Code != http.StatusConflict || code(t, w) != "idempotency_key_outcome_lost" {
			t.Fatalf("retry after the first was abandoned: %d %s", w.Code, w.Body)
		}
		if writes() != 1 || f.runs.Load() != 1 {
			t.Fatalf("%d writes in %d runs, want the first only", writes(), f.runs.Load())
		}

		// A failure answered after the commit is that request's answer.
		if w := serve("late500", write("500")); w.Code != http.StatusInternalServerError {
			t.Fatalf("first: %d", w.Code)
		}
		if w := serve("late500", write("")); w.Code != http.StatusInternalServerError || w.Header().Get(ReplayedHeader) != "true" {
			t.Fatalf("retry of a committed write that failed: %d %v", w.Code, w.Header())
		}
		if writes() != 2 {
			t.Fatalf("%d writes, want 2", writes())
		}

		// A transaction that rolls back does not mark the key: the retry
		// runs the write.
		rolledBack := func(w http.ResponseWriter, r *http.Request) {
			f.runs.Add(1)
			d.Tx(r.Context(), func(ctx context.Context, tx bun.Tx) error {
				tx.ExecContext(ctx, "INSERT INTO writes (n) VALUES (1)")
				return errors.New("no")
			})
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		serve("rolled", rolledBack)
		if w := serve("rolled", write("")); w.Code != http.StatusOK || w.Header().Get(ReplayedHeader) != "" {
			t.Fatalf("retry after a rolled-back write: %d %v", w.Code, w.Header())
		}
		if writes() != 3 {
			t.Fatalf("%d writes, want 3", writes())
		}
	})
}
