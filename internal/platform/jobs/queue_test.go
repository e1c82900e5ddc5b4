package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
	"github.com/kite-crm/kite/internal/platform/jobs"
)

type noteArgs struct {
	Text string `json:"text"`
}

func (noteArgs) Kind() string { return "test.note" }

// noteWorker records each text it works and fails the first attempt of texts
// starting with "flaky".
type noteWorker struct {
	river.WorkerDefaults[noteArgs]
	done chan string
}

func (w *noteWorker) Work(ctx context.Context, job *river.Job[noteArgs]) error {
	if job.Args.Text[:min(5, len(job.Args.Text))] == "flaky" && job.Attempt == 1 {
		return errors.New("first attempt fails")
	}
	w.done <- fmt.Sprintf("%s#%d", job.Args.Text, job.Attempt)
	return nil
}

// NextRetry retries quickly so the test does not wait River's default backoff.
func (w *noteWorker) NextRetry(*river.Job[noteArgs]) time.Time {
	return time.Now().Add(10 * time.Millisecond)
}

func startQueue(t *testing.T, d *db.DB, reg *jobs.Registry, cfg jobs.Config) *jobs.Queue {
	t.Helper()
	cfg.PollInterval = 100 * time.Millisecond
	cfg.SingleProcess = d.Kind == db.SQLite
	q, err := jobs.New(d, reg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	return q
}

func waitFor(t *testing.T, ch <-chan string, want string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case got := <-ch:
			if got == want {
				return
			}
			t.Fatalf("worked %q, want %q", got, want)
		case <-deadline:
			t.Fatalf("job %q did not run within %v", want, within)
		}
	}
}

func TestEnqueueInsideTransaction(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := &noteWorker{done: make(chan string, 10)}
		reg := jobs.NewRegistry()
		jobs.Register(reg, w)
		q := startQueue(t, d, reg, jobs.Config{})
		ctx := context.Background()

		rolledBack := errors.New("rolled back")
		err := d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			if err := q.Enqueue(ctx, tx, noteArgs{Text: "never"}, nil); err != nil {
				return err
			}
			return rolledBack
		})
		if !errors.Is(err, rolledBack) {
			t.Fatal(err)
		}
		err = d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			return q.Enqueue(ctx, tx, noteArgs{Text: "committed"}, nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, w.done, "committed#1", 10*time.Second)
		select {
		case got := <-w.done:
			t.Fatalf("a job from a rolled-back transaction ran: %s", got)
		case <-time.After(300 * time.Millisecond):
		}
	})
}

func TestFailedJobIsRetried(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := &noteWorker{done: make(chan string, 10)}
		reg := jobs.NewRegistry()
		jobs.Register(reg, w)
		q := startQueue(t, d, reg, jobs.Config{})
		if err := q.EnqueueNow(context.Background(), noteArgs{Text: "flaky"}, nil); err != nil {
			t.Fatal(err)
		}
		// River moves retryable jobs back to available every few seconds.
		waitFor(t, w.done, "flaky#2", 20*time.Second)
	})
}

type tickArgs struct{}

func (tickArgs) Kind() string { return "test.tick" }

