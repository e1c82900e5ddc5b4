// Package inbox is Kite's one inbox for every conversation: chats and
// their messages on any channel, each member's unread counts, assignment,
// search, the queue that sends through channels at their pace, and the
// files received with messages. Channel adapters (Telegram, email)
// implement Channel and hand inbound messages to Receive.
package inbox

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/pipeline"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/events"
	"github.com/kite-crm/kite/internal/platform/httpx"
	"github.com/kite-crm/kite/internal/platform/jobs"
	"github.com/kite-crm/kite/internal/platform/linkpreview"
)

// Service is the inbox capability: the only entry point other packages use.
type Service struct {
	db     *db.DB
	events *events.Bus
	orgs   *org.Service
	crm    *crm.Service
	blobs  *Blobs
	log    *slog.Logger
	now    func() time.Time
	queue  *jobs.Queue
	deals  *pipeline.Service // the context panel's deals; nil leaves them out
	// previews fetches link previews for messages' web addresses.
	previews atomic.Pointer[linkpreview.Fetcher]
	// unread reads a member's unread counts on every page (db.Prepared).
	unread unreadReads
	// unreadAnswers keeps members' encoded unread counts (unread_cache.go).
	unreadAnswers *unreadCache

	mu       sync.Mutex
	channels map[string]Channel // by kind
	senders  map[string]*sender // running senders by channel id
	leased   []func(ctx context.Context, ch ChannelRecord)
	nudge    chan struct{}
	// receiving takes deliveries to the batch writers while RunReceiver
	// runs; receiverStopped is closed when they have stopped.
	receiving       chan *receiveReq
	receiverStopped chan struct{}
}

// NewService builds the inbox; blobDir holds received files.
func NewService(d *db.DB, bus *events.Bus, orgs *org.Service, c *crm.Service, blobDir string, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
	s := &Service{db: d, events: bus, orgs: orgs, crm: c, blobs: NewBlobs(blobDir), log: log, now: now,
		channels: map[string]Channel{}, senders: map[string]*sender{}, nudge: make(chan struct{}, 1),
		unread: prepareUnreadReads(d), unreadAnswers: newUnreadCache()}
	s.previews.Store(linkpreview.New(linkpreview.Options{}))
	if c != nil {
		c.RelateSubjects(s.relatedChats)
	}
	return s
}

// AddChannel makes a channel adapter available to the inbox.
func (s *Service) AddChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[c.Kind()] = c
}

func (s *Service) channel(kind string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[kind]
	return c, ok
}

// RegisterJobs adds the inbox's background jobs (fetching received files).
func (s *Service) RegisterJobs(reg *jobs.Registry) {
	jobs.Register(reg, &fetchWorker{s: s})
}

// UsePreviews replaces the link preview fetcher (tests allow loopback).
func (s *Service) UsePreviews(f *linkpreview.Fetcher) { s.previews.Store(f) }

// UseQueue gives the service the job queue it enqueues into.
func (s *Service) UseQueue(q *jobs.Queue) { s.queue = q }

var (
	errChatNotFound    = httpx.NewProblem(http.StatusNotFound, "not_found", "No such chat.")
	errMessageNotFound = httpx.NewProblem(http.StatusNotFound, "not_found", "No such message.")
	errChannelNotFound = httpx.NewProblem(http.StatusNotFound, "not_found", "No such channel.")
	errFileNotFound    = httpx.NewProblem(http.StatusNotFound, "not_found", "No such file.")
)

// record writes a domain event in tx.
func (s *Service) record(ctx context.Context, tx bun.Tx, orgID, actor, typ, subject string, payload any) error {
	return s.events.RecordPayload(ctx, tx, events.Event{OrgID: orgID, Type: typ, SubjectID: subject, Actor: actor}, payload)
}

func invalidField(field, msg string) error { return httpx.Invalid("body."+field, msg) }
