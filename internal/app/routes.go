package app

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/identity"
	"github.com/kite-crm/kite/internal/platform/httpx"
	"github.com/kite-crm/kite/internal/platform/realtime"
	"github.com/kite-crm/kite/internal/web"
)

// routes builds the HTTP surface: health and metrics, the JSON API under
// /api/v1, realtime, and the web UI; then the middleware every request
// passes through.
func (a *App) routes() (http.Handler, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", httpx.Healthz)
	mux.HandleFunc("GET /readyz", httpx.Readyz(a.ready))
	mux.Handle("GET /metrics", a.metricsGate(promhttp.HandlerFor(a.Metrics, promhttp.HandlerOpts{})))

	a.API = httpx.NewAPI(mux, "Kite API", a.version)
	registerSystemAPI(a.API, a)
	a.Identity.RegisterAPI(a.API)
	a.Orgs.RegisterAPI(a.API)
	guard := a.Orgs.Guard(a.API)
	a.CRM.RegisterAPI(a.API, guard)
	a.Pipelines.RegisterAPI(a.API, guard)
	a.Inbox.RegisterAPI(a.API, guard)
	a.Telegram.RegisterAPI(a.API, guard)
	mux.Handle("GET /api/v1/realtime", &realtime.Endpoint{Hub: a.Hub, Gate: a.realtimeGate, Closing: a.closing})

	w, err := web.New(web.Options{Version: a.version, Status: a.statusData, Gate: a.signedIn, Logger: a.log})
	if err != nil {
		return nil, err
	}
	w.Register(mux)
	a.Identity.RegisterWeb(mux)
	a.Orgs.RegisterWeb(mux)
	a.CRM.RegisterWeb(mux)
	a.Pipelines.RegisterWeb(mux)
	a.Inbox.RegisterWeb(mux)
	a.Telegram.RegisterWeb(mux, a.Orgs)
	a.registerDevMailbox(mux)

	m := httpx.NewMetrics(a.Metrics)
	hsts := strings.HasPrefix(a.cfg.PublicURL, "https://")
	return httpx.Chain(notFound(mux, w),
		httpx.WithRequestID,
		withClientMeta,
		httpx.SaneAccept,
		httpx.AccessLog(a.log),
		m.Middleware,
		httpx.Recover(a.log),
		httpx.SecurityHeaders(hsts),
		httpx.CrossOrigin(),
		httpx.BodyLimit(bodyLimit),
		httpx.Gzip,
	), nil
}

// notFound answers paths no route matches: problem+json under /api/ (also
// for a wrong method), the HTML not-found page elsewhere.
func notFound(mux *http.ServeMux, w *web.Web) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(rw, r)
			return
		}
		if !httpx.IsAPIPath(r.URL.Path) {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				w.NotFound(rw, r)
				return
			}
			mux.ServeHTTP(rw, r) // 405 with Allow, or 404
			return
		}
		// Let the mux decide between 404 and 405 (it sets Allow), then speak
		// problem+json instead of its plain text.
		probe := &statusProbe{header: http.Header{}}
		mux.ServeHTTP(probe, r)
		if allow := probe.header.Get("Allow"); allow != "" {
			rw.Header().Set("Allow", allow)
		}
		detail := "No API endpoint at " + r.URL.Path + "."
		if probe.status == http.StatusMethodNotAllowed {
			detail = r.Method + " is not allowed on " + r.URL.Path + "."
		} else {
			probe.status = http.StatusNotFound
		}
		httpx.WriteProblem(rw, httpx.NewProblem(probe.status, "", detail))
	})
}

// statusProbe captures the status and headers a handler would send.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}
func (p *statusProbe) WriteHeader(status int) {
	if p.status == 0 {
		p.status = status
	}
}

// withClientMeta records the client's address and agent in the request
// context for sessions, throttling and the audit log.
func withClientMeta(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(identity.WithMeta(r.Context(), identity.Meta(r))))
	})
}

// bodyLimit caps request bodies: API operations set their own limits
// (huma's MaxBodyBytes, 1 MiB unless an upload raises it), so the outer cap
// for /api/ only stops absurd uploads; pages take 1 MiB. CSV imports (API
// and page) take files up to 100 MiB.
func bodyLimit(r *http.Request) int64 {
	if crm.IsImportUpload(r) {
		return crm.MaxImportRequestBytes
	}
	if httpx.IsAPIPath(r.URL.Path) {
		return httpx.MaxUploadBody
	}
	return httpx.MaxJSONBody
}

// signedIn lets only signed-in people see operational pages (version,
// database location, queues); others are sent to sign in.
func (a *App) signedIn(w http.ResponseWriter, r *http.Request) bool {
	if _, err := a.Identity.AuthenticateRequest(r); err == nil {
		return true
	}
	http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
	return false
}

// metricsGate requires "Authorization: Bearer <KITE_METRICS_TOKEN>" on
// /metrics when that token is configured.
func (a *App) metricsGate(next http.Handler) http.Handler {
	want := a.cfg.MetricsToken
	if want == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := identity.BearerToken(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics need the bearer token configured in KITE_METRICS_TOKEN", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
