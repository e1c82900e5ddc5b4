package org

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/kite-crm/kite/internal/identity"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// Entry is one audit record to write.
type Entry struct {
	OrgID      string
	Actor      Actor
	Action     string
	TargetType string
	TargetID   string
	Meta       identity.ClientMeta // defaults to the actor's request
	Details    any
}

// Audit writes an entry. Failing to audit is logged, never hidden, and does
// not undo the action it describes.
func (s *Service) Audit(ctx context.Context, e Entry) {
	meta := e.Meta
	if meta.IP == "" {
		meta = e.Actor.Meta
	}
	details := "{}"
	if e.Details != nil {
		if b, err := json.Marshal(e.Details); err == nil {
			details = string(b)
		}
	}
	row := AuditEntry{ID: db.NewID(), OrgID: e.OrgID, ActorID: e.Actor.ID(), ActorName: e.Actor.Name, Action: e.Action,
		TargetType: e.TargetType, TargetID: e.TargetID, IP: meta.IP, UserAgent: truncate(meta.UserAgent, 300),
		DetailsText: details, CreatedAt: s.now().UTC()}
	if _, err := s.db.NewInsert().Model(&row).Exec(context.WithoutCancel(ctx)); err != nil {
		s.log.Error("audit entry lost", "action", e.Action, "org", e.OrgID, "err", err)
	}
}

// auditUser is identity's audit hook: a user's security event is recorded
// in every organization the user belongs to.
func (s *Service) auditUser(ctx context.Context, userID, action string, meta identity.ClientMeta, details map[string]any) {
	orgs, err := s.ForUser(ctx, userID)
	if err != nil {
		s.log.Error("audit entry lost", "action", action, "user", userID, "err", err)
		return
	}
	actor := userActor(ctx, s, userID)
	actor.Meta = meta
	for _, o := range orgs {
		s.Audit(ctx, Entry{OrgID: o.ID, Actor: actor, Action: action, TargetType: "user", TargetID: userID, Meta: meta, Details: details})
	}
}

// AuditFilter narrows the audit log.
type AuditFilter struct {
	Action  string
	ActorID string
	Cursor  string
	Limit   int
}

// AuditLog lists entries newest first with keyset pagination.
func (s *Service) AuditLog(ctx context.Context, orgID string, f AuditFilter) ([]AuditEntry, string, error) {
	limit := httpx.Limit(f.Limit)
	q := s.db.Read.NewSelect().Model((*AuditEntry)(nil)).Where("org_id = ?", orgID).OrderExpr("id DESC").Limit(int64(limit + 1))
	if f.Action != "" {
		q.Where("action = ?", f.Action)
	}
	if f.ActorID != "" {
		q.Where("actor_id = ?", f.ActorID)
	}
	var after struct {
		ID string `json:"id"`
	}
	if ok, err := httpx.DecodeCursor(f.Cursor, &after); err != nil {
		return nil, "", err
	} else if ok {
		q.Where("id < ?", after.ID)
	}
	out := []AuditEntry{}
	if err := q.Scan(ctx, &out); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = httpx.EncodeCursor(struct {
			ID string `json:"id"`
		}{out[limit-1].ID})
	}
	for i := range out {
		out[i].Details = json.RawMessage(out[i].DetailsText)
	}
	return out, next, nil
}

var errForbidden = httpx.NewProblem(http.StatusForbidden, "forbidden", "Your role does not allow this.")

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
