package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// ColdStart measures how long a kite binary takes from exec to its first 200 on /readyz:
// Env.Runs times on a fresh database (a new data dir, and on PostgreSQL a new database, each
// run) and Env.Runs times on an existing one (the first fresh run's, already migrated). After
// the last run it leaves the process idle for Env.Idle and reads its resident memory.
// Every started process is stopped (SIGTERM, then SIGKILL after StopGrace) before Run
// returns, also on error or cancellation.
type ColdStart struct {
	// TempDir is where the run's scratch directory is made; empty means os.TempDir().
	TempDir string
	// ExtraEnv is added (KEY=value) to the environment of every started process.
	ExtraEnv []string
	// StopGrace is how long a process may take to exit after SIGTERM before it is killed.
	StopGrace time.Duration
	// ReadyTimeout bounds the wait for the first 200 of one start.
	ReadyTimeout time.Duration
	// PollInterval is the pause between two probes of /readyz.
	PollInterval time.Duration
}

// NewColdStart returns the coldstart scenario: 10 s stop grace, 60 s ready timeout, a probe
// every 2 ms.
func NewColdStart() *ColdStart {
	return &ColdStart{StopGrace: 10 * time.Second, ReadyTimeout: time.Minute, PollInterval: 2 * time.Millisecond}
}

// Name returns "coldstart".
func (*ColdStart) Name() string { return "coldstart" }

// Description says what coldstart measures.
func (*ColdStart) Description() string {
	return "start -bin ('kite serve') until /readyz is 200: -runs times on a fresh and on an existing database (SQLite, or PostgreSQL with -database-url), then idle RSS after -idle"
}

// Validate checks that -bin is an executable file and -database-url, when given, is a
// PostgreSQL URL.
func (*ColdStart) Validate(env *Env) error {
	if env.Bin == "" {
		return errors.New("needs -bin, the path of a built kite binary")
	}
	info, err := os.Stat(env.Bin)
	if err != nil {
		return fmt.Errorf("-bin: %w", err)
	}
	if info.IsDir() || info.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("-bin %s is not an executable file", env.Bin)
	}
	if env.DatabaseURL != "" {
		if _, err := parsePostgresURL(env.DatabaseURL); err != nil {
			return err
		}
	}
	return nil
}

// Run measures the fresh and the existing starts and returns two results,
// "coldstart/fresh" and "coldstart/existing"; the latter carries the idle_rss metric in MiB.
// On failure the scratch directory is kept and the error names its log of the processes'
// output.
func (c *ColdStart) Run(ctx context.Context, env *Env) (results []Result, err error) {
	if err := c.Validate(env); err != nil {
		return nil, err
	}
	ws, err := newWorkspace(c.TempDir)
	if err != nil {
		return nil, err
	}
	defer func() { err = ws.finish(err) }()
	run := &coldRun{cfg: c, env: env, ws: ws}
	if env.DatabaseURL != "" {
		run.dbs = newScratchDatabases(env.DatabaseURL)
		defer func() { err = errors.Join(err, run.dbs.dropAll(ctx)) }()
	}
	fresh, first, err := run.freshStarts(ctx)
	if err != nil {
		return nil, err
	}
	existing, err := run.existingStarts(ctx, first)
	if err != nil {
		return []Result{fresh}, err
	}
	return []Result{fresh, existing}, nil
}

// coldRun is one execution of ColdStart.
type coldRun struct {
	cfg *ColdStart
	env *Env
	ws  *workspace
	dbs *scratchDatabases // nil on SQLite
}

// target is the storage a started kite uses.
type target struct {
	dataDir     string
	database    string // PostgreSQL database name; empty on SQLite
	databaseURL string
}

// freshStarts starts kite Runs times, each on new storage, and returns the result and the
// storage of the first run.
func (r *coldRun) freshStarts(ctx context.Context) (Result, target, error) {
	var h Histogram
	var first target
	began := time.Now()
	for i := 1; i <= r.env.Runs; i++ {
		t, err := r.newTarget(ctx, fmt.Sprintf("fresh-%d", i))
		if err != nil {
			return Result{}, target{}, err
		}
		label := fmt.Sprintf("fresh %d/%d", i, r.env.Runs)
		c, took, err := r.start(ctx, label, t)
		if err != nil {
			return Result{}, target{}, err
		}
		r.stop(c, label)
		h.Record(took)
		if i == 1 {
			first = t
		}
	}
	return r.result("coldstart/fresh", &h, time.Since(began)), first, nil
}

