package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is what one scenario (or one part of it) measured.
type Result struct {
	// Scenario names what was measured, e.g. "readyz" or "coldstart/fresh".
	Scenario string
	// Clients is the number of concurrent clients.
	Clients int
	// Requests counts the completed requests (or runs), errors included.
	Requests int64
	// Errors counts the requests that failed; they are not part of the latencies.
	Errors int64
	// Elapsed is the wall time of the measured phase, warm-up excluded.
	Elapsed time.Duration
	// Throughput is successful requests per second of Elapsed; 0 when it does not apply.
	Throughput float64
	// Min, P50, P95, P99 and Max describe the latency of the successful requests.
	Min, P50, P95, P99, Max time.Duration
	// ErrorSamples are the first distinct error messages, with how often each occurred.
	ErrorSamples []ErrorSample
	// Metrics are scenario-specific measurements, such as a process's idle memory.
	Metrics []Metric
}

// ErrorSample is one distinct error message and the number of requests that failed with it.
type ErrorSample struct {
	Message string `json:"message"`
	Count   int64  `json:"count"`
}

// Metric is a named number that does not fit the latency columns.
type Metric struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

// SetLatencies fills Min, P50, P95, P99 and Max from h.
func (r *Result) SetLatencies(h *Histogram) {
	r.Min, r.Max = h.Min(), h.Max()
	r.P50, r.P95, r.P99 = h.Percentile(50), h.Percentile(95), h.Percentile(99)
}

// jsonResult is the JSON form of a Result: durations in milliseconds, elapsed in seconds.
type jsonResult struct {
	Scenario     string        `json:"scenario"`
	Clients      int           `json:"clients"`
	Requests     int64         `json:"requests"`
	Errors       int64         `json:"errors"`
	ElapsedS     float64       `json:"elapsed_s"`
	Throughput   float64       `json:"throughput_rps"`
	MinMS        float64       `json:"min_ms"`
	P50MS        float64       `json:"p50_ms"`
	P95MS        float64       `json:"p95_ms"`
	P99MS        float64       `json:"p99_ms"`
	MaxMS        float64       `json:"max_ms"`
	ErrorSamples []ErrorSample `json:"error_samples,omitempty"`
	Metrics      []Metric      `json:"metrics,omitempty"`
}

// MarshalJSON writes durations as milliseconds ("p50_ms") and Elapsed as seconds, so the
// output reads the same as the table.
func (r Result) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonResult{
		Scenario: r.Scenario, Clients: r.Clients, Requests: r.Requests, Errors: r.Errors,
		ElapsedS: r.Elapsed.Seconds(), Throughput: r.Throughput,
		MinMS: millis(r.Min), P50MS: millis(r.P50), P95MS: millis(r.P95),
		P99MS: millis(r.P99), MaxMS: millis(r.Max),
		ErrorSamples: r.ErrorSamples, Metrics: r.Metrics,
	})
}

// WriteJSON writes results as an indented JSON array.
func WriteJSON(w io.Writer, results []Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if results == nil {
		results = []Result{}
	}
	return enc.Encode(results)
}

// WriteTable writes results as an aligned text table, followed by the error samples of every
// result that had errors.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tCLIENTS\tREQUESTS\tERRORS\tELAPSED\tREQ/S\tMIN\tP50\tP95\tP99\tMAX\tNOTES")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			r.Scenario, r.Clients, r.Requests, r.Errors, formatElapsed(r.Elapsed),
			formatThroughput(r.Throughput), formatLatency(r.Min), formatLatency(r.P50),
			formatLatency(r.P95), formatLatency(r.P99), formatLatency(r.Max), formatMetrics(r.Metrics))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return writeErrorSamples(w, results)
}

// writeErrorSamples lists the distinct errors of each result that had any.
func writeErrorSamples(w io.Writer, results []Result) error {
	for _, r := range results {
		if r.Errors == 0 {
			continue
		}
		if _, err := fmt.Fprintf(w, "\n%s: %d errors; first distinct messages:\n", r.Scenario, r.Errors); err != nil {
			return err
		}
		for _, s := range r.ErrorSamples {
			if _, err := fmt.Fprintf(w, "  %6d x %s\n", s.Count, s.Message); err != nil {
				return err
			}
		}
	}
	return nil
}

// millis converts d to fractional milliseconds.
func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// formatLatency prints d with about three significant digits, or "-" for zero.
func formatLatency(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", millis(d))
	case d < time.Second:
		return fmt.Sprintf("%.1fms", millis(d))
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}

// formatElapsed prints d in seconds with one decimal.
func formatElapsed(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

// formatThroughput prints requests per second, or "-" when it does not apply.
func formatThroughput(rps float64) string {
	if rps <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", rps)
}

// formatMetrics prints metrics as "name value unit", comma separated.
func formatMetrics(metrics []Metric) string {
	parts := make([]string, 0, len(metrics))
	for _, m := range metrics {
		parts = append(parts, strings.TrimSpace(fmt.Sprintf("%s %.1f %s", m.Name, m.Value, m.Unit)))
	}
	return strings.Join(parts, ", ")
}
