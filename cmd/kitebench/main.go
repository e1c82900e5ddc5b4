// Command kitebench runs named benchmark scenarios against Kite and prints throughput and
// latency percentiles per scenario.
//
//	kitebench list
//	kitebench run [flags] SCENARIO...
//
// Run "kitebench -h" for the flags and examples.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/kite-crm/kite/internal/bench"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1 // a scenario failed or was interrupted
	exitBadArgs = 2 // the command line was wrong
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the exit code. Results go to stdout;
// progress and errors go to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	scenarios := bench.DefaultScenarios()
	if len(args) == 0 {
		printUsage(stderr, scenarios)
		return exitBadArgs
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		printUsage(stdout, scenarios)
		return exitOK
	case "list":
		return list(stdout, stderr, scenarios, args[1:])
	case "run":
		return runScenarios(ctx, args[1:], scenarios, stdout, stderr)
	default:
		return badArgs(stderr, "unknown command %q: want list or run", args[0])
	}
}

// list prints every scenario with its description.
func list(stdout, stderr io.Writer, scenarios *bench.Registry, args []string) int {
	if len(args) > 0 {
		return badArgs(stderr, "list takes no arguments, got %q", strings.Join(args, " "))
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, s := range scenarios.All() {
		fmt.Fprintf(tw, "%s\t%s\n", s.Name(), s.Description())
	}
	if err := tw.Flush(); err != nil {
		return failed(stderr, err)
	}
	return exitOK
}

// runFlags holds the parsed flags of "kitebench run".
type runFlags struct {
	opts bench.Options
	json bool
}

// newRunFlagSet returns the flag set of "kitebench run", writing into f.
func newRunFlagSet(f *runFlags) *flag.FlagSet {
	f.opts = bench.DefaultOptions()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.opts.BaseURL, "url", f.opts.BaseURL, "base `URL` of the running Kite to load")
	fs.IntVar(&f.opts.Clients, "c", f.opts.Clients, "concurrent clients (1..10000)")
	fs.DurationVar(&f.opts.Duration, "d", f.opts.Duration, "measured `duration` per scenario (up to 1h), used when -n is 0")
	fs.Int64Var(&f.opts.Count, "n", f.opts.Count, "total requests per scenario; 0 means run for -d")
	fs.DurationVar(&f.opts.Warmup, "warmup", f.opts.Warmup, "unmeasured load before measuring")
	fs.BoolVar(&f.json, "json", false, "print results as JSON instead of a table")
	fs.StringVar(&f.opts.Bin, "bin", "", "`path` of a built kite binary (coldstart)")
	fs.StringVar(&f.opts.DatabaseURL, "database-url", "", "PostgreSQL admin `URL`; scratch databases are created and dropped through it (coldstart; default SQLite)")
	fs.IntVar(&f.opts.Runs, "runs", f.opts.Runs, "starts per database state (coldstart)")
	fs.DurationVar(&f.opts.Idle, "idle", f.opts.Idle, "idle time before reading the process's resident memory (coldstart)")
	fs.StringVar(&f.opts.Token, "token", "", "API key of a seeded organization, as `kite seed` prints it (contacts-*, search-* and deals-* scenarios)")
	fs.StringVar(&f.opts.Email, "email", "", "a seeded member's `email`, signed in by chats-unread and chats-list (`kite seed` prints the owner's)")
	fs.StringVar(&f.opts.Password, "password", "", "that member's `password`")
	fs.StringVar(&f.opts.TelegramAddr, "telegram-addr", f.opts.TelegramAddr, "`address` the telegram-* scenarios serve a fake Bot API on; run Kite with KITE_TELEGRAM_API_URL=http://ADDR and KITE_TELEGRAM_UPDATES=webhook")
	fs.IntVar(&f.opts.Rate, "rate", f.opts.Rate, "updates per second telegram-inbound posts, whatever the answers' pace")
	return fs
}

