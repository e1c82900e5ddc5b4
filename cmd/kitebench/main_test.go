package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// runArgs runs the command line and returns its exit code, stdout and stderr.
func runArgs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestUsageErrorsAreOneLineWithExitCode2(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"bogus"}, "unknown command"},
		{[]string{"run"}, "at least one scenario"},
		{[]string{"run", "nosuch"}, `unknown scenario "nosuch"`},
		{[]string{"run", "-x", "readyz"}, "flag provided but not defined: -x"},
		{[]string{"run", "-c", "abc", "readyz"}, "invalid value"},
		{[]string{"run", "-c", "20000", "readyz"}, "clients must be between 1 and 10000"},
		{[]string{"run", "-d", "2h", "readyz"}, "duration"},
		{[]string{"run", "-d", "0", "readyz"}, "need a duration or a request count"},
		{[]string{"run", "readyz", "-c", "4"}, "must come before"},
		{[]string{"run", "coldstart"}, "coldstart: needs -bin"},
		{[]string{"run", "-runs", "0", "coldstart"}, "runs"},
		{[]string{"list", "extra"}, "no arguments"},
	}
	for _, c := range cases {
		code, stdout, stderr := runArgs(t, c.args...)
		if code != exitBadArgs || stdout != "" || !strings.Contains(stderr, c.want) ||
			strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "kitebench: ") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", c.args, code, stdout, stderr, c.want)
		}
	}
}

func TestHelpAndList(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-h"}, {"help"}, {"run", "-h"}} {
		code, stdout, _ := runArgs(t, args...)
		if code != exitOK || !strings.Contains(stdout, "kitebench run") || !strings.Contains(stdout, "-database-url") ||
			!strings.Contains(stdout, "Examples:") {
			t.Errorf("%q: exit %d, usage %q", args, code, stdout)
		}
	}
	code, stdout, _ := runArgs(t, "list")
	if code != exitOK || !strings.Contains(stdout, "readyz") || !strings.Contains(stdout, "coldstart") {
		t.Errorf("list: exit %d, %q", code, stdout)
	}
	if code, _, _ := runArgs(t); code != exitBadArgs {
		t.Errorf("no arguments: exit %d, want 2", code)
	}
}

func TestRunPrintsOneTableForSeveralScenarios(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	code, stdout, stderr := runArgs(t, "run", "-url", srv.URL, "-c", "2", "-n", "20", "-warmup", "0", "readyz", "readyz")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Count(stdout, "SCENARIO") != 1 || strings.Count(stdout, "readyz ") != 2 {
		t.Errorf("want one table with two readyz rows:\n%s", stdout)
	}
	code, stdout, stderr = runArgs(t, "run", "-url", srv.URL, "-c", "2", "-n", "20", "-warmup", "0", "-json", "readyz")
	var results []map[string]any
	if code != exitOK || json.Unmarshal([]byte(stdout), &results) != nil || len(results) != 1 || results[0]["requests"] != 20.0 {
		t.Errorf("json run: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestRunFailsWhenTargetIsDown(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	url := srv.URL
	srv.Close()
	code, _, stderr := runArgs(t, "run", "-url", url, "-n", "5", "readyz")
	if code != exitFailed || !strings.Contains(stderr, "readyz: setup: target") {
		t.Errorf("exit %d, stderr %q; want exit 1 naming the unreachable target", code, stderr)
	}
}
