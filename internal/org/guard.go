package org

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/kite-crm/kite/internal/identity"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
	"github.com/kite-crm/kite/internal/platform/idempotency"
)

// Actor is who acts in a request: a user (through a session) or an API
// key, in one organization with one role.
type Actor struct {
	UserID    string
	SessionID string
	APIKeyID  string
	Name      string
	OrgID     string
	Role      Role
	Meta      identity.ClientMeta
	// System names a part of Kite acting on its own, not for a person
	// (a channel creating the contact of a first message).
	System string
	// denied is a permission the role lacks on a NeedRecord route: the
	// service first finds the record in this org (404 when absent), then
	// answers 403 through Allowed.
	denied Permission
}

// Allowed is checked by services on NeedRecord routes after the record was
// found in the actor's org: another org's record is 404 for every role, a
// record of one's own org is 403 for a role without the permission.
func (a Actor) Allowed() error {
	if a.denied != "" {
		return errForbidden
	}
	return nil
}

// ID identifies the actor in records: the user id, or "apikey:<id>".
func (a Actor) ID() string {
	if a.System != "" {
		return "system:" + a.System
	}
	if a.APIKeyID != "" {
		return "apikey:" + a.APIKeyID
	}
	return a.UserID
}

// EventActor is the actor as domain events name it.
func (a Actor) EventActor() string {
	if a.System != "" {
		return "system:" + a.System
	}
	if a.APIKeyID != "" {
		return "apikey:" + a.APIKeyID
	}
	return "user:" + a.UserID
}

// SystemActor is Kite itself acting in an org, named by what acts.
func SystemActor(orgID, system string) Actor {
	return Actor{OrgID: orgID, System: system, Name: system}
}

type actorKey struct{}

// WithActor stores the actor in a context.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor the guard authorized.
// ActorOf is the actor the guard resolved for this request; the zero
// Actor on a route without a guard.
func ActorOf(ctx context.Context) Actor {
	a, _ := ActorFrom(ctx)
	return a
}

func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

func userActor(ctx context.Context, s *Service, userID string) Actor {
	a := Actor{UserID: userID}
	if u, err := s.identity.UserByID(ctx, userID); err == nil {
		a.Name = u.Name
	}
	return a
}

// OrgHeader names the organization a request acts in.
const OrgHeader = "X-Org-ID"

var (
	errOrgRequired = httpx.NewProblem(http.StatusBadRequest, "org_required",
		"You belong to several organizations: name one in the X-Org-ID header.")
	errNoOrg = httpx.NewProblem(http.StatusBadRequest, "org_required",
		"You do not belong to any organization yet: create one or accept an invitation.")
)

// Resolve authenticates r and finds the organization it acts in: an API
// key's own org (it ignores the header; a path naming another org is "not
// found"); else orgID when given, else the user's only org. An org the
// caller does not belong to is "not found".
func (s *Service) Resolve(r *http.Request, orgID string, fromPath bool) (Actor, error) {
	ctx := r.Context()
	meta := identity.Meta(r)
	if token := identity.BearerToken(r.Header.Get("Authorization")); strings.HasPrefix(token, APIKeyPrefix) {
		k, err := s.authenticateAPIKey(ctx, token)
		if err != nil {
			return Actor{}, err
		}
		if fromPath && orgID != k.OrgID {
			return Actor{}, errNotFound
		}
		return Actor{APIKeyID: k.ID, Name: "API key " + k.Name, OrgID: k.OrgID, Role: k.Role, Meta: meta}, nil
	}
	p, err := s.identity.AuthenticateRequest(r)
	if err != nil {
		return Actor{}, err
	}
	a := Actor{UserID: p.User.ID, SessionID: p.Session.ID, Name: p.User.Name, Meta: meta}
	if orgID == "" {
		var orgs []Membership
		if err := s.reads.soleOrgs.ScanAll(ctx, &orgs, p.User.ID); err != nil {
			return Actor{}, err
		}
		switch len(orgs) {
		case 0:
			return Actor{}, errNoOrg
		case 1:
			a.OrgID, a.Role = orgs[0].OrgID, orgs[0].Role
			return a, nil
		}
		return Actor{}, errOrgRequired
	}
	if !db.ValidID(orgID) {
		return Actor{}, errNotFound
	}
	role, err := s.RoleOf(ctx, orgID, p.User.ID)
	if err != nil {
		return Actor{}, errNotFound
	}
	a.OrgID, a.Role = orgID, role
	return a, nil
}

// Guard builds huma middleware that authorizes routes.
type Guard struct {
	api huma.API
	s   *Service
}

// Guard returns the route guard for api.
func (s *Service) Guard(api huma.API) *Guard { return &Guard{api: api, s: s} }

// Need authorizes an org-scoped route: the org comes from X-Org-ID (or the
// API key, or the user's only org), and the role must hold p.
func (g *Guard) Need(p Permission) huma.Middlewares {
	return huma.Middlewares{g.middleware(p, false, headerOrg, false)}
}

// NeedRecord authorizes a route that acts on one record by ID in the
// X-Org-ID org: like Need, but a role without p is refused only after the
// service found the record (it must call Actor.Allowed), so that another
// org's record is "not found" for every role.
func (g *Guard) NeedRecord(p Permission) huma.Middlewares {
	return huma.Middlewares{g.middleware(p, false, headerOrg, true)}
}

// NeedPath authorizes a route whose organization is the {param} path value.
func (g *Guard) NeedPath(p Permission, param string) huma.Middlewares {
	return huma.Middlewares{g.middleware(p, true, func(ctx huma.Context) string {
		if v := ctx.Param(param); v != "" {
			return v
		}
		return "-" // never a valid org id
	}, false)}
}

// middleware resolves the actor in the org orgOf names; late defers a
// missing permission to the service (NeedRecord).
func (g *Guard) middleware(p Permission, fromPath bool, orgOf func(huma.Context) string, late bool) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		r := httpx.Request(ctx)
		a, err := g.s.Resolve(r, orgOf(ctx), fromPath)
		if err != nil {
			httpx.WriteHumaError(g.api, ctx, err)
			return
		}
		if !a.Role.Can(p) {
			if !late {
				httpx.WriteHumaError(g.api, ctx, errForbidden)
				return
			}
			a.denied = p
		}
		g.run(ctx, a, next)
	}
}

// run hands the request on with its actor. A keyed write runs through the
// idempotency store, scoped to the org and the actor, so a retry gets the
// first answer instead of writing twice.
func (g *Guard) run(ctx huma.Context, a Actor, next func(huma.Context)) {
	actx := WithActor(ctx.Context(), a)
	if ctx.Header(idempotency.Header) == "" || !idempotency.IsWrite(ctx.Method()) {
		next(huma.WithContext(ctx, actx))
		return
	}
	r, w := humago.Unwrap(ctx)
	g.s.idem.Serve(w, r.WithContext(actx), a.OrgID+" "+a.ID(), func(w http.ResponseWriter, r *http.Request) {
		next(humago.NewContext(ctx.Operation(), r, w))
	})
}

func headerOrg(ctx huma.Context) string { return ctx.Header(OrgHeader) }
