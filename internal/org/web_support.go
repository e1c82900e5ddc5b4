package org

import (
	"context"

	"github.com/kite-crm/kite/internal/identity"
)

// What the browser pages need beyond the JSON API's service functions.

// InvitationPreview is what the invitation page shows before the person
// signs up or signs in: who invites them where, with which role.
type InvitationPreview struct {
	OrgID       string
	OrgName     string
	Email       string
	Role        Role
	InviterName string
}

// PreviewInvitation looks up a pending invitation by its token without
// accepting it; a used, revoked, expired or unknown token is
// errInvitationInvalid.
func (s *Service) PreviewInvitation(ctx context.Context, token string) (InvitationPreview, error) {
	if token == "" {
		return InvitationPreview{}, errInvitationInvalid
	}
	var inv Invitation
	err := s.db.Read.NewSelect().Model(&inv).Where("token_hash = ?", identity.HashToken(token)).Scan(ctx)
	if err != nil || !inv.Pending(s.now().UTC()) {
		return InvitationPreview{}, errInvitationInvalid
	}
	o, err := s.Get(ctx, inv.OrgID)
	if err != nil {
		return InvitationPreview{}, errInvitationInvalid
	}
	p := InvitationPreview{OrgID: o.ID, OrgName: o.Name, Email: inv.Email, Role: inv.Role}
	if u, err := s.identity.UserByID(ctx, inv.InvitedBy); err == nil {
		p.InviterName = u.Name
	}
	return p, nil
}

// IsInvitationInvalid reports whether err says an invitation cannot be
// accepted (used, revoked or expired).
func IsInvitationInvalid(err error) bool { return err == errInvitationInvalid }
