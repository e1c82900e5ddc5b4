package crm

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/events"
	"github.com/kite-crm/kite/internal/platform/jobs"
)

// Service is the CRM: the only entry point other packages use.
type Service struct {
	db     *db.DB
	events *events.Bus
	orgs   *org.Service
	queue  *jobs.Queue
	log    *slog.Logger
	now    func() time.Time
	// importProgress, when set, hears how running imports advance.
	importProgress func(ctx context.Context, im Import)
	// noteSubjects and related are how records of capabilities above the
	// CRM join its notes and timelines (subjects.go).
	noteSubjects map[string]SubjectCheck
	related      []RelatedFunc
	panels       []PanelFunc
}

// NewService builds the CRM service.
func NewService(d *db.DB, bus *events.Bus, orgs *org.Service, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: d, events: bus, orgs: orgs, log: log, now: time.Now}
}

// RegisterJobs adds the CRM's background jobs to reg: CSV imports, and
// the hourly removal of uploads left without a mapping.
func (s *Service) RegisterJobs(reg *jobs.Registry) {
	jobs.Register(reg, &importWorker{s: s})
	jobs.Register(reg, &draftSweepWorker{s: s})
	reg.Every(time.Hour, func() river.JobArgs { return draftSweepArgs{} })
}

// UseQueue binds the queue that imports are enqueued on.
func (s *Service) UseQueue(q *jobs.Queue) { s.queue = q }

// OnImportProgress sets fn to hear, about once a second, how a running
// import advances (and once when it ends).
func (s *Service) OnImportProgress(fn func(ctx context.Context, im Import)) { s.importProgress = fn }

// record writes a domain event in tx.
func (s *Service) record(ctx context.Context, tx bun.Tx, a org.Actor, typ, subject string, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	_, err = s.events.Record(ctx, tx, events.Event{OrgID: a.OrgID, Type: typ, SubjectID: subject, Actor: a.EventActor(), Payload: b})
	return err
}

// checkOwner makes sure an owner is a member of the org.
func (s *Service) checkOwner(ctx context.Context, orgID, ownerID string) error {
	if ownerID == "" {
		return nil
	}
	if !db.ValidID(ownerID) {
		return invalidField("owner_id", "No member of this organization has this id.")
	}
	if _, err := s.orgs.RoleOf(ctx, orgID, ownerID); err != nil {
		return invalidField("owner_id", "No member of this organization has this id.")
	}
	return nil
}

// change is one field's old and new value in an update event.
type change struct {
	Old any `json:"old"`
	New any `json:"new"`
}

// forWrite loads a record of the actor's org, by id, for a change: absent
// (or another org's) is notFound, then a role without the route's
// permission is 403 (org.Actor.Allowed).
func forWrite[T any](ctx context.Context, tx bun.Tx, a org.Actor, id string, notFound error) (T, error) {
	var v T
	if !db.ValidID(id) || tx.NewSelect().Model(&v).Where("org_id = ?", a.OrgID).Where("id = ?", id).Scan(ctx) != nil {
		return v, notFound
	}
	return v, a.Allowed()
}
