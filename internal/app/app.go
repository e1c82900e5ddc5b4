// Package app is Kite's composition root: configuration -> database ->
// services -> routes -> workers. Main runs the command line; New and Start
// build and run one Kite, also inside tests on a random port.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/kite-crm/kite/internal/channel/telegram"
	"github.com/kite-crm/kite/internal/config"
	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/identity"
	"github.com/kite-crm/kite/internal/inbox"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/pipeline"
	"github.com/kite-crm/kite/internal/platform/crypto"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/events"
	"github.com/kite-crm/kite/internal/platform/httpx"
	"github.com/kite-crm/kite/internal/platform/jobs"
	"github.com/kite-crm/kite/internal/platform/mail"
	"github.com/kite-crm/kite/internal/platform/realtime"
)

// App is one running Kite.
type App struct {
	cfg     config.Config
	version string
	log     *slog.Logger
	started time.Time

	DB        *db.DB
	Queue     *jobs.Queue
	Events    *events.Bus
	Hub       *realtime.Hub
	Metrics   *prometheus.Registry
	Keys      *crypto.Keyring
	Identity  *identity.Service
	Orgs      *org.Service
	CRM       *crm.Service
	Pipelines *pipeline.Service
	Inbox     *inbox.Service
	Telegram  *telegram.Adapter
	// Mailbox holds sent mails when no SMTP server is configured.
	Mailbox *mail.Mailbox
	// API is the huma API under /api/v1 that capability packages register on.
	API huma.API

	dataDir  *dirLock
	handler  http.Handler
	server   *http.Server
	listener net.Listener
	schema   *schemaWatch

	closing   chan struct{} // closed at shutdown: ends sockets and loops
	loops     sync.WaitGroup
	closeOnce sync.Once
}

// Options are what New needs besides the configuration.
type Options struct {
	Version string
	Logger  *slog.Logger
}

// New opens and migrates the database and builds every service and route.
// It does not listen or run jobs yet: Start does.
func New(ctx context.Context, cfg config.Config, opts Options) (_ *App, err error) {
	a := &App{cfg: cfg, version: opts.Version, log: opts.Logger, started: time.Now(), closing: make(chan struct{})}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	if err = a.cfg.PrepareDataDir(); err != nil {
		return nil, err
	}
	if err = a.openDatabase(ctx); err != nil {
		return nil, err
	}
	if err = a.buildServices(); err != nil {
		return nil, err
	}
	// Organizations made before pipelines existed get their default one.
	if err = a.Pipelines.EnsureDefaults(ctx); err != nil {
		return nil, err
	}
	a.handler, err = a.routes()
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (a *App) openDatabase(ctx context.Context) error {
	if a.cfg.DatabaseURL == "" {
		lock, err := lockDataDir(a.cfg.DataDir)
		if err != nil {
			return err
		}
		a.dataDir = lock
	}
	d, err := db.Open(ctx, db.Options{URL: a.cfg.DatabaseURL, Path: a.cfg.SQLitePath(), MaxConns: a.cfg.DBMaxConns})
	if err != nil {
		return err
	}
	a.DB = d
	err = d.MigrationLock(ctx, func(ctx context.Context) error {
		applied, err := d.Migrate(ctx)
		if len(applied) > 0 {
			a.log.Info("database migrated", "applied", applied)
		}
		return err
	})
	if err != nil {
		return err
	}
	a.schema = newSchemaWatch(d)
	return a.schema.refresh(ctx)
}

func (a *App) buildServices() error {
	a.Metrics = prometheus.NewRegistry()
	a.Metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(a.DB.DB.DB, "writer"))
	if a.DB.Read != a.DB.DB {
		a.Metrics.MustRegister(collectors.NewDBStatsCollector(a.DB.Read.DB, "reader"))
	}
	a.Hub = realtime.NewHub(a.log.With("component", "realtime"))
	if a.DB.Kind == db.Postgres {
		a.Hub.ListenPostgres(a.DB.Pool)
	}
	a.Events = events.NewBus(a.DB, a.log.With("component", "events"))
	reg := jobs.NewRegistry()
	a.Events.Register(reg)
	if err := a.buildIdentity(reg); err != nil {
		return err
	}
	a.CRM.RegisterJobs(reg)
	a.Inbox.RegisterJobs(reg)
	q, err := jobs.New(a.DB, reg, jobs.Config{
		Workers:       a.cfg.JobWorkers,
		JobTimeout:    a.cfg.JobTimeout,
		NodeTTL:       a.cfg.NodeTTL,
		SingleProcess: a.DB.Kind == db.SQLite,
		Version:       a.version,
		Logger:        a.log,
	})
	if err != nil {
		return err
	}
	a.Queue = q
	a.Events.UseQueue(q)
	a.Identity.UseQueue(q)
	a.CRM.UseQueue(q)
	a.Inbox.UseQueue(q)
	a.CRM.OnImportProgress(a.publishImportProgress)
	a.Metrics.MustRegister(q.Collectors()...)
	a.Metrics.MustRegister(a.Hub.Collectors()...)
	a.Metrics.MustRegister(newQueueCollector(a.DB))
	return nil
}

