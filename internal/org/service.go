package org

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/identity"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/events"
	"github.com/kite-crm/kite/internal/platform/httpx"
	"github.com/kite-crm/kite/internal/platform/idempotency"
	"github.com/kite-crm/kite/internal/platform/jobs"
)

// Service manages organizations, members, invitations, API keys and the
// audit log. It is the only entry point other packages use.
type Service struct {
	db       *db.DB
	identity *identity.Service
	events   *events.Bus
	log      *slog.Logger
	now      func() time.Time
	// onMemberRemoved lets the app cut a removed member's live connections.
	onMemberRemoved func(orgID, userID string)
	// onCreated are what other capabilities add to a new organization,
	// inside its creation transaction (the default pipeline).
	onCreated []func(ctx context.Context, tx bun.Tx, o Organization) error
	// idem replays keyed API writes (the Idempotency-Key header) per actor.
	idem *idempotency.Store
	// reads are the lookups that authorise every request (db.Prepared).
	reads hotReads
}

type hotReads struct {
	forUser, soleOrgs, roleOf, apiKey *db.Prepared
}

func prepareHotReads(d *db.DB) hotReads {
	return hotReads{
		forUser: d.PrepareRead(func(q *bun.SelectQuery, p *db.Params) *bun.SelectQuery {
			return q.TableExpr("memberships AS m").Join("JOIN organizations AS o ON o.id = m.org_id").
				ColumnExpr("o.id, o.name, m.role").Where("m.user_id = ?", p.Next()).OrderExpr("o.name, o.id").Limit(500)
		}),
		// A request without X-Org-ID needs only whether the user has one
		// org: no names, no order, and two rows at most.
		soleOrgs: d.PrepareRead(func(q *bun.SelectQuery, p *db.Params) *bun.SelectQuery {
			return q.Model((*Membership)(nil)).Column("org_id", "role").Where("user_id = ?", p.Next()).Limit(2)
		}),
		roleOf: d.PrepareRead(func(q *bun.SelectQuery, p *db.Params) *bun.SelectQuery {
			return q.Model((*Membership)(nil)).Column("role").Where("org_id = ?", p.Next()).Where("user_id = ?", p.Next())
		}),
		apiKey: d.PrepareRead(func(q *bun.SelectQuery, p *db.Params) *bun.SelectQuery {
			return q.Model((*APIKey)(nil)).Where("key_hash = ?", p.Next()).Where("revoked_at IS NULL")
		}),
	}
}

// NewService builds the service and installs its hooks into identity.
func NewService(d *db.DB, id *identity.Service, bus *events.Bus, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{db: d, identity: id, events: bus, log: log, now: time.Now, onMemberRemoved: func(string, string) {},
		idem: idempotency.New(d, log), reads: prepareHotReads(d)}
	id.SetHooks(identity.Hooks{SignedUp: s.signedUp, Audit: s.auditUser})
	return s
}

// Register adds org's jobs: pruning expired idempotency keys.
func (s *Service) Register(reg *jobs.Registry) { s.idem.Register(reg) }

// OnCreated adds fn to every organization's creation, in its transaction:
// an error aborts the creation.
func (s *Service) OnCreated(fn func(ctx context.Context, tx bun.Tx, o Organization) error) {
	s.onCreated = append(s.onCreated, fn)
}

// OnMemberRemoved registers what to do when a member leaves an org.
func (s *Service) OnMemberRemoved(fn func(orgID, userID string)) { s.onMemberRemoved = fn }

var (
	errLastOwner = httpx.NewProblem(http.StatusConflict, "last_owner", "An organization needs at least one owner: make someone else owner first.")
	errNotFound  = httpx.NewProblem(http.StatusNotFound, "not_found", "No such record.")
)

// Create makes an organization with owner as its owner, inside tx, and
// records organization.created (later capabilities react to it, e.g. the
// default pipeline).
func (s *Service) Create(ctx context.Context, tx bun.Tx, name, ownerID string) (Organization, error) {
	clean, err := identity.CleanName("name", name, 100)
	if err != nil {
		return Organization{}, identity.Invalid(err)
	}
	now := s.now().UTC()
	o := Organization{ID: db.NewID(), Name: clean, DefaultCurrency: "USD", Timezone: "UTC", CreatedAt: now, UpdatedAt: now}
	if _, err := tx.NewInsert().Model(&o).Exec(ctx); err != nil {
		return o, err
	}
	if _, err := tx.NewInsert().Model(&Membership{OrgID: o.ID, UserID: ownerID, Role: Owner, CreatedAt: now}).Exec(ctx); err != nil {
		return o, err
	}
	_, err = s.events.Record(ctx, tx, events.Event{OrgID: o.ID, Type: "organization.created", SubjectID: o.ID,
		Actor: "user:" + ownerID, Payload: mustJSON(map[string]string{"name": o.Name})})
	for _, fn := range s.onCreated {
		if err != nil {
			break
		}
		err = fn(ctx, tx, o)
	}
	return o, err
}

