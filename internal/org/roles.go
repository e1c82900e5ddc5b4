// Package org holds organizations and their members: roles and
// permissions, invitations, API keys, the audit log, and the guard that
// decides who may call which route in which organization.
package org

import "slices"

// Role is a member's level in an organization.
type Role string

// Roles from most to least powerful.
const (
	Owner  Role = "owner"
	Admin  Role = "admin"
	Member Role = "member"
	Viewer Role = "viewer"
)

// Roles lists every role, most powerful first.
var Roles = []Role{Owner, Admin, Member, Viewer}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// rank orders roles: a higher rank may do everything a lower one may.
func (r Role) rank() int { return len(Roles) - slices.Index(Roles, r) }

// AtLeast reports whether r is as powerful as other.
func (r Role) AtLeast(other Role) bool { return r.Valid() && r.rank() >= other.rank() }

// Permission names an action a route needs, "area:verb".
type Permission string

// Permissions used by routes. Later capabilities add theirs to the table.
const (
	OrgRead           Permission = "org:read"
	OrgWrite          Permission = "org:write" // settings
	OrgDelete         Permission = "org:delete"
	MembersRead       Permission = "members:read"
	MembersWrite      Permission = "members:write"
	APIKeysRead       Permission = "apikeys:read"
	APIKeysWrite      Permission = "apikeys:write"
	AuditRead         Permission = "audit:read"
	BillingManage     Permission = "billing:manage"
	CRMRead           Permission = "crm:read"
	CRMWrite          Permission = "crm:write"
	DealsRead         Permission = "deals:read"
	DealsWrite        Permission = "deals:write"
	InboxRead         Permission = "inbox:read"
	InboxWrite        Permission = "inbox:write"
	IntegrationsWrite Permission = "integrations:write"
)

// minimumRole is the permission table: the least powerful role that holds
// each permission. Every role above it holds it too.
var minimumRole = map[Permission]Role{
	OrgRead: Viewer, MembersRead: Viewer, CRMRead: Viewer, DealsRead: Viewer, InboxRead: Viewer,
	CRMWrite: Member, DealsWrite: Member, InboxWrite: Member,
	OrgWrite: Admin, MembersWrite: Admin, APIKeysRead: Admin, APIKeysWrite: Admin, AuditRead: Admin,
	IntegrationsWrite: Admin,
	OrgDelete:         Owner, BillingManage: Owner,
}

// Can reports whether role r holds permission p. Unknown permissions are
// denied.
func (r Role) Can(p Permission) bool {
	min, ok := minimumRole[p]
	return ok && r.AtLeast(min)
}

// MinimumRole is the least powerful role holding p (for documentation and
// tests).
func MinimumRole(p Permission) (Role, bool) {
	r, ok := minimumRole[p]
	return r, ok
}
