// Package idempotency makes API writes safe to retry. A write sent with an
// Idempotency-Key runs once: a repeat with the same key and the same request
// gets the first answer again, a repeat with another request is a 409, and a
// repeat while the first is still running is a 409 the client can retry.
//
// Answers are kept for a day. 5xx and 429 answers are not kept, so a retry
// after a failure on Kite's side runs the write again — unless the write
// had committed: the key is marked in the write's own transaction, and a
// key whose write committed never runs again. Its answer is replayed
// when it was kept; when the process died before keeping it, a retry
// gets a 409 saying the outcome must be read, not written again.
package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
	"github.com/kite-crm/kite/internal/platform/jobs"
)

// Header is the request header naming the key.
const Header = "Idempotency-Key"

// ReplayedHeader marks an answer given again from the store.
const ReplayedHeader = "Idempotent-Replayed"

const (
	// keep is how long an answer is replayed.
	keep = 24 * time.Hour
	// abandoned is how long a first request may run before its key is
	// taken over (the process that ran it died): longer than any write.
	abandoned = 2 * time.Minute
	// maxKeyLen bounds the key as Stripe and the IETF draft do.
	maxKeyLen = 255
	// maxStored is the largest answer kept; a bigger one is not replayable
	// and its key is released.
	maxStored = 1 << 20
)

var (
	errKeyInvalid = httpx.NewProblem(http.StatusBadRequest, "idempotency_key_invalid",
		"The Idempotency-Key header must be 1 to 255 visible ASCII characters.")
	errKeyReused = httpx.NewProblem(http.StatusConflict, "idempotency_key_reused",
		"This Idempotency-Key was used with a different request; use a new key for a new request.")
	errInFlight = httpx.NewProblem(http.StatusConflict, "idempotency_key_in_use",
		"A request with this Idempotency-Key is still running; retry in a moment.")
	errOutcomeLost = httpx.NewProblem(http.StatusConflict, "idempotency_key_outcome_lost",
		"The request with this Idempotency-Key made its change, but its answer was lost; read the record instead of sending the request again.")
)

// record is one key's row.
type record struct {
	bun.BaseModel `bun:"table:idempotency_keys"`
	Scope         string    `bun:"scope,pk"`
	Key           string    `bun:"idem_key,pk"`
	Fingerprint   string    `bun:"fingerprint"`
	Status        int       `bun:"status"`
	ContentType   string    `bun:"content_type"`
	Location      string    `bun:"location"`
	Body          []byte    `bun:"body"`
	CreatedAt     time.Time `bun:"created_at"`
	// CommittedAt is set by the write's own transaction.
	CommittedAt *time.Time `bun:"committed_at"`
}

// Store keeps the answers of keyed writes.
type Store struct {
	db  *db.DB
	log *slog.Logger
	now func() time.Time
}

// New returns a store on d.
func New(d *db.DB, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{db: d, log: log, now: time.Now}
}

// IsWrite says whether a method changes state and so takes a key.
func IsWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// Serve runs next at most once for (scope, key): scope names who writes
// (their org and user or API key), so one caller's keys never meet
// another's. Without a key, or for a read, it just runs next.
func (s *Store) Serve(w http.ResponseWriter, r *http.Request, scope string, next func(http.ResponseWriter, *http.Request)) {
	key := r.Header.Get(Header)
	if key == "" || !IsWrite(r.Method) {
		next(w, r)
		return
	}
	if !validKey(key) {
		httpx.WriteProblem(w, errKeyInvalid)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		// Too large or cut off: the handler meets the same error and
		// answers it; nothing is kept for such a request.
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
		next(w, r)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	ctx := r.Context()
	first, prior, err := s.claim(ctx, scope, key, fingerprint(r, body))
	var problem *httpx.Problem
	switch {
	case errors.As(err, &problem):
		httpx.WriteProblem(w, problem)
	case err != nil:
		s.log.Error("idempotency: cannot claim key", "err", err)
		httpx.WriteProblem(w, httpx.NewProblem(http.StatusServiceUnavailable, "", "Kite could not record the Idempotency-Key; retry the request."))
	case first:
		rec := &recorder{ResponseWriter: w}
		completed := false
		defer func() {
			if !completed { // a panic: let the next try run the write, if it did not commit
				s.release(context.WithoutCancel(ctx), scope, key)
			}
		}()
		next(rec, r.WithContext(db.WithLastInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			return s.markCommitted(ctx, tx, scope, key)
		})))
		completed = true
		s.finish(context.WithoutCancel(ctx), scope, key, rec)
	default:
		replay(w, prior)
	}
}