// CreateForUser creates an organization in a transaction of its own.
func (s *Service) CreateForUser(ctx context.Context, name, userID string, meta identity.ClientMeta) (Organization, error) {
	var o Organization
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		o, err = s.Create(ctx, tx, name, userID)
		return err
	})
	if err == nil {
		s.Audit(ctx, Entry{OrgID: o.ID, Actor: userActor(ctx, s, userID), Action: "org.created", TargetType: "organization", TargetID: o.ID, Meta: meta})
	}
	return o, err
}

// signedUp is identity's sign-up hook: it creates the named organization
// and accepts an invitation, in the sign-up transaction.
func (s *Service) signedUp(ctx context.Context, tx bun.Tx, u identity.User, orgName, invitation string) (any, error) {
	var created any
	if strings.TrimSpace(orgName) != "" {
		o, err := s.Create(ctx, tx, orgName, u.ID)
		if err != nil {
			return nil, err
		}
		created = o
	}
	if invitation != "" {
		if _, err := s.acceptInvitation(ctx, tx, invitation, u.ID); err != nil {
			return nil, err
		}
	}
	return created, nil
}

// OrgWithRole is an organization as one member sees it.
type OrgWithRole struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role Role   `json:"role"`
}

// ForUser lists the organizations a user belongs to, by name.
func (s *Service) ForUser(ctx context.Context, userID string) ([]OrgWithRole, error) {
	out := []OrgWithRole{}
	err := s.reads.forUser.ScanAll(ctx, &out, userID)
	return out, err
}

// Get returns an organization.
func (s *Service) Get(ctx context.Context, orgID string) (Organization, error) {
	var o Organization
	err := s.db.Read.NewSelect().Model(&o).Where("id = ?", orgID).Scan(ctx)
	return o, db.MapError(err)
}

// RoleOf returns a user's role in an org; not a member is ErrNotFound.
func (s *Service) RoleOf(ctx context.Context, orgID, userID string) (Role, error) {
	var m Membership
	err := s.reads.roleOf.Scan(ctx, &m, orgID, userID)
	return m.Role, db.MapError(err)
}

// Settings is a partial update of an organization.
type Settings struct {
	Name            *string `json:"name,omitempty" maxLength:"200"`
	DefaultCurrency *string `json:"default_currency,omitempty" maxLength:"3" doc:"ISO 4217 code"`
	Timezone        *string `json:"timezone,omitempty" maxLength:"64" doc:"IANA time zone, e.g. Europe/Berlin"`
}

// Update changes an organization's settings.
func (s *Service) Update(ctx context.Context, a Actor, in Settings) (Organization, error) {
	changed := map[string]string{} // by column
	if in.Name != nil {
		name, err := identity.CleanName("name", *in.Name, 100)
		if err != nil {
			return Organization{}, identity.Invalid(err)
		}
		changed["name"] = name
	}
	if in.DefaultCurrency != nil {
		cur := strings.ToUpper(strings.TrimSpace(*in.DefaultCurrency))
		if !ValidCurrency(cur) {
			return Organization{}, invalidField("default_currency", "Use an ISO 4217 currency code such as USD or EUR.")
		}
		changed["default_currency"] = cur
	}
	if in.Timezone != nil {
		tz := strings.TrimSpace(*in.Timezone)
		if _, err := time.LoadLocation(tz); err != nil || tz == "" || tz == "Local" {
			return Organization{}, invalidField("timezone", "Use an IANA time zone such as Europe/Berlin.")
		}
		changed["timezone"] = tz
	}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewUpdate().Model((*Organization)(nil)).Where("id = ?", a.OrgID).Set("updated_at = ?", s.now().UTC())
		for col, v := range changed {
			q.Set(col+" = ?", v)
		}
		_, err := q.Exec(ctx)
		return err
	})
	if err != nil {
		return Organization{}, err
	}
	s.Audit(ctx, Entry{OrgID: a.OrgID, Actor: a, Action: "org.settings_changed", TargetType: "organization", TargetID: a.OrgID, Details: changed})
	return s.Get(ctx, a.OrgID)
}

func invalidField(field, msg string) error {
	return identity.Invalid(&identity.FieldError{Field: field, Message: msg})
}

func isNotFound(err error) bool { return errors.Is(err, db.ErrNotFound) }
