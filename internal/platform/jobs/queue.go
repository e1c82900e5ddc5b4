package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
)

// Config tunes the queue.
type Config struct {
	Workers    int           // jobs run at once by this process
	JobTimeout time.Duration // one attempt's limit
	// NodeTTL: a process whose heartbeat is older than this is presumed dead,
	// and jobs it left running go back to the queue.
	NodeTTL time.Duration
	// SingleProcess says no other process uses this database (SQLite: the
	// data dir is locked), so nodes of earlier runs are dead at start.
	SingleProcess bool
	Version       string
	Logger        *slog.Logger
	// PollInterval is how often workers look for new jobs when nothing
	// wakes them (SQLite has no notifications). Default 200 ms.
	PollInterval time.Duration
}

// runner is what both River client types offer for starting and stopping.
type runner interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
}

// Queue enqueues and runs jobs.
type Queue struct {
	db       *db.DB
	cfg      Config
	log      *slog.Logger
	nodeID   string
	inserter *river.Client[*sql.Tx] // enqueues from bun transactions
	runner   runner                 // works jobs (the same client on SQLite)
	metrics  *metrics

	stop    context.CancelFunc
	loops   sync.WaitGroup
	started bool
}

// New builds a queue over d running the registry's workers.
func New(d *db.DB, reg *Registry, cfg Config) (*Queue, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Workers < 1 {
		cfg.Workers = 10
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = time.Minute
	}
	if cfg.NodeTTL <= 0 {
		cfg.NodeTTL = 30 * time.Second
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 200 * time.Millisecond
	}
	host, _ := os.Hostname()
	q := &Queue{db: d, cfg: cfg, log: cfg.Logger, nodeID: fmt.Sprintf("%s-%s", host, db.NewID()[24:]), metrics: newMetrics()}
	rc := &river.Config{
		ID:                q.nodeID,
		Logger:            cfg.Logger.With("component", "jobs"),
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:           reg.workers,
		PeriodicJobs:      reg.periodic,
		JobTimeout:        cfg.JobTimeout,
		FetchPollInterval: cfg.PollInterval,
		// River's own rescuer is the backstop behind the heartbeat sweep.
		RescueStuckJobsAfter: cfg.JobTimeout + 10*time.Minute,
	}
	var err error
	switch d.Kind {
	case db.Postgres:
		var worker *river.Client[pgx.Tx]
		if worker, err = river.NewClient(riverpgxv5.New(d.Pool), rc); err != nil {
			return nil, err
		}
		q.runner = worker
		// Workers make the insert-only client refuse unregistered kinds, as
		// the SQLite client does.
		q.inserter, err = river.NewClient(riverdatabasesql.New(d.DB.DB), &river.Config{Logger: rc.Logger, Workers: reg.workers})
	default:
		q.inserter, err = river.NewClient(riversqlite.New(d.DB.DB), rc)
		q.runner = q.inserter
	}
	if err != nil {
		return nil, err
	}
	return q, nil
}

// NodeID identifies this process among the replicas.
func (q *Queue) NodeID() string { return q.nodeID }

// Enqueue inserts a job inside the caller's transaction: it exists only if
// the transaction commits.
func (q *Queue) Enqueue(ctx context.Context, tx bun.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	_, err := q.inserter.InsertTx(ctx, tx.Tx, args, opts)
	return err
}

// EnqueueNow inserts a job in a transaction of its own.
func (q *Queue) EnqueueNow(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	return q.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return q.Enqueue(ctx, tx, args, opts)
	})
}

// Start registers this process, gives back jobs that dead processes left
// running, and starts working.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.register(ctx); err != nil {
		return fmt.Errorf("jobs: registering node: %w", err)
	}
	if err := q.sweepOrphans(ctx); err != nil {
		return fmt.Errorf("jobs: recovering orphaned jobs: %w", err)
	}
	if err := q.runner.Start(ctx); err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	q.stop = cancel
	q.started = true
	events, unsubscribe := q.runner.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed,
		river.EventKindJobCancelled, river.EventKindJobSnoozed)
	q.loops.Go(func() {
		defer unsubscribe()
		q.metrics.consume(loopCtx, events)
	})
	q.loops.Go(func() { q.heartbeat(loopCtx) })
	return nil
}

// Stop stops fetching, waits for running jobs until ctx ends, then cancels
// the rest (they are retried later) and deregisters this process.
func (q *Queue) Stop(ctx context.Context) error {
	if !q.started {
		return nil
	}
	q.started = false
	err := q.runner.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		q.log.Warn("jobs still running at shutdown deadline; cancelling them for a later retry")
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		err = q.runner.StopAndCancel(cctx)
		cancel()
	}
	q.stop()
	q.loops.Wait()
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, derr := q.db.NewDelete().TableExpr("kite_nodes").Where("id = ?", q.nodeID).Exec(dctx); derr != nil {
		err = errors.Join(err, derr)
	}
	return err
}

// StateCount is how many jobs are in one state.
type StateCount struct {
	State string
	Count int64
}

// States lists job states in the order people read them.
var States = []string{
	string(rivertype.JobStateAvailable), string(rivertype.JobStateScheduled), string(rivertype.JobStateRunning),
	string(rivertype.JobStateRetryable), string(rivertype.JobStateCompleted), string(rivertype.JobStateCancelled),
	string(rivertype.JobStateDiscarded),
}

// Summary counts jobs by state, every state listed (zeros included).
func (q *Queue) Summary(ctx context.Context) ([]StateCount, error) {
	return Summary(ctx, q.db)
}

// Summary counts the jobs of a database by state without a running queue.
func Summary(ctx context.Context, d *db.DB) ([]StateCount, error) {
	var rows []StateCount
	err := d.Read.NewSelect().TableExpr("river_job").ColumnExpr("state, count(*) AS count").
		GroupExpr("state").Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	counts := map[string]int64{}
	for _, r := range rows {
		counts[r.State] = r.Count
	}
	out := make([]StateCount, 0, len(States))
	for _, s := range States {
		out = append(out, StateCount{State: s, Count: counts[s]})
	}
	return out, nil
}