// runScenarios parses the flags and scenario names of "kitebench run" and runs them one
// after another, printing one table (or JSON array) of all results.
func runScenarios(ctx context.Context, args []string, scenarios *bench.Registry, stdout, stderr io.Writer) int {
	var f runFlags
	fs := newRunFlagSet(&f)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout, scenarios)
			return exitOK
		}
		return badArgs(stderr, "%v", err)
	}
	env, err := bench.NewEnv(f.opts, stderr)
	if err != nil {
		return badArgs(stderr, "%v", err)
	}
	defer env.Close()
	selected, err := selectScenarios(scenarios, fs.Args(), env)
	if err != nil {
		return badArgs(stderr, "%v", err)
	}
	results, err := executeAll(ctx, selected, env)
	if printErr := printResults(stdout, results, f.json); printErr != nil {
		return failed(stderr, printErr)
	}
	if err != nil {
		return failed(stderr, err)
	}
	return exitOK
}

// selectScenarios looks up the named scenarios and checks that env suits each of them.
func selectScenarios(scenarios *bench.Registry, names []string, env *bench.Env) ([]bench.Scenario, error) {
	if len(names) == 0 {
		return nil, errors.New("run needs at least one scenario name (see kitebench list)")
	}
	selected := make([]bench.Scenario, 0, len(names))
	for _, name := range names {
		if strings.HasPrefix(name, "-") {
			return nil, fmt.Errorf("flag %s must come before the scenario names", name)
		}
		s, ok := scenarios.Lookup(name)
		if !ok {
			return nil, fmt.Errorf("unknown scenario %q (known: %s)", name, strings.Join(scenarios.Names(), ", "))
		}
		if v, ok := s.(bench.Validator); ok {
			if err := v.Validate(env); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		}
		selected = append(selected, s)
	}
	return selected, nil
}

// executeAll runs the scenarios in order and stops at the first failure, returning the
// results gathered until then.
func executeAll(ctx context.Context, selected []bench.Scenario, env *bench.Env) ([]bench.Result, error) {
	var all []bench.Result
	for _, s := range selected {
		env.Logf("kitebench: running %s", s.Name())
		results, err := bench.Execute(ctx, s, env)
		all = append(all, results...)
		if err != nil {
			return all, err
		}
	}
	return all, nil
}

// printResults writes results as JSON or as a table; an empty table is not printed.
func printResults(w io.Writer, results []bench.Result, asJSON bool) error {
	if asJSON {
		return bench.WriteJSON(w, results)
	}
	if len(results) == 0 {
		return nil
	}
	return bench.WriteTable(w, results)
}

// badArgs prints a one-line usage error and returns exitBadArgs.
func badArgs(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "kitebench: %s (see kitebench -h)\n", fmt.Sprintf(format, args...))
	return exitBadArgs
}

// failed prints a one-line failure and returns exitFailed.
func failed(stderr io.Writer, err error) int {
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "kitebench: interrupted")
	} else {
		fmt.Fprintf(stderr, "kitebench: %v\n", err)
	}
	return exitFailed
}

// printUsage explains the commands, the flags of run, the scenarios and an example.
func printUsage(w io.Writer, scenarios *bench.Registry) {
	fmt.Fprint(w, `kitebench drives a running Kite with named scenarios and prints throughput and
latency percentiles (p50/p95/p99/max) per scenario.

Usage:
  kitebench list                        list the scenarios
  kitebench run [flags] SCENARIO...     run scenarios one after another, print one table

Flags of run (they go before the scenario names):
`)
	fs := newRunFlagSet(&runFlags{})
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprintf(w, `
Scenarios: %s

Examples:
  # /readyz with 32 clients for 30 seconds
  kitebench run -url http://127.0.0.1:8080 -c 32 -d 30s readyz

  # start time on a fresh and an existing SQLite database, then idle memory
  go build -o kite ./cmd/kite && kitebench run -bin ./kite coldstart

  # the same on PostgreSQL, as JSON
  kitebench run -bin ./kite -database-url 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' -json coldstart
`, strings.Join(scenarios.Names(), ", "))
}
