// Package pipeline is Kite's sales pipelines: pipelines and their stages,
// deals moving through them on a kanban board, stage history and the
// per-stage totals that make forecasts.
package pipeline

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/events"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// Service is the pipelines capability: the only entry point other packages use.
type Service struct {
	db     *db.DB
	events *events.Bus
	orgs   *org.Service
	crm    *crm.Service
	log    *slog.Logger
	now    func() time.Time
	boards *boardCache
}

// NewService builds the service and hooks it into the organization's
// creation (every org gets the default pipeline) and into the CRM (deals on
// contact and company pages, notes on deals).
func NewService(d *db.DB, bus *events.Bus, orgs *org.Service, c *crm.Service, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Microseconds: what both databases keep, so an answer equals a later read.
	now := func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
	s := &Service{db: d, events: bus, orgs: orgs, crm: c, log: log, now: now, boards: newBoardCache()}
	orgs.OnCreated(func(ctx context.Context, tx bun.Tx, o org.Organization) error {
		_, err := s.createDefault(ctx, tx, o.ID)
		return err
	})
	c.AddNoteSubject(SubjectDeal, s.dealExists)
	c.RelateSubjects(s.relatedDeals)
	c.AddRecordPanel(s.recordDeals)
	return s
}

// SubjectDeal names deals as subjects of notes and events.
const SubjectDeal = "deal"

var (
	errPipelineNotFound = httpx.NewProblem(http.StatusNotFound, "not_found", "No such pipeline.")
	errStageNotFound    = httpx.NewProblem(http.StatusNotFound, "not_found", "No such stage.")
	errDealNotFound     = httpx.NewProblem(http.StatusNotFound, "not_found", "No such deal.")
)

// record writes a domain event in tx.
func (s *Service) record(ctx context.Context, tx bun.Tx, orgID, actor, typ, subject string, payload any) error {
	return s.events.RecordPayload(ctx, tx, events.Event{OrgID: orgID, Type: typ, SubjectID: subject, Actor: actor}, payload)
}

// invalidField is a 422 naming the body field at fault.
func invalidField(field, msg string) error { return httpx.Invalid("body."+field, msg) }

func conflict(code, msg string) error { return httpx.NewProblem(http.StatusConflict, code, msg) }

// change is one field's old and new value in an update event.
type change struct {
	Old any `json:"old"`
	New any `json:"new"`
}
