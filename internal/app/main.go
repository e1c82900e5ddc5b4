package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"github.com/kite-crm/kite/internal/config"
	"github.com/kite-crm/kite/internal/platform/db"
)

// Env is what Main takes from its process, so tests can run it in-process.
type Env struct {
	Args    []string // without the program name
	Getenv  func(string) string
	Stdout  io.Writer
	Stderr  io.Writer
	Version string
	// Signals, when set, replaces SIGINT/SIGTERM delivery (tests).
	Signals <-chan os.Signal
	// Started, when set, receives the app once it serves (tests).
	Started func(*App)
}

const usage = `Kite — a sales CRM for teams that sell in conversations.

Usage:
  kite [serve] [flags]      start the web UI, API and workers (default)
  kite migrate [up|status]  apply migrations, or show the schema state
  kite seed [-org NAME] [-email E] [-contacts N] [-companies N] [-deals N] [-pipelines N]
                            a new organization filled with realistic data (stop serve first on SQLite)
  kite version              print the version

Every flag has an environment variable (flag -addr is KITE_ADDR):
`

// Main runs the command line and returns the exit code: 0 fine, 1 failed,
// 2 bad usage or configuration.
func Main(env Env) int {
	cmd, args := "serve", env.Args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	fail := func(code int, err error) int {
		fmt.Fprintf(env.Stderr, "kite: %v\n", err)
		return code
	}
	switch cmd {
	case "version":
		fmt.Fprintf(env.Stdout, "kite %s (%s %s/%s)\n", env.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return 0
	case "help", "-h", "--help":
		printUsage(env.Stdout)
		return 0
	case "serve", "migrate", "seed":
	default:
		printUsage(env.Stderr)
		return fail(2, fmt.Errorf("unknown command %q", cmd))
	}
	sub := ""
	if cmd == "migrate" {
		sub = "up"
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			sub, args = args[0], args[1:]
		}
		if sub != "up" && sub != "status" {
			return fail(2, fmt.Errorf("unknown migrate command %q (want up or status)", sub))
		}
	}
	var seedOpts seedOptions
	if cmd == "seed" {
		var err error
		if seedOpts, args, err = seedFlags(args); err != nil {
			return fail(2, err)
		}
	}
	cfg, err := config.Load(args, env.Getenv)
	if err != nil {
		return fail(2, err)
	}
	log := newLogger(cfg, env.Stderr)
	if cmd == "seed" {
		if err := seed(cfg, seedOpts, env.Stdout); err != nil {
			return fail(1, err)
		}
		return 0
	}
	if cmd == "migrate" {
		if err := migrate(cfg, sub, env.Stdout); err != nil {
			return fail(1, err)
		}
		return 0
	}
	if err := serve(cfg, log, env); err != nil {
		return fail(1, err)
	}
	return 0
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, usage)
	for _, v := range config.Vars() {
		def := v.Default
		if def == "" {
			def = "(empty)"
		}
		flagName := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(v.Name, "KITE_")), "_", "-")
		fmt.Fprintf(w, "  -%-18s %-22s %s; default %s\n", flagName, v.Name, v.Help, def)
	}
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serve runs Kite until SIGINT/SIGTERM, then shuts down gracefully.
func serve(cfg config.Config, log *slog.Logger, env Env) error {
	sigs := env.Signals
	if sigs == nil {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
		defer signal.Stop(ch)
		sigs = ch
	}
	ctx := context.Background()
	a, err := New(ctx, cfg, Options{Version: env.Version, Logger: log})
	if err != nil {
		return err
	}
	if err := a.Start(ctx); err != nil {
		a.close()
		return err
	}
	where := a.DB.Where
	fmt.Fprintf(env.Stdout, "Kite %s is running at %s (%s: %s). Press Ctrl+C to stop.\n", env.Version, a.URL(), a.DB.Kind.Label(), where)
	if env.Started != nil {
		env.Started(a)
	}
	sig := <-sigs
	log.Info("shutting down", "signal", sig.String(), "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(ctx, cfg.ShutdownTimeout)
	defer cancel()
	if err := a.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// migrate runs `kite migrate up|status`.
func migrate(cfg config.Config, sub string, out io.Writer) error {
	ctx := context.Background()
	if cfg.DatabaseURL == "" {
		if st, err := os.Stat(cfg.DataDir); err != nil || !st.IsDir() {
			if sub == "status" {
				return fmt.Errorf("KITE_DATA_DIR: %s does not exist; nothing is migrated yet", cfg.DataDir)
			}
			if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
				return fmt.Errorf("KITE_DATA_DIR: cannot create %s: %v", cfg.DataDir, err)
			}
		}
	}
	d, err := db.Open(ctx, db.Options{URL: cfg.DatabaseURL, Path: cfg.SQLitePath(), MaxConns: 2})
	if err != nil {
		return err
	}
	defer d.Close()
	if sub == "up" {
		var applied []int64
		err := d.MigrationLock(ctx, func(ctx context.Context) error {
			var err error
			applied, err = d.Migrate(ctx)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "Applied %d migration(s) %v.\n", len(applied), applied)
	}
	st, err := d.Schema(ctx)
	printSchema(out, d, st)
	return err
}

func printSchema(out io.Writer, d *db.DB, st db.SchemaState) {
	state := func(cur, latest int64) string {
		switch {
		case cur == latest:
			return "current"
		case cur > latest:
			return "NEWER than this binary"
		}
		return fmt.Sprintf("%d pending", latest-cur)
	}
	fmt.Fprintf(out, "Database:     %s (%s)\n", d.Kind.Label(), d.Where)
	fmt.Fprintf(out, "Kite schema:  version %d of %d, %s\n", st.Current, st.Latest, state(st.Current, st.Latest))
	fmt.Fprintf(out, "Jobs schema:  version %d of %d, %s\n", st.JobsCurrent, st.JobsLatest, state(int64(st.JobsCurrent), int64(st.JobsLatest)))
}