// Handler is the whole HTTP surface, for tests that skip the listener.
func (a *App) Handler() http.Handler { return a.handler }

// Start listens on the configured address (":0" picks a free port), starts
// the job workers and the realtime listener, and serves in the background.
func (a *App) Start(ctx context.Context) error {
	ln, err := httpx.Listen(ctx, a.cfg.Addr)
	if err != nil {
		return err
	}
	a.listener = ln
	if err := a.Queue.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.loops.Go(func() {
		<-a.closing
		cancel()
	})
	a.loops.Go(func() { a.Hub.Run(loopCtx) })
	a.loops.Go(func() { a.schema.watch(loopCtx, 10*time.Second, a.log) })
	a.loops.Go(func() { a.Inbox.RunChannels(loopCtx, a.Queue.NodeID()) })
	a.loops.Go(func() { a.Inbox.RunReceiver(loopCtx) })
	if a.DB.Kind == db.Postgres && a.cfg.SecretKeyGenerated {
		a.log.Warn("KITE_SECRET_KEY is not set: using a key generated into the data dir; all replicas must share one key, so set KITE_SECRET_KEY in production")
	}
	a.server = httpx.NewServer(a.handler, a.log)
	a.loops.Go(func() {
		if err := a.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("http server stopped", "err", err)
		}
	})
	return nil
}