// existingStarts starts kite Runs times on t, keeps the last process idle for Env.Idle and
// reports its resident memory with the result.
func (r *coldRun) existingStarts(ctx context.Context, t target) (Result, error) {
	var h Histogram
	var rss int64
	began := time.Now()
	for i := 1; i <= r.env.Runs; i++ {
		label := fmt.Sprintf("existing %d/%d", i, r.env.Runs)
		c, took, err := r.start(ctx, label, t)
		if err != nil {
			return Result{}, err
		}
		h.Record(took)
		if i == r.env.Runs {
			rss, err = r.idleRSS(ctx, c)
		}
		r.stop(c, label)
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", label, err)
		}
	}
	res := r.result("coldstart/existing", &h, time.Since(began))
	res.Metrics = []Metric{{Name: "idle_rss", Value: float64(rss) / (1 << 20), Unit: "MiB"}}
	return res, nil
}

// newTarget makes a new data dir (and on PostgreSQL a new database).
func (r *coldRun) newTarget(ctx context.Context, name string) (target, error) {
	dir, err := r.ws.newDataDir(name)
	if err != nil {
		return target{}, err
	}
	t := target{dataDir: dir}
	if r.dbs != nil {
		t.database, t.databaseURL, err = r.dbs.create(ctx)
	}
	return t, err
}

// start launches kite on t and waits for its first 200. It returns the running process and
// the time from exec to ready; on error no process is left running.
func (r *coldRun) start(ctx context.Context, label string, t target) (*child, time.Duration, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, 0, err
	}
	r.ws.note("=== %s: %s serve on %s, data dir %s, database %s", label, r.env.Bin, addr, t.dataDir, t.describe())
	env := childEnv(os.Environ(), r.cfg.ExtraEnv, addr, t.dataDir, t.databaseURL)
	c, err := startChild(ctx, r.env.Bin, env, r.ws.log, r.cfg.StopGrace)
	if err != nil {
		return nil, 0, err
	}
	took, err := waitReady(ctx, c, "http://"+addr+"/readyz", r.cfg.PollInterval, r.cfg.ReadyTimeout)
	if err != nil {
		r.stop(c, label)
		return nil, 0, fmt.Errorf("%s: %w", label, err)
	}
	r.env.Logf("coldstart: %s: ready in %s", label, formatLatency(took))
	return c, took, nil
}

// stop ends c and notes when it had to be killed.
func (r *coldRun) stop(c *child, label string) {
	if c.stop() {
		r.ws.note("=== %s: no exit within %s of SIGTERM; killed", label, r.cfg.StopGrace)
		r.env.Logf("coldstart: %s: kite did not exit within %s of SIGTERM and was killed", label, r.cfg.StopGrace)
	}
}

// idleRSS waits Env.Idle with c running and returns its resident set size in bytes.
func (r *coldRun) idleRSS(ctx context.Context, c *child) (int64, error) {
	r.env.Logf("coldstart: idle for %s, then reading resident memory", r.env.Idle)
	if err := idle(ctx, c, r.env.Idle); err != nil {
		return 0, err
	}
	return residentBytes(c.pid())
}

// result summarizes one phase of starts.
func (r *coldRun) result(name string, h *Histogram, elapsed time.Duration) Result {
	res := Result{Scenario: name, Clients: 1, Requests: int64(h.Count()), Elapsed: elapsed}
	res.SetLatencies(h)
	return res
}

// describe names the database for the log.
func (t target) describe() string {
	if t.database == "" {
		return "SQLite"
	}
	return "PostgreSQL " + t.database
}

// workspace is the scratch directory of one ColdStart run: data dirs and the log that
// receives the output of every started process.
type workspace struct {
	dir string
	log *os.File
}

// newWorkspace makes a new scratch directory under parent (os.TempDir() when empty).
func newWorkspace(parent string) (*workspace, error) {
	dir, err := os.MkdirTemp(parent, "kitebench-coldstart-")
	if err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(dir, "kite.log"))
	if err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	return &workspace{dir: dir, log: log}, nil
}

// newDataDir makes an empty directory for one kite data dir.
func (w *workspace) newDataDir(name string) (string, error) {
	dir := filepath.Join(w.dir, name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", err
	}
	return dir, nil
}

// note writes a line of kitebench's own to the log, between the processes' output.
func (w *workspace) note(format string, args ...any) {
	fmt.Fprintf(w.log, format+"\n", args...)
}

// finish closes the log. After success or cancellation it removes the directory; after a
// failure it keeps it and adds the log's path to err.
func (w *workspace) finish(err error) error {
	closeErr := w.log.Close()
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w (kite output: %s)", err, w.log.Name())
	}
	return errors.Join(err, closeErr, os.RemoveAll(w.dir))
}