func TestPeriodicJobRunsOnStart(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		var ticks atomic.Int32
		reg := jobs.NewRegistry()
		jobs.Register(reg, river.WorkFunc(func(ctx context.Context, job *river.Job[tickArgs]) error {
			ticks.Add(1)
			return nil
		}))
		reg.Every(time.Hour, func() river.JobArgs { return tickArgs{} })
		startQueue(t, d, reg, jobs.Config{})
		deadline := time.Now().Add(15 * time.Second)
		for ticks.Load() == 0 {
			if time.Now().After(deadline) {
				t.Fatal("periodic job never ran")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

func TestSummaryCountsEveryState(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := &noteWorker{done: make(chan string, 10)}
		reg := jobs.NewRegistry()
		jobs.Register(reg, w)
		q, err := jobs.New(d, reg, jobs.Config{}) // not started: jobs stay available
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for i := range 3 {
			q.EnqueueNow(ctx, noteArgs{Text: fmt.Sprint(i)}, nil)
		}
		q.EnqueueNow(ctx, noteArgs{Text: "later"}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
		sum, err := q.Summary(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, s := range sum {
			got[s.State] = s.Count
		}
		if len(sum) != len(jobs.States) || got["available"] != 3 || got["scheduled"] != 1 || got["completed"] != 0 {
			t.Fatalf("summary = %+v", sum)
		}
	})
}

// A process killed with SIGKILL while working a job loses nothing: after a
// restart the job runs again and completes.
func TestJobSurvivesSIGKILL(t *testing.T) {
	if os.Getenv("KITE_JOBS_CHILD") != "" {
		runKillableChild()
		return
	}
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		ready := t.TempDir() + "/started"
		cmd := exec.Command(os.Args[0], "-test.run=^TestJobSurvivesSIGKILL$")
		cmd.Env = append(os.Environ(), "KITE_JOBS_CHILD=1", "CHILD_DB_PATH="+b.Path, "CHILD_DB_URL="+b.URL, "CHILD_READY="+ready)
		out := &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, err := os.Stat(ready); err == nil {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("child never started the job:\n%s", out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		d := dbtest.Open(t, b)
		var state string
		d.NewSelect().TableExpr("river_job").Column("state").Where("kind = ?", "test.note").Scan(context.Background(), &state)
		if state != "running" {
			t.Fatalf("after SIGKILL the job is %q, want running", state)
		}
		w := &noteWorker{done: make(chan string, 10)}
		reg := jobs.NewRegistry()
		jobs.Register(reg, w)
		// PostgreSQL cannot know the old process is gone until its heartbeat
		// is older than the TTL; SQLite knows at once (one process per file).
		startQueue(t, d, reg, jobs.Config{NodeTTL: 2 * time.Second})
		waitFor(t, w.done, "survivor#2", 30*time.Second)
	})
}

type blockingWorker struct {
	river.WorkerDefaults[noteArgs]
	ready string
}

func (w *blockingWorker) Work(ctx context.Context, job *river.Job[noteArgs]) error {
	os.WriteFile(w.ready, []byte("1"), 0o600)
	<-ctx.Done()
	return ctx.Err()
}

func runKillableChild() {
	ctx := context.Background()
	d, err := db.Open(ctx, db.Options{Path: os.Getenv("CHILD_DB_PATH"), URL: os.Getenv("CHILD_DB_URL")})
	if err != nil {
		panic(err)
	}
	reg := jobs.NewRegistry()
	jobs.Register(reg, &blockingWorker{ready: os.Getenv("CHILD_READY")})
	q, err := jobs.New(d, reg, jobs.Config{NodeTTL: 2 * time.Second, JobTimeout: time.Hour, PollInterval: 100 * time.Millisecond, SingleProcess: d.Kind == db.SQLite})
	if err != nil {
		panic(err)
	}
	if err := q.EnqueueNow(ctx, noteArgs{Text: "survivor"}, nil); err != nil {
		panic(err)
	}
	if err := q.Start(ctx); err != nil {
		panic(err)
	}
	select {} // until killed
}

// A process whose heartbeat stalled past the TTL must not hand its own
// running job back to the queue (which would run it twice at once), and it
// re-registers when it beats again.
func TestStalledNodeKeepsItsOwnJobs(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		var runs atomic.Int32
		release := make(chan struct{})
		reg := jobs.NewRegistry()
		jobs.Register(reg, river.WorkFunc(func(ctx context.Context, job *river.Job[noteArgs]) error {
			runs.Add(1)
			select {
			case <-release:
			case <-ctx.Done():
			}
			return nil
		}))
		q := startQueue(t, d, reg, jobs.Config{NodeTTL: 600 * time.Millisecond})
		defer close(release)
		q.EnqueueNow(context.Background(), noteArgs{Text: "long"}, nil)
		deadline := time.Now().Add(10 * time.Second)
		for runs.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		// Make this node look dead, as a long stall would.
		d.NewDelete().TableExpr("kite_nodes").Where("id = ?", q.NodeID()).Exec(context.Background())
		time.Sleep(1500 * time.Millisecond) // several heartbeats and sweeps
		if n := runs.Load(); n != 1 {
			t.Fatalf("the job ran %d times; a stalled node gave away its own job", n)
		}
		n, _ := jobs.NodeCount(context.Background(), d, time.Minute)
		if n != 1 {
			t.Fatalf("%d live nodes; the node did not re-register", n)
		}
	})
}