// claim inserts the key as running. It answers first=true when this request
// is to run the write; else the prior record, or a problem when the key
// belongs to another request or its first request still runs.
func (s *Store) claim(ctx context.Context, scope, key, fp string) (bool, *record, error) {
	now := s.now().UTC()
	rec := &record{Scope: scope, Key: key, Fingerprint: fp, CreatedAt: now}
	res, err := s.db.NewInsert().Model(rec).On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return false, nil, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, nil, nil
	}
	// The key exists: take it over when its answer expired, or when its
	// first request was abandoned before its write committed; else answer
	// from it.
	res, err = s.db.NewUpdate().Model((*record)(nil)).
		Set("fingerprint = ?", fp).Set("status = 0").Set("content_type = ''").Set("location = ''").
		Set("body = NULL").Set("created_at = ?", now).
		Set("committed_at = NULL").
		Where("scope = ?", scope).Where("idem_key = ?", key).
		Where("(created_at < ? OR (status = 0 AND committed_at IS NULL AND created_at < ?))", now.Add(-keep), now.Add(-abandoned)).Exec(ctx)
	if err != nil {
		return false, nil, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, nil, nil
	}
	var prior record
	if err := s.db.NewSelect().Model(&prior).Where("scope = ?", scope).Where("idem_key = ?", key).Scan(ctx); err != nil {
		if errors.Is(db.MapError(err), db.ErrNotFound) {
			return false, nil, errInFlight // released between the two statements
		}
		return false, nil, err
	}
	switch {
	case prior.Fingerprint != fp:
		return false, nil, errKeyReused
	case prior.Status == 0 && prior.CommittedAt != nil && prior.CreatedAt.Before(now.Add(-abandoned)):
		return false, nil, errOutcomeLost
	case prior.Status == 0:
		return false, nil, errInFlight
	}
	return false, &prior, nil
}

// finish keeps the answer, or releases the key when the answer is not to
// be replayed.
func (s *Store) finish(ctx context.Context, scope, key string, rec *recorder) {
	if rec.status == 0 { // nothing written: net/http answers 200
		rec.status = http.StatusOK
	}
	if rec.status >= 500 || rec.status == http.StatusTooManyRequests || rec.overflow {
		// Not replayable, so the key is released for a retry to run the
		// write again; a write that committed keeps its key, and its
		// answer when there is one to keep.
		if s.release(ctx, scope, key) || rec.overflow {
			return
		}
	}
	h := rec.Header()
	_, err := s.db.NewUpdate().Model((*record)(nil)).
		Set("status = ?", rec.status).Set("content_type = ?", h.Get("Content-Type")).
		Set("location = ?", h.Get("Location")).Set("body = ?", rec.body.Bytes()).
		Where("scope = ?", scope).Where("idem_key = ?", key).Exec(ctx)
	if err != nil {
		// The write happened; only its replay is lost. The key stays
		// "running" until abandoned, so a retry is refused, not re-run.
		s.log.Error("idempotency: cannot keep the answer", "err", err)
	}
}

// release frees a running key whose write did not commit, and reports
// whether it did.
func (s *Store) release(ctx context.Context, scope, key string) bool {
	res, err := s.db.NewDelete().Model((*record)(nil)).Where("scope = ?", scope).Where("idem_key = ?", key).
		Where("status = 0").Where("committed_at IS NULL").Exec(ctx)
	if err != nil {
		s.log.Error("idempotency: cannot release key", "err", err)
		return false
	}
	n, _ := res.RowsAffected()
	return n == 1
}

// markCommitted records, inside a write's transaction, that the key's
// write committed.
func (s *Store) markCommitted(ctx context.Context, tx bun.Tx, scope, key string) error {
	_, err := tx.NewUpdate().Model((*record)(nil)).Set("committed_at = ?", s.now().UTC()).
		Where("scope = ?", scope).Where("idem_key = ?", key).Exec(ctx)
	return err
}

// Prune deletes expired answers.
func (s *Store) Prune(ctx context.Context) error {
	_, err := s.db.NewDelete().Model((*record)(nil)).Where("created_at < ?", s.now().UTC().Add(-keep)).Exec(ctx)
	return err
}

type pruneArgs struct{}

func (pruneArgs) Kind() string { return "idempotency.prune" }

// Register adds the hourly pruning of expired answers.
func (s *Store) Register(reg *jobs.Registry) {
	jobs.Register(reg, river.WorkFunc(func(ctx context.Context, _ *river.Job[pruneArgs]) error {
		return s.Prune(ctx)
	}))
	reg.Every(time.Hour, func() river.JobArgs { return pruneArgs{} })
}

func replay(w http.ResponseWriter, prior *record) {
	h := w.Header()
	if prior.ContentType != "" {
		h.Set("Content-Type", prior.ContentType)
	}
	if prior.Location != "" {
		h.Set("Location", prior.Location)
	}
	h.Set(ReplayedHeader, "true")
	w.WriteHeader(prior.Status)
	w.Write(prior.Body)
}

// fingerprint identifies the request a key was first used with.
func fingerprint(r *http.Request, body []byte) string {
	h := sha256.New()
	io.WriteString(h, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery+"\n")
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

func validKey(k string) bool {
	if len(k) > maxKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// recorder passes an answer through while keeping a copy.
type recorder struct {
	http.ResponseWriter
	status   int
	body     bytes.Buffer
	overflow bool
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 && status >= 200 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if !r.overflow {
		if r.body.Len()+len(b) > maxStored {
			r.overflow = true
			r.body = bytes.Buffer{}
		} else {
			r.body.Write(b)
		}
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
