package bench

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildFakeKite compiles testdata/fakekite into a temporary directory.
func buildFakeKite(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found; cannot build the fake kite")
	}
	bin := filepath.Join(t.TempDir(), "fakekite")
	cmd := exec.Command(goBin, "build", "-o", bin, "./testdata/fakekite")
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building fake kite: %v\n%s", err, out)
	}
	return bin
}

// start is one line the fake kite records.
type start struct {
	pid     int
	existed bool
	dir, db string
}

// readStarts parses the fake kite's record file.
func readStarts(t *testing.T, path string) []start {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	startLine := regexp.MustCompile(`^pid=(\d+) existed=(true|false) dir=(\S*) db=(\S*)$`)
	var starts []start
	for line := range strings.Lines(string(data)) {
		m := startLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			t.Fatalf("bad record line %q", line)
		}
		pid, _ := strconv.Atoi(m[1])
		starts = append(starts, start{pid: pid, existed: m[2] == "true", dir: m[3], db: m[4]})
	}
	return starts
}

// checkAllGone fails if any recorded process still exists.
func checkAllGone(t *testing.T, starts []start) {
	t.Helper()
	for _, s := range starts {
		if err := syscall.Kill(s.pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d is still there after Run returned (kill 0: %v)", s.pid, err)
		}
	}
}

