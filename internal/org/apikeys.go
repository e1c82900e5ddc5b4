package org

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/identity"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// APIKeyPrefix starts every API key, so "Bearer kite_…" is recognizably one.
const APIKeyPrefix = "kite_"

// CreatedAPIKey carries the full key, shown only once.
type CreatedAPIKey struct {
	APIKey
	Key string `json:"key" doc:"The secret key; shown only now"`
}

// CreateAPIKey makes a key acting in the actor's org with at most the
// actor's role (default member).
func (s *Service) CreateAPIKey(ctx context.Context, a Actor, name string, role Role) (CreatedAPIKey, error) {
	clean, err := identity.CleanName("name", name, 100)
	if err != nil {
		return CreatedAPIKey{}, identity.Invalid(err)
	}
	if role == "" {
		role = Member
	}
	if !role.Valid() {
		return CreatedAPIKey{}, invalidField("role", "Choose owner, admin, member or viewer.")
	}
	if !a.Role.AtLeast(role) {
		return CreatedAPIKey{}, httpx.NewProblem(http.StatusForbidden, "forbidden", "A key cannot have more power than its creator.")
	}
	key, hash := identity.RandomToken(APIKeyPrefix)
	k := APIKey{ID: db.NewID(), OrgID: a.OrgID, Name: clean, Prefix: key[:len(APIKeyPrefix)+6], KeyHash: hash, Role: role,
		CreatedBy: a.ID(), CreatedAt: s.now().UTC()}
	// In a transaction, so that an Idempotency-Key marks it: a retry after
	// a lost answer must not make a second key.
	if err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(&k).Exec(ctx)
		return err
	}); err != nil {
		return CreatedAPIKey{}, err
	}
	s.Audit(ctx, Entry{OrgID: a.OrgID, Actor: a, Action: "apikey.created", TargetType: "api_key", TargetID: k.ID, Details: map[string]string{"name": clean, "role": string(role)}})
	return CreatedAPIKey{APIKey: k, Key: key}, nil
}

// APIKeys lists an org's live keys, newest first.
func (s *Service) APIKeys(ctx context.Context, orgID string) ([]APIKey, error) {
	out := []APIKey{}
	err := s.db.Read.NewSelect().Model(&out).Where("org_id = ?", orgID).Where("revoked_at IS NULL").
		OrderExpr("id DESC").Limit(500).Scan(ctx)
	return out, err
}

// RevokeAPIKey stops a key working at once.
func (s *Service) RevokeAPIKey(ctx context.Context, a Actor, id string) error {
	exists, err := s.db.Read.NewSelect().Model((*APIKey)(nil)).Where("org_id = ?", a.OrgID).Where("id = ?", id).
		Where("revoked_at IS NULL").Exists(ctx)
	if err != nil {
		return err
	}
	if !exists {
		return errNotFound
	}
	if err := a.Allowed(); err != nil {
		return err
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*APIKey)(nil)).Set("revoked_at = ?", s.now().UTC()).
			Where("org_id = ?", a.OrgID).Where("id = ?", id).Where("revoked_at IS NULL").Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errNotFound // revoked meanwhile
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.Audit(ctx, Entry{OrgID: a.OrgID, Actor: a, Action: "apikey.revoked", TargetType: "api_key", TargetID: id})
	return nil
}

// authenticateAPIKey finds the live key for a presented secret.
func (s *Service) authenticateAPIKey(ctx context.Context, key string) (APIKey, error) {
	var k APIKey
	if !strings.HasPrefix(key, APIKeyPrefix) {
		return k, errBadKey
	}
	err := s.reads.apiKey.Scan(ctx, &k, identity.HashToken(key))
	if err != nil {
		return k, errBadKey
	}
	now := s.now().UTC()
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) > time.Minute {
		s.db.NewUpdate().Model((*APIKey)(nil)).Set("last_used_at = ?", now).Where("id = ?", k.ID).Exec(ctx)
	}
	return k, nil
}

var errBadKey = httpx.NewProblem(http.StatusUnauthorized, "api_key_invalid", "This API key is not valid or was revoked.")
