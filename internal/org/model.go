package org

import (
	"encoding/json"
	"time"

	"github.com/uptrace/bun"
)

// Organization is a tenant: everything org-owned belongs to exactly one.
type Organization struct {
	bun.BaseModel   `bun:"table:organizations"`
	ID              string    `bun:"id,pk" json:"id"`
	Name            string    `bun:"name" json:"name"`
	DefaultCurrency string    `bun:"default_currency" json:"default_currency"`
	Timezone        string    `bun:"timezone" json:"timezone"`
	CreatedAt       time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt       time.Time `bun:"updated_at" json:"updated_at"`
}

// Membership ties a user to an organization with a role.
type Membership struct {
	bun.BaseModel `bun:"table:memberships"`
	OrgID         string    `bun:"org_id,pk"`
	UserID        string    `bun:"user_id,pk"`
	Role          Role      `bun:"role"`
	CreatedAt     time.Time `bun:"created_at"`
}

// Invitation asks someone by email to join an organization.
type Invitation struct {
	bun.BaseModel `bun:"table:invitations"`
	ID            string     `bun:"id,pk" json:"id"`
	OrgID         string     `bun:"org_id" json:"-"`
	Email         string     `bun:"email" json:"email"`
	Role          Role       `bun:"role" json:"role"`
	TokenHash     string     `bun:"token_hash" json:"-"`
	InvitedBy     string     `bun:"invited_by" json:"invited_by"`
	CreatedAt     time.Time  `bun:"created_at" json:"created_at"`
	ExpiresAt     time.Time  `bun:"expires_at" json:"expires_at"`
	AcceptedAt    *time.Time `bun:"accepted_at" json:"-"`
	RevokedAt     *time.Time `bun:"revoked_at" json:"-"`
}

// Pending reports whether the invitation can still be accepted.
func (i Invitation) Pending(now time.Time) bool {
	return i.AcceptedAt == nil && i.RevokedAt == nil && now.Before(i.ExpiresAt)
}

// APIKey is an organization credential for programs; only its hash is kept.
type APIKey struct {
	bun.BaseModel `bun:"table:api_keys"`
	ID            string     `bun:"id,pk" json:"id"`
	OrgID         string     `bun:"org_id" json:"-"`
	Name          string     `bun:"name" json:"name"`
	Prefix        string     `bun:"prefix" json:"prefix" doc:"First characters of the key, to recognize it"`
	KeyHash       string     `bun:"key_hash" json:"-"`
	Role          Role       `bun:"role" json:"role"`
	CreatedBy     string     `bun:"created_by" json:"created_by"`
	CreatedAt     time.Time  `bun:"created_at" json:"created_at"`
	LastUsedAt    *time.Time `bun:"last_used_at" json:"last_used_at"`
	RevokedAt     *time.Time `bun:"revoked_at" json:"-"`
}

// AuditEntry records who did what, when and from where.
type AuditEntry struct {
	bun.BaseModel `bun:"table:audit_log"`
	ID            string          `bun:"id,pk" json:"id"`
	OrgID         string          `bun:"org_id" json:"-"`
	ActorID       string          `bun:"actor_id" json:"actor_id"`
	ActorName     string          `bun:"actor_name" json:"actor_name"`
	Action        string          `bun:"action" json:"action"`
	TargetType    string          `bun:"target_type" json:"target_type"`
	TargetID      string          `bun:"target_id" json:"target_id"`
	IP            string          `bun:"ip" json:"ip"`
	UserAgent     string          `bun:"user_agent" json:"user_agent"`
	DetailsText   string          `bun:"details" json:"-"`
	Details       json.RawMessage `bun:"-" json:"details"`
	CreatedAt     time.Time       `bun:"created_at" json:"created_at"`
}
