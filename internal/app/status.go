package app

import (
	"context"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
	"github.com/kite-crm/kite/internal/platform/jobs"
	"github.com/kite-crm/kite/internal/web"
)

// statusData feeds the /status page.
func (a *App) statusData(ctx context.Context) (web.StatusData, error) {
	st, _ := a.schema.state()
	counts, err := a.Queue.Summary(ctx)
	if err != nil {
		return web.StatusData{}, err
	}
	queue := make([]web.QueueCount, len(counts))
	for i, c := range counts {
		queue[i] = web.QueueCount{State: c.State, Count: c.Count}
	}
	return web.StatusData{
		Version:       a.version,
		DatabaseKind:  a.DB.Kind.Label(),
		DatabaseWhere: a.DB.Where,
		SchemaVersion: st.Current,
		SchemaLatest:  st.Latest,
		Queue:         queue,
		StartedAt:     a.started,
		Now:           time.Now(),
	}, nil
}

// SystemStatus is the API's view of the status page.
type SystemStatus struct {
	Version       string           `json:"version"`
	Database      string           `json:"database" enum:"sqlite,postgres"`
	SchemaVersion int64            `json:"schema_version"`
	SchemaLatest  int64            `json:"schema_latest"`
	Jobs          map[string]int64 `json:"jobs" doc:"Jobs by state"`
	StartedAt     time.Time        `json:"started_at"`
	UptimeSeconds int64            `json:"uptime_seconds"`
}

type systemStatusOutput struct {
	Body SystemStatus
}

func registerSystemAPI(api huma.API, a *App) {
	huma.Register(api, huma.Operation{
		OperationID: "get-system-status",
		Method:      "GET",
		Path:        "/system/status",
		Summary:     "System status",
		Description: "Version, database, schema version, job queue counts and uptime of the answering replica. Needs a signed-in user.",
		Tags:        []string{"System"},
		Middlewares: huma.Middlewares{a.Identity.RequireUser(api)},
	}, func(ctx context.Context, _ *struct{}) (*systemStatusOutput, error) {
		d, err := a.statusData(ctx)
		if err != nil {
			return nil, httpx.APIError(ctx, a.log, err)
		}
		out := &systemStatusOutput{Body: SystemStatus{
			Version: d.Version, Database: string(a.DB.Kind), SchemaVersion: d.SchemaVersion, SchemaLatest: d.SchemaLatest,
			Jobs: map[string]int64{}, StartedAt: d.StartedAt.UTC(), UptimeSeconds: int64(d.Now.Sub(d.StartedAt).Seconds()),
		}}
		for _, q := range d.Queue {
			out.Body.Jobs[q.State] = q.Count
		}
		return out, nil
	})
}

// queueCollector exports job counts by state when /metrics is scraped.
type queueCollector struct {
	db   *db.DB
	desc *prometheus.Desc
}

func newQueueCollector(d *db.DB) *queueCollector {
	return &queueCollector{db: d, desc: prometheus.NewDesc("kite_jobs", "Jobs in the queue by state.", []string{"state"}, nil)}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := jobs.Summary(ctx, c.db)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, s := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(s.Count), s.State)
	}
}
