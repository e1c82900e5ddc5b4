// Command fakekite stands in for "kite serve" in the coldstart tests. It reads KITE_ADDR,
// sleeps 50 ms as if it were starting up, then answers 200 on /readyz until SIGTERM.
//
// Test knobs, all optional:
//
//	FAKEKITE_RECORD=path     append "pid=<pid> existed=<bool> dir=<KITE_DATA_DIR> db=<KITE_DATABASE_URL>"
//	                         to path; existed says whether an earlier start left its marker
//	FAKEKITE_FAIL=1          print "fakekite: boom" to stderr and exit 3 before serving
//	FAKEKITE_IGNORE_TERM=1   ignore SIGTERM, so only SIGKILL ends it
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "fakekite:", err)
		os.Exit(3)
	}
}

func run() error {
	if len(os.Args) != 2 || os.Args[1] != "serve" {
		return fmt.Errorf("usage: fakekite serve (got %q)", os.Args[1:])
	}
	if os.Getenv("FAKEKITE_FAIL") == "1" {
		return errors.New("boom")
	}
	existed, err := markDataDir(os.Getenv("KITE_DATA_DIR"))
	if err != nil {
		return err
	}
	if err := record(os.Getenv("FAKEKITE_RECORD"), existed); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if os.Getenv("FAKEKITE_IGNORE_TERM") == "1" {
		signal.Ignore(syscall.SIGTERM)
	}
	time.Sleep(50 * time.Millisecond)
	return serve(ctx, os.Getenv("KITE_ADDR"))
}

// markDataDir reports whether dir already holds the marker of an earlier start, and leaves one.
func markDataDir(dir string) (bool, error) {
	marker := filepath.Join(dir, "fakekite.marker")
	_, err := os.Stat(marker)
	existed := err == nil
	return existed, os.WriteFile(marker, []byte("started\n"), 0o600)
}

// record appends one line describing this start to path, if path is set.
func record(path string, existed bool) error {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "pid=%d existed=%t dir=%s db=%s\n",
		os.Getpid(), existed, os.Getenv("KITE_DATA_DIR"), os.Getenv("KITE_DATABASE_URL"))
	return errors.Join(err, f.Close())
}

// serve answers /readyz on addr until ctx ends.
func serve(ctx context.Context, addr string) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	srv := &http.Server{Addr: addr, Handler: mux}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return srv.Shutdown(context.Background())
	}
}
