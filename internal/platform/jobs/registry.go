// Package jobs runs Kite's background work on River, on SQLite or
// PostgreSQL: typed job registration, enqueueing inside a caller's
// transaction, retries with backoff, periodic jobs, recovery of jobs left
// running by a process that died, and a queue summary.
package jobs

import (
	"time"

	"github.com/riverqueue/river"
)

// Registry collects workers and periodic jobs before the queue starts.
type Registry struct {
	workers  *river.Workers
	periodic []*river.PeriodicJob
	kinds    []string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{workers: river.NewWorkers()}
}

// Register adds the worker for one job type. Each job type (its Kind) has
// exactly one worker; registering it twice panics at start-up, as a
// programming error.
func Register[T river.JobArgs](r *Registry, w river.Worker[T]) {
	river.AddWorker(r.workers, w)
	var zero T
	r.kinds = append(r.kinds, zero.Kind())
}

// Every schedules a job built by makeArgs at a fixed interval, also once at
// start. With several replicas only the elected leader enqueues it, so it runs
// once per interval in the whole deployment.
func (r *Registry) Every(interval time.Duration, makeArgs func() river.JobArgs) {
	r.periodic = append(r.periodic, river.NewPeriodicJob(
		river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return makeArgs(), nil },
		&river.PeriodicJobOpts{RunOnStart: true},
	))
}

// Kinds lists the registered job kinds.
func (r *Registry) Kinds() []string { return r.kinds }
