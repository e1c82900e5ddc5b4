package bench

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// MaxRuns is the largest number of runs per phase a process-level scenario accepts.
const MaxRuns = 1000

// requestTimeout bounds one request of the load client, so a stuck server cannot hang a run.
const requestTimeout = 30 * time.Second

// Options are the settings shared by all scenarios, usually taken from command-line flags.
type Options struct {
	// BaseURL is the running Kite to load, e.g. "http://localhost:8080".
	BaseURL string
	// Clients, Duration, Count and Warmup configure the Runner of request-loop scenarios.
	Clients  int
	Duration time.Duration
	Count    int64
	Warmup   time.Duration
	// Bin is the path of a built kite binary, for scenarios that start their own process.
	Bin string
	// DatabaseURL is a PostgreSQL admin URL; empty means SQLite.
	DatabaseURL string
	// Runs is how many times process-level scenarios repeat each measurement.
	Runs int
	// Idle is how long a started process is left idle before its memory is read.
	Idle time.Duration
	// Token is an API key (or access token) of a seeded organization, for
	// scenarios that read its data (`kite seed` prints one).
	Token string
	// Email and Password sign in a member of the seeded organization, for
	// scenarios that read a person's own state (unread counts).
	Email, Password string
	// TelegramAddr is where the telegram-* scenarios serve their fake Bot
	// API; Kite must run with KITE_TELEGRAM_API_URL pointing at it.
	TelegramAddr string
	// Rate is the open-loop request rate of telegram-inbound, per second.
	Rate int
}

// DefaultOptions returns the defaults of the kitebench command line.
func DefaultOptions() Options {
	return Options{
		BaseURL:      "http://localhost:8080",
		Clients:      16,
		Duration:     10 * time.Second,
		Warmup:       time.Second,
		Runs:         5,
		Idle:         5 * time.Second,
		TelegramAddr: "127.0.0.1:8099",
		Rate:         2000,
	}
}

// Runner returns the Runner that request-loop scenarios are driven by.
func (o Options) Runner() Runner {
	return Runner{Clients: o.Clients, Duration: o.Duration, Count: o.Count, Warmup: o.Warmup}
}

// Validate reports the first setting that is out of bounds.
func (o Options) Validate() error {
	if err := o.Runner().Validate(); err != nil {
		return err
	}
	if err := validateBaseURL(o.BaseURL); err != nil {
		return err
	}
	if o.Runs < 1 || o.Runs > MaxRuns {
		return fmt.Errorf("runs must be between 1 and %d, got %d", MaxRuns, o.Runs)
	}
	if o.Idle < 0 || o.Idle > MaxDuration {
		return fmt.Errorf("idle must be between 0 and %s, got %s", MaxDuration, o.Idle)
	}
	return nil
}

// validateBaseURL accepts an absolute http or https URL.
func validateBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("url %q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url %q: want http://host:port or https://host:port", raw)
	}
	return nil
}

// Env is what a scenario runs with: the options, an HTTP client tuned for load and a writer
// for progress messages.
type Env struct {
	Options
	// Client keeps up to Clients idle keep-alive connections per host and times out a
	// request after 30 s. It is shared by all clients of a run and safe for concurrent use.
	Client *http.Client
	// Log receives progress messages for the person running the benchmark.
	Log io.Writer
}

// NewEnv validates opts and returns an Env whose client suits opts.Clients concurrent
// clients. A nil log discards progress messages.
func NewEnv(opts Options, log io.Writer) (*Env, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = io.Discard
	}
	return &Env{Options: opts, Client: newLoadClient(opts.Clients), Log: log}, nil
}

// newLoadClient returns a client that keeps one idle connection per concurrent client.
func newLoadClient(clients int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.MaxIdleConns = clients
	t.MaxIdleConnsPerHost = clients
	t.DisableKeepAlives = false
	return &http.Client{Transport: t, Timeout: requestTimeout}
}

// URL returns the target's URL for path, which should start with "/".
func (e *Env) URL(path string) string {
	return strings.TrimRight(e.BaseURL, "/") + path
}

// Logf writes one progress line.
func (e *Env) Logf(format string, args ...any) {
	fmt.Fprintf(e.Log, format+"\n", args...)
}

// Close releases the client's idle connections.
func (e *Env) Close() {
	e.Client.CloseIdleConnections()
}

// StatusError reports a response whose status the scenario does not accept.
type StatusError struct {
	Method string
	Path   string
	Status string
	Code   int
}

// Error names the request and the status, e.g. "GET /readyz: status 503 Service Unavailable".
func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: status %s", e.Method, e.Path, e.Status)
}

// CheckStatus returns a *StatusError unless resp's status is one of accept, or any 2xx
// status when accept is empty.
func CheckStatus(resp *http.Response, accept ...int) error {
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if len(accept) > 0 {
		ok = slices.Contains(accept, resp.StatusCode)
	}
	if ok {
		return nil
	}
	method, path := http.MethodGet, ""
	if resp.Request != nil {
		method, path = resp.Request.Method, resp.Request.URL.Path
	}
	return &StatusError{Method: method, Path: path, Status: resp.Status, Code: resp.StatusCode}
}

// Call sends req with client, reads the whole body so the connection is reused, and checks
// the status with CheckStatus(resp, accept...).
func Call(client *http.Client, req *http.Request, accept ...int) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("%s %s: reading body: %w", req.Method, req.URL.Path, err)
	}
	return CheckStatus(resp, accept...)
}
