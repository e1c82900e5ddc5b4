package app

import (
	"bytes"
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// run executes Main and returns exit code, stdout and stderr.
func run(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(Env{Args: args, Getenv: envFrom(vars), Stdout: &out, Stderr: &errOut, Version: "v9.9.9"})
	return code, out.String(), errOut.String()
}

// oneLine asserts that stderr holds exactly one error line ("kite: …", the
// last), mentioning want; informational log lines may precede it.
func oneLine(t *testing.T, stderr, want string) {
	t.Helper()
	var errs []string
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if strings.HasPrefix(l, "kite: ") || strings.Contains(l, "level=ERROR") || strings.HasPrefix(l, "\t") {
			errs = append(errs, l)
		}
	}
	if len(errs) != 1 || !strings.Contains(errs[0], want) || !strings.HasSuffix(strings.TrimSpace(stderr), errs[0]) {
		t.Fatalf("stderr = %q, want one error line mentioning %q", stderr, want)
	}
}

func TestVersionAndUsage(t *testing.T) {
	t.Parallel()
	code, out, _ := run(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "kite v9.9.9") {
		t.Fatalf("version: %d %q", code, out)
	}
	code, _, errOut := run(t, nil, "frobnicate")
	if code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) || !strings.Contains(errOut, "KITE_DATABASE_URL") {
		t.Fatalf("unknown command: %d %q", code, errOut)
	}
}

func TestInvalidConfigurationFailsWithOneLine(t *testing.T) {
	t.Parallel()
	cases := map[string]map[string]string{
		"KITE_ADDR":             {"KITE_ADDR": "no-port"},
		"KITE_DATABASE_URL":     {"KITE_DATABASE_URL": "mysql://x"},
		"KITE_LOG_LEVEL":        {"KITE_LOG_LEVEL": "loud"},
		"KITE_JOB_WORKERS":      {"KITE_JOB_WORKERS": "-3"},
		"KITE_SHUTDOWN_TIMEOUT": {"KITE_SHUTDOWN_TIMEOUT": "soon"},
		"KITE_SECRET_KEY":       {"KITE_SECRET_KEY": "short"},
		"KITE_SECRET_KEY_FILE":  {"KITE_SECRET_KEY_FILE": "/nonexistent/secret"},
	}
	for name, vars := range cases {
		code, _, errOut := run(t, vars, "serve")
		if code != 2 {
			t.Errorf("%s: exit %d, want 2", name, code)
		}
		oneLine(t, errOut, name)
	}
}

func TestUnusableDataDirFails(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, nil, 0o600)
	code, _, errOut := run(t, map[string]string{"KITE_DATA_DIR": filepath.Join(file, "data"), "KITE_ADDR": "127.0.0.1:0"})
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	oneLine(t, errOut, "KITE_DATA_DIR")
	if os.Geteuid() != 0 { // root can write anywhere
		ro := t.TempDir()
		os.Chmod(ro, 0o500)
		code, _, errOut = run(t, map[string]string{"KITE_DATA_DIR": ro, "KITE_ADDR": "127.0.0.1:0"})
		if code != 1 {
			t.Fatalf("read-only dir: exit %d", code)
		}
		oneLine(t, errOut, "not writable")
	}
}

func TestUnreachablePostgresFails(t *testing.T) {
	t.Parallel()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	start := time.Now()
	code, _, errOut := run(t, map[string]string{"KITE_DATA_DIR": t.TempDir(), "KITE_ADDR": "127.0.0.1:0",
		"KITE_DATABASE_URL": "postgres://kite@" + addr + "/kite?connect_timeout=2"})
	if code != 1 || time.Since(start) > 15*time.Second {
		t.Fatalf("exit %d after %v", code, time.Since(start))
	}
	oneLine(t, errOut, "cannot connect to 127.0.0.1")
}

func TestPortInUseFails(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, errOut := run(t, map[string]string{"KITE_DATA_DIR": t.TempDir(), "KITE_ADDR": ln.Addr().String()})
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	oneLine(t, errOut, "already in use")
}

func TestSecondProcessOnSameDataDirRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vars := map[string]string{"KITE_DATA_DIR": dir, "KITE_ADDR": "127.0.0.1:0"}
	sigs := make(chan os.Signal, 1)
	started := make(chan *App, 1)
	done := make(chan int, 1)
	go func() {
		var out, errOut bytes.Buffer
		done <- Main(Env{Args: []string{"serve"}, Getenv: envFrom(vars), Stdout: &out, Stderr: &errOut, Signals: sigs, Started: func(a *App) { started <- a }})
	}()
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("first Kite did not start")
	}
	code, _, errOut := run(t, vars)
	if code != 1 {
		t.Fatalf("second Kite exit %d", code)
	}
	oneLine(t, errOut, "another Kite is already running")
	sigs <- syscall.SIGTERM
	if code := <-done; code != 0 {
		t.Fatalf("first Kite exited %d", code)
	}
}