// coldEnv returns an Env for coldstart with the given binary, runs and idle time.
func coldEnv(t *testing.T, bin string, runs int, idle time.Duration) *Env {
	t.Helper()
	opts := DefaultOptions()
	opts.Bin, opts.Runs, opts.Idle = bin, runs, idle
	env, err := NewEnv(opts, testLog{t})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// testLog sends progress lines to the test log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// coldScenario returns a coldstart scenario working in its own temporary directory, with a
// record file for the fake kite.
func coldScenario(t *testing.T, extraEnv ...string) (*ColdStart, string) {
	t.Helper()
	c := NewColdStart()
	c.TempDir = t.TempDir()
	record := filepath.Join(t.TempDir(), "starts")
	c.ExtraEnv = append([]string{"FAKEKITE_RECORD=" + record}, extraEnv...)
	return c, record
}

// workspaces lists the scratch directories left in dir.
func workspaces(t *testing.T, dir string) []string {
	t.Helper()
	left, err := filepath.Glob(filepath.Join(dir, "kitebench-coldstart-*"))
	if err != nil {
		t.Fatal(err)
	}
	return left
}

func TestColdStart(t *testing.T) {
	t.Parallel()
	bin := buildFakeKite(t)

	t.Run("fresh and existing on SQLite", func(t *testing.T) {
		t.Parallel()
		c, record := coldScenario(t)
		results, err := c.Run(t.Context(), coldEnv(t, bin, 2, 100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if len(results) != 2 || results[0].Scenario != "coldstart/fresh" || results[1].Scenario != "coldstart/existing" {
			t.Fatalf("results %+v", results)
		}
		for _, r := range results {
			if r.Requests != 2 || r.Errors != 0 || r.Min < 50*time.Millisecond || r.Max < r.Min || r.P50 < r.Min {
				t.Errorf("%s: %d runs, min %s p50 %s max %s; want 2 runs of at least 50ms", r.Scenario, r.Requests, r.Min, r.P50, r.Max)
			}
		}
		m := results[1].Metrics
		if len(m) != 1 || m[0].Name != "idle_rss" || m[0].Unit != "MiB" || m[0].Value <= 0 {
			t.Errorf("idle RSS metric %+v, want idle_rss > 0 MiB", m)
		}
		starts := readStarts(t, record)
		checkAllGone(t, starts)
		if len(starts) != 4 {
			t.Fatalf("%d starts, want 4", len(starts))
		}
		fresh, existing := starts[:2], starts[2:]
		if fresh[0].existed || fresh[1].existed || fresh[0].dir == fresh[1].dir {
			t.Errorf("fresh runs must each get a new data dir: %+v", fresh)
		}
		for _, s := range existing {
			if !s.existed || s.dir != fresh[0].dir {
				t.Errorf("existing run %+v must reuse the first fresh dir %s", s, fresh[0].dir)
			}
		}
		for _, s := range starts {
			if s.db != "" {
				t.Errorf("SQLite run got KITE_DATABASE_URL %q", s.db)
			}
		}
		if left := workspaces(t, c.TempDir); len(left) != 0 {
			t.Errorf("scratch directories left after success: %v", left)
		}
	})

	t.Run("binary that exits", func(t *testing.T) {
		t.Parallel()
		c, _ := coldScenario(t, "FAKEKITE_FAIL=1")
		_, err := c.Run(t.Context(), coldEnv(t, bin, 2, 0))
		if err == nil {
			t.Fatal("no error from a binary that exits at once")
		}
		m := regexp.MustCompile(`kite output: (\S+)\)$`).FindStringSubmatch(err.Error())
		if !strings.Contains(err.Error(), "exited before") || m == nil {
			t.Fatalf("error %q should say the process exited and name its log", err)
		}
		log, readErr := os.ReadFile(m[1])
		if readErr != nil || !strings.Contains(string(log), "fakekite: boom") {
			t.Errorf("log %s should hold the child's stderr: %q (%v)", m[1], log, readErr)
		}
	})

	t.Run("binary that ignores SIGTERM is killed", func(t *testing.T) {
		t.Parallel()
		c, record := coldScenario(t, "FAKEKITE_IGNORE_TERM=1")
		c.StopGrace = 200 * time.Millisecond
		began := time.Now()
		if _, err := c.Run(t.Context(), coldEnv(t, bin, 1, 0)); err != nil {
			t.Fatal(err)
		}
		checkAllGone(t, readStarts(t, record))
		if took := time.Since(began); took < 2*c.StopGrace {
			t.Errorf("run took %s; two starts should each have waited the %s grace", took, c.StopGrace)
		}
	})

	t.Run("cancel while idle stops the process", func(t *testing.T) {
		t.Parallel()
		c, record := coldScenario(t)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go func() { // cancel once the last (existing) start has begun
			for ctx.Err() == nil {
				if data, _ := os.ReadFile(record); strings.Count(string(data), "\n") == 2 {
					time.Sleep(100 * time.Millisecond)
					cancel()
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
		began := time.Now()
		_, err := c.Run(ctx, coldEnv(t, bin, 1, time.Minute))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if time.Since(began) > 10*time.Second {
			t.Errorf("took %s to stop after cancel", time.Since(began))
		}
		checkAllGone(t, readStarts(t, record))
		if left := workspaces(t, c.TempDir); len(left) != 0 {
			t.Errorf("scratch directories left after cancel: %v", left)
		}
	})
}

func TestColdStartValidate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "exe")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		bin, dbURL, want string
	}{
		{"", "", "needs -bin"},
		{filepath.Join(dir, "missing"), "", "-bin"},
		{dir, "", "not an executable"},
		{plain, "", "not an executable"},
		{exe, "mysql://x", "-database-url"},
		{exe, "postgres://u:secret@%zz", "not a valid URL"},
		{exe, "", ""},
		{exe, "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", ""},
	}
	for _, c := range cases {
		env := &Env{Options: Options{Bin: c.bin, DatabaseURL: c.dbURL}}
		err := NewColdStart().Validate(env)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("bin %q db %q: %v", c.bin, c.dbURL, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("bin %q db %q: error %v, want one mentioning %q", c.bin, c.dbURL, err, c.want)
		case err != nil && strings.Contains(err.Error(), "secret"):
			t.Errorf("error %q reveals the password", err)
		}
	}
}

func TestParseVmRSS(t *testing.T) {
	t.Parallel()
	status := "Name:\tkite\nVmPeak:\t  900000 kB\nVmRSS:\t   41236 kB\nRssAnon:\t 30000 kB\n"
	got, err := parseVmRSS([]byte(status))
	if err != nil || got != 41236*1024 {
		t.Errorf("got %d, %v; want %d", got, err, 41236*1024)
	}
	for _, bad := range []string{"Name:\tkite\n", "VmRSS:\t12 MB\n", "VmRSS:\tlots kB\n"} {
		if _, err := parseVmRSS([]byte(bad)); err == nil {
			t.Errorf("%q parsed without error", bad)
		}
	}
	own, err := residentBytes(os.Getpid())
	if err != nil || own <= 0 {
		t.Errorf("own RSS %d, %v", own, err)
	}
}

func TestChildEnvReplacesKiteSettings(t *testing.T) {
	t.Parallel()
	base := []string{"PATH=/bin", "KITE_ADDR=:1", "KITE_DATABASE_URL=postgres://old", "KITE_DATA_DIR=/old", "KITE_SECRET_KEY=k"}
	got := strings.Join(childEnv(base, []string{"X=1"}, "127.0.0.1:9", "/d", ""), " ")
	want := "PATH=/bin KITE_SECRET_KEY=k X=1 KITE_ADDR=127.0.0.1:9 KITE_DATA_DIR=/d"
	if got != want {
		t.Errorf("env %q\nwant %q", got, want)
	}
	got = strings.Join(childEnv(nil, nil, "a", "d", "postgres://new"), " ")
	if got != "KITE_ADDR=a KITE_DATA_DIR=d KITE_DATABASE_URL=postgres://new" {
		t.Errorf("env %q", got)
	}
}

func TestDatabaseURLKeepsEverythingButTheName(t *testing.T) {
	t.Parallel()
	got, err := databaseURL("postgres://u:p%40ss@db.local:5433/postgres?sslmode=disable&application_name=x", "kitebench_ab")
	want := "postgres://u:p%40ss@db.local:5433/kitebench_ab?sslmode=disable&application_name=x"
	if err != nil || got != want {
		t.Errorf("got %q, %v\nwant %q", got, err, want)
	}
	name, err := scratchName()
	if err != nil || !regexp.MustCompile(`^kitebench_[0-9a-f]{16}$`).MatchString(name) {
		t.Errorf("scratch name %q, %v", name, err)
	}
}
