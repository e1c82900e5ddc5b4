package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func sampleResults() []Result {
	return []Result{
		{
			Scenario: "readyz", Clients: 32, Requests: 1000, Errors: 3, Elapsed: 2 * time.Second,
			Throughput: 498.5, Min: 90 * time.Microsecond, P50: 1500 * time.Microsecond,
			P95: 12 * time.Millisecond, P99: 25 * time.Millisecond, Max: 1200 * time.Millisecond,
			ErrorSamples: []ErrorSample{{Message: "GET /readyz: status 503 Service Unavailable", Count: 3}},
		},
		{
			Scenario: "coldstart/existing", Clients: 1, Requests: 5, Elapsed: time.Second,
			Min: 150 * time.Millisecond, P50: 160 * time.Millisecond, Max: 170 * time.Millisecond,
			Metrics: []Metric{{Name: "idle_rss", Value: 41.25, Unit: "MiB"}},
		},
	}
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteTable(&buf, sampleResults()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"SCENARIO", "P99", "readyz", "498.5", "90µs", "1.50ms", "25.0ms", "1.20s",
		"coldstart/existing", "idle_rss 41.2 MiB",
		"readyz: 3 errors", "3 x GET /readyz: status 503 Service Unavailable",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	lines := strings.Split(out, "\n")
	if column(lines[0], "P50") != column(lines[1], "1.50ms") {
		t.Errorf("columns not aligned:\n%s", out)
	}
}

// column returns the character position of sub in line.
func column(line, sub string) int {
	return utf8.RuneCountInString(line[:strings.Index(line, sub)])
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, sampleResults()); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v in %s", err, buf.String())
	}
	if len(got) != 2 || got[0]["scenario"] != "readyz" || got[0]["p99_ms"] != 25.0 ||
		got[0]["elapsed_s"] != 2.0 || got[0]["throughput_rps"] != 498.5 || got[0]["errors"] != 3.0 {
		t.Errorf("unexpected JSON %s", buf.String())
	}
	metrics, _ := got[1]["metrics"].([]any)
	if len(metrics) != 1 || metrics[0].(map[string]any)["value"] != 41.25 {
		t.Errorf("metrics missing in %s", buf.String())
	}
	buf.Reset()
	if err := WriteJSON(&buf, nil); err != nil || strings.TrimSpace(buf.String()) != "[]" {
		t.Errorf("no results should be [], got %q (%v)", buf.String(), err)
	}
}
