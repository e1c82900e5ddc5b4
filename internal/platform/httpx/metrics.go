package httpx

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics measures request durations by route.
type Metrics struct {
	duration *prometheus.HistogramVec
}

// NewMetrics registers the HTTP metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "kite_http_request_duration_seconds",
		Help:    "Time to serve HTTP requests, by route pattern, method and status code.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "method", "code"})}
	reg.MustRegister(m.duration)
	return m
}

// Middleware observes each request under its ServeMux pattern, so IDs in
// paths never explode the label set; unmatched requests count as "unmatched".
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := record(w)
		next.ServeHTTP(rec, r)
		if rec.status == http.StatusSwitchingProtocols {
			return // a socket's lifetime is not a request duration
		}
		route := r.Pattern
		if route == "" || route == "/" {
			route = "unmatched"
		}
		m.duration.WithLabelValues(route, r.Method, strconv.Itoa(rec.status)).Observe(time.Since(start).Seconds())
	})
}
