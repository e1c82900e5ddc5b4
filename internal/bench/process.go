package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// child is a started kite process. It is stopped by stop, or with SIGTERM (then killed after
// its grace period) when the context it was started with ends.
type child struct {
	cmd       *exec.Cmd
	cancel    context.CancelFunc
	grace     time.Duration
	startedAt time.Time
	done      chan struct{} // closed once the process has exited and been reaped
	waitErr   error         // the result of Wait; read only after done is closed
}

// startChild runs "bin serve" with the given environment and output. startedAt is taken
// immediately before the exec.
func startChild(ctx context.Context, bin string, env []string, out io.Writer, grace time.Duration) (*child, error) {
	cctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(cctx, bin, "serve")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = childSysProcAttr()
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = grace
	c := &child{cmd: cmd, cancel: cancel, grace: grace, done: make(chan struct{})}
	c.startedAt = time.Now()
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go c.reap()
	return c, nil
}

// reap waits for the process to exit and records how it ended.
func (c *child) reap() {
	c.waitErr = c.cmd.Wait()
	c.cancel()
	close(c.done)
}

// pid returns the process id.
func (c *child) pid() int { return c.cmd.Process.Pid }

// exited reports whether the process has already ended, and how.
func (c *child) exited() (bool, error) {
	select {
	case <-c.done:
		return true, c.waitErr
	default:
		return false, nil
	}
}

// stop sends SIGTERM, waits for the exit (killing the process after the grace period) and
// reports whether it had to be killed.
func (c *child) stop() (killed bool) {
	began := time.Now()
	c.cancel()
	<-c.done
	return time.Since(began) >= c.grace
}

// waitReady polls url every poll until it answers 200 and returns the time from exec to that
// answer. It fails when the process exits, ctx ends or timeout passes first.
func waitReady(ctx context.Context, c *child, url string, poll, timeout time.Duration) (time.Duration, error) {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		err := probe(ctx, client, url)
		if err == nil {
			return time.Since(c.startedAt), nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-c.done:
			return 0, fmt.Errorf("kite exited before %s answered 200 (%v)", url, exitReason(c.waitErr))
		case <-deadline.C:
			return 0, fmt.Errorf("no 200 from %s within %s (last: %v)", url, timeout, err)
		case <-tick.C:
		}
	}
}

// probe returns nil when url answers 200.
func probe(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	return Call(client, req, http.StatusOK)
}

// exitReason describes how a process ended.
func exitReason(waitErr error) string {
	if waitErr == nil {
		return "exit status 0"
	}
	return waitErr.Error()
}

// idle waits d while checking that the process stays up.
func idle(ctx context.Context, c *child, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return fmt.Errorf("kite exited while idle (%v)", exitReason(c.waitErr))
	case <-timer.C:
		return nil
	}
}

// residentBytes returns the resident set size of process pid, read from /proc (Linux only).
func residentBytes(pid int) (int64, error) {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("reading resident memory: %w", err)
	}
	return parseVmRSS(status)
}

// parseVmRSS extracts the VmRSS line ("VmRSS:   12345 kB") of a /proc/<pid>/status file,
// in bytes.
func parseVmRSS(status []byte) (int64, error) {
	for line := range bytes.Lines(status) {
		rest, found := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !found {
			continue
		}
		fields := strings.Fields(string(rest))
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("unexpected VmRSS line %q", strings.TrimSpace(string(line)))
		}
		kib, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected VmRSS line %q: %w", strings.TrimSpace(string(line)), err)
		}
		return kib * 1024, nil
	}
	return 0, fmt.Errorf("no VmRSS line in process status")
}

// freeAddr returns a 127.0.0.1 address with a port that was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// childEnv returns base without any KITE_ADDR, KITE_DATA_DIR or KITE_DATABASE_URL, followed
// by extra and then the given settings (an empty databaseURL means SQLite).
func childEnv(base, extra []string, addr, dataDir, databaseURL string) []string {
	env := make([]string, 0, len(base)+len(extra)+3)
	for _, kv := range base {
		key, _, _ := strings.Cut(kv, "=")
		if key != "KITE_ADDR" && key != "KITE_DATA_DIR" && key != "KITE_DATABASE_URL" {
			env = append(env, kv)
		}
	}
	env = append(env, extra...)
	env = append(env, "KITE_ADDR="+addr, "KITE_DATA_DIR="+dataDir)
	if databaseURL != "" {
		env = append(env, "KITE_DATABASE_URL="+databaseURL)
	}
	return env
}