func TestServePrintsURLAndStopsOnSignal(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	sigs := make(chan os.Signal, 1)
	started := make(chan *App, 1)
	done := make(chan int, 1)
	go func() {
		done <- Main(Env{Getenv: envFrom(map[string]string{"KITE_DATA_DIR": dir, "KITE_ADDR": "127.0.0.1:0"}),
			Stdout: &out, Stderr: &errOut, Version: "v1", Signals: sigs, Started: func(a *App) { started <- a }})
	}()
	var a *App
	select {
	case a = <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("Kite did not start")
	}
	if !strings.Contains(out.String(), a.URL()) {
		t.Fatalf("stdout %q lacks the URL %s", out.String(), a.URL())
	}
	if st, err := os.Stat(filepath.Join(dir, "secret.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret key file: %v %v", st, err)
	}
	sigs <- syscall.SIGINT
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("did not stop on SIGINT")
	}
}

func TestMigrateCommands(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, false, func(t *testing.T, b dbtest.Backend) {
		vars := map[string]string{"KITE_DATA_DIR": t.TempDir(), "KITE_DATABASE_URL": b.URL}
		if b.Path != "" {
			vars["KITE_DATA_DIR"] = filepath.Dir(b.Path)
		}
		code, out, errOut := run(t, vars, "migrate", "status")
		if code != 0 || !strings.Contains(out, "version 0 of") || !strings.Contains(out, "pending") {
			t.Fatalf("status before: %d %q %q", code, out, errOut)
		}
		code, out, errOut = run(t, vars, "migrate", "up")
		if code != 0 || !strings.Contains(out, "migration(s) [1 2 3") || strings.Contains(out, "Applied 0") {
			t.Fatalf("up: %d %q %q", code, out, errOut)
		}
		code, out, _ = run(t, vars, "migrate")
		if code != 0 || !strings.Contains(out, "Applied 0 migration(s)") || strings.Count(out, "current") != 2 {
			t.Fatalf("second up: %d %q", code, out)
		}
		code, _, errOut = run(t, vars, "migrate", "sideways")
		if code != 2 {
			t.Fatalf("bad subcommand exit %d", code)
		}
		oneLine(t, errOut, "sideways")
	})
}

// A database migrated by a newer Kite, or with a gap, is refused at start.
func TestServeRefusesBrokenSchema(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		d := dbtest.Open(t, b)
		d.ExecContext(context.Background(), "INSERT INTO kite_schema_migrations (version_id, is_applied) VALUES (?, ?)", 999, true)
		d.Close()
		vars := map[string]string{"KITE_DATA_DIR": t.TempDir(), "KITE_DATABASE_URL": b.URL, "KITE_ADDR": "127.0.0.1:0"}
		if b.Path != "" {
			vars["KITE_DATA_DIR"] = filepath.Dir(b.Path)
		}
		code, _, errOut := run(t, vars)
		if code != 1 {
			t.Fatalf("exit %d", code)
		}
		oneLine(t, errOut, "newer than this binary")

		d = dbtest.Open(t, b)
		d.ExecContext(context.Background(), "DELETE FROM kite_schema_migrations WHERE version_id IN (1, 999)")
		d.Close()
		code, _, errOut = run(t, vars)
		if code != 1 {
			t.Fatalf("gap: exit %d", code)
		}
		oneLine(t, errOut, "half-migrated")
	})
}

func TestSeedCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vars := map[string]string{"KITE_DATA_DIR": dir, "KITE_ADDR": "127.0.0.1:0"}
	code, out, errOut := run(t, vars, "seed", "-contacts", "120", "-companies=7", "-org", "Demo Co")
	if code != 0 || !strings.Contains(out, `Seeded "Demo Co"`) || !strings.Contains(out, "7 companies and 120 contacts") {
		t.Fatalf("seed: %d %q %q", code, out, errOut)
	}
	key := out[strings.Index(out, "kite_"):]
	key = strings.TrimSpace(key)
	if code, _, errOut := run(t, vars, "seed", "-contacts", "-5"); code != 2 || !strings.Contains(errOut, "-contacts") {
		t.Fatalf("bad count: %d %q", code, errOut)
	}
	cfg := testConfig(t, dbtest.Backend{Kind: "sqlite", Path: filepath.Join(dir, "kite.db")})
	a := startApp(t, cfg)
	api := newClient(t, a).as(key, "")
	total, cursor := 0, ""
	for range 10 {
		r := api.must(200, "GET", "/contacts?limit=50&cursor="+url.QueryEscape(cursor), nil)
		total += len(r.Items())
		next, _ := r.Body["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if total != 120 {
		t.Fatalf("seeded org lists %d contacts, want 120", total)
	}
	if got := api.must(200, "GET", "/companies?limit=200", nil).Items(); len(got) != 7 {
		t.Fatalf("companies = %d", len(got))
	}
	if got := api.must(200, "GET", "/contacts/search?q=a", nil).Items(); len(got) == 0 {
		t.Fatal("seeded contacts are not searchable")
	}
}