// URL is where this Kite answers, with the real port when started on ":0".
func (a *App) URL() string {
	if a.listener == nil {
		return a.cfg.PublicURL
	}
	host, _, _ := net.SplitHostPort(a.cfg.Addr)
	_, port, _ := net.SplitHostPort(a.listener.Addr().String())
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// publicURL is where others reach this Kite: KITE_PUBLIC_URL, or the
// real address when it was started on port 0 (tests).
func (a *App) publicURL() string {
	if a.listener != nil && strings.HasSuffix(a.cfg.PublicURL, ":0") {
		return a.URL()
	}
	return a.cfg.PublicURL
}

// Shutdown stops taking requests, lets in-flight requests and running jobs
// finish until ctx ends, then closes sockets, workers and the database.
func (a *App) Shutdown(ctx context.Context) error {
	// The HTTP drain and the job queue stop side by side, on one deadline:
	// workers stop fetching at once instead of after the requests.
	var httpErr, jobsErr error
	var wg sync.WaitGroup
	if a.server != nil {
		wg.Go(func() {
			a.server.SetKeepAlivesEnabled(false)
			if err := a.server.Shutdown(ctx); err != nil {
				httpErr = fmt.Errorf("http: %w", err)
				a.server.Close()
			}
		})
	}
	if a.Queue != nil {
		wg.Go(func() {
			if err := a.Queue.Stop(ctx); err != nil {
				jobsErr = fmt.Errorf("jobs: %w", err)
			}
		})
	}
	wg.Wait()
	a.close()
	return errors.Join(httpErr, jobsErr)
}

// close releases everything; safe to call more than once.
func (a *App) close() {
	a.closeOnce.Do(func() {
		close(a.closing)
		a.loops.Wait()
		if a.DB != nil {
			a.DB.Close()
		}
		if a.dataDir != nil {
			a.dataDir.release()
		}
	})
}

// Config is the configuration the app runs with.
func (a *App) Config() config.Config { return a.cfg }

// buildIdentity wires accounts and organizations: sealing keys, mail, the
// identity and org services and their jobs, and realtime access control.
func (a *App) buildIdentity(reg *jobs.Registry) error {
	keys, err := crypto.NewKeyring(a.cfg.SecretKey)
	if err != nil {
		return err
	}
	a.Keys = keys
	sender, mailbox, err := mail.New(mail.Options{URL: a.cfg.SMTPURL, From: a.cfg.MailFrom, Logger: a.log.With("component", "mail")})
	if err != nil {
		return err
	}
	a.Mailbox = mailbox
	a.Identity = identity.NewService(a.DB, keys, sender, identity.Config{
		PublicURL:      a.cfg.PublicURL,
		GoogleClientID: a.cfg.GoogleClientID, GoogleClientSecret: a.cfg.GoogleClientSecret, GoogleIssuer: a.cfg.GoogleIssuer,
		TelegramBotToken: a.cfg.TelegramLoginToken, TelegramBotName: a.cfg.TelegramLoginBot,
		// Half the cores hash passwords at most, so a sign-in storm leaves
		// the other half to every other route.
		HashConcurrency: max(1, runtime.GOMAXPROCS(0)/2),
	}, a.log.With("component", "identity"))
	a.Identity.Register(reg)
	a.Orgs = org.NewService(a.DB, a.Identity, a.Events, a.log.With("component", "org"))
	a.Orgs.OnMemberRemoved(a.revokeRealtime)
	a.Orgs.Register(reg)
	a.CRM = crm.NewService(a.DB, a.Events, a.Orgs, a.log.With("component", "crm"))
	a.Pipelines = pipeline.NewService(a.DB, a.Events, a.Orgs, a.CRM, a.log.With("component", "pipeline"))
	a.Metrics.MustRegister(a.Pipelines.Collectors()...)
	a.Inbox = inbox.NewService(a.DB, a.Events, a.Orgs, a.CRM, a.cfg.BlobDir, a.log.With("component", "inbox"))
	a.Metrics.MustRegister(a.Inbox.Collectors()...)
	a.Telegram = telegram.New(telegram.Options{Inbox: a.Inbox, Keys: keys, APIURL: a.cfg.TelegramAPIURL,
		PublicURL: a.publicURL, Webhooks: a.cfg.TelegramWebhooks(), Logger: a.log.With("component", "telegram")})
	a.Inbox.UseDeals(a.Pipelines)
	a.Inbox.AddChannel(a.Telegram)
	a.Inbox.OnLeased(a.Telegram.RunLeased)
	a.Events.Live(a.publishEvent)
	return nil
}

// publishImportProgress pushes a running import's counts to its org's
// sockets. Progress goes straight to the hub rather than through the
// outbox: it is transient (the next tick supersedes it), and one outbox
// event per second per import would fill the event log, webhooks and
// replays with noise. The durable record is import.started and
// import.finished, and GET /imports/{id} is always current.
func (a *App) publishImportProgress(ctx context.Context, im crm.Import) {
	data, _ := json.Marshal(im)
	if err := a.Hub.Publish(ctx, realtime.Message{Topic: orgTopic(im.OrgID), Type: "import.progress", Data: data}); err != nil {
		a.log.Warn("could not publish import progress", "import", im.ID, "err", err)
	}
}
