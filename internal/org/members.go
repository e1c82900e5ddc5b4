package org

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/identity"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// InvitationTTL is how long an invitation link works.
const InvitationTTL = 7 * 24 * time.Hour

// MemberView is a member as the members list shows them.
type MemberView struct {
	UserID   string    `json:"user_id"`
	Email    string    `json:"email"`
	Name     string    `json:"name"`
	Role     Role      `json:"role"`
	JoinedAt time.Time `json:"joined_at"`
}

// Members lists an organization's members by name.
func (s *Service) Members(ctx context.Context, orgID string) ([]MemberView, error) {
	out := []MemberView{}
	err := s.db.Read.NewSelect().TableExpr("memberships AS m").Join("JOIN users AS u ON u.id = m.user_id").
		ColumnExpr("m.user_id, COALESCE(u.email, '') AS email, u.name, m.role, m.created_at AS joined_at").
		Where("m.org_id = ?", orgID).OrderExpr("u.name, m.user_id").Limit(1000).Scan(ctx, &out)
	return out, err
}

// AddResult says whether adding by email made a member or an invitation.
type AddResult struct {
	Status     string      `json:"status" enum:"active,invited"`
	Member     *MemberView `json:"member,omitempty"`
	Invitation *Invitation `json:"invitation,omitempty"`
}

// AddMember adds the user with this email, or invites the address when no
// account has it. Only an owner may add another owner.
func (s *Service) AddMember(ctx context.Context, a Actor, email string, role Role) (AddResult, error) {
	if err := s.checkAssignable(a, role); err != nil {
		return AddResult{}, err
	}
	email, err := identity.NormalizeEmail(email)
	if err != nil {
		return AddResult{}, identity.Invalid(err)
	}
	u, err := s.identity.UserByEmail(ctx, email)
	switch {
	case err == nil:
		// In a transaction, like every keyed write: Idempotency-Key marks
		// its key committed in it (db.WithLastInTx).
		err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.NewInsert().Model(&Membership{OrgID: a.OrgID, UserID: u.ID, Role: role, CreatedAt: s.now().UTC()}).Exec(ctx)
			return err
		})
		if errors.Is(db.MapError(err), db.ErrConflict) {
			return AddResult{}, httpx.NewProblem(http.StatusConflict, "already_member", "This person is already a member.")
		}
		if err != nil {
			return AddResult{}, err
		}
		s.Audit(ctx, Entry{OrgID: a.OrgID, Actor: a, Action: "member.added", TargetType: "user", TargetID: u.ID, Details: map[string]string{"role": string(role), "email": email}})
		m := MemberView{UserID: u.ID, Email: u.Email, Name: u.Name, Role: role, JoinedAt: s.now().UTC()}
		return AddResult{Status: "active", Member: &m}, nil
	case isNotFound(err):
		inv, err := s.invite(ctx, a, email, role)
		return AddResult{Status: "invited", Invitation: &inv}, err
	}
	return AddResult{}, err
}

// checkAssignable enforces that only owners hand out (or take away) the
// owner role and that the role exists.
func (s *Service) checkAssignable(a Actor, role Role) error {
	if !role.Valid() {
		return invalidField("role", "Choose owner, admin, member or viewer.")
	}
	if role == Owner && a.Role != Owner {
		return httpx.NewProblem(http.StatusForbidden, "forbidden", "Only an owner can make someone an owner.")
	}
	return nil
}

func (s *Service) invite(ctx context.Context, a Actor, email string, role Role) (Invitation, error) {
	now := s.now().UTC()
	token, hash := identity.RandomToken("")
	inv := Invitation{ID: db.NewID(), OrgID: a.OrgID, Email: email, Role: role, TokenHash: hash, InvitedBy: a.ID(),
		CreatedAt: now, ExpiresAt: now.Add(InvitationTTL)}
	o, err := s.Get(ctx, a.OrgID)
	if err != nil {
		return inv, err
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// A new invitation replaces an earlier pending one for the address.
		if _, err := tx.NewUpdate().Model((*Invitation)(nil)).Set("revoked_at = ?", now).Where("org_id = ?", a.OrgID).
			Where("email = ?", email).Where("accepted_at IS NULL").Where("revoked_at IS NULL").Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(&inv).Exec(ctx); err != nil {
			return err
		}
		return s.mailInvitation(ctx, tx, inv, o, a, token)
	})
	if err == nil {
		s.Audit(ctx, Entry{OrgID: a.OrgID, Actor: a, Action: "member.invited", TargetType: "invitation", TargetID: inv.ID, Details: map[string]string{"email": email, "role": string(role)}})
	}
	return inv, err
}

func (s *Service) mailInvitation(ctx context.Context, tx bun.Tx, inv Invitation, o Organization, a Actor, token string) error {
	link := s.identity.Link("/invitations/accept", url.Values{"token": {token}})
	return s.identity.SendMail(ctx, tx, inv.Email, "You are invited to "+o.Name+" on Kite", fmt.Sprintf(
		"Hello,\n\n%s invited you to join %s on Kite as %s.\n\nAccept the invitation (the link works for 7 days):\n\n%s\n",
		a.Name, o.Name, inv.Role, link))
}

// Invitations lists an organization's pending invitations.
func (s *Service) Invitations(ctx context.Context, orgID string) ([]Invitation, error) {
	out := []Invitation{}
	err := s.db.Read.NewSelect().Model(&out).Where("org_id = ?", orgID).Where("accepted_at IS NULL").
		Where("revoked_at IS NULL").Where("expires_at > ?", s.now().UTC()).OrderExpr("created_at DESC").Limit(500).Scan(ctx)
	return out, err
}

func (s *Service) pendingInvitation(ctx context.Context, orgID, id string) (Invitation, error) {
	var inv Invitation
	err := s.db.Read.NewSelect().Model(&inv).Where("org_id = ?", orgID).Where("id = ?", id).Scan(ctx)
	if err != nil || !inv.Pending(s.now().UTC()) {
		return inv, errNotFound
	}
	return inv, nil
}

// ResendInvitation mails a fresh link (the old one stops working).
func (s *Service) ResendInvitation(ctx context.Context, a Actor, id string) (Invitation, error) {
	inv, err := s.pendingInvitation(ctx, a.OrgID, id)
	if err != nil {
		return inv, err
	}
	return s.invite(ctx, a, inv.Email, inv.Role)
}

// RevokeInvitation cancels a pending invitation.
func (s *Service) RevokeInvitation(ctx context.Context, a Actor, id string) error {
	if _, err := s.pendingInvitation(ctx, a.OrgID, id); err != nil {
		return err
	}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewUpdate().Model((*Invitation)(nil)).Set("revoked_at = ?", s.now().UTC()).
			Where("org_id = ?", a.OrgID).Where("id = ?", id).Exec(ctx)
		return err
	})
	if err == nil {
		s.Audit(ctx, Entry{OrgID: a.OrgID, Actor: a, Action: "invitation.revoked", TargetType: "invitation", TargetID: id})
	}
	return err
}

var errInvitationInvalid = httpx.NewProblem(http.StatusBadRequest, "invitation_invalid",
	"This invitation is not valid any more: it was used, revoked or is older than 7 days. Ask for a new one.")

// AcceptInvitation makes the signed-in user a member of the inviting org.
func (s *Service) AcceptInvitation(ctx context.Context, token, userID string, meta identity.ClientMeta) (Organization, error) {
	var o Organization
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		o, err = s.acceptInvitation(ctx, tx, token, userID)
		return err
	})
	if err == nil {
		s.Audit(ctx, Entry{OrgID: o.ID, Actor: userActor(ctx, s, userID), Action: "member.joined", TargetType: "user", TargetID: userID, Meta: meta})
	}
	return o, err
}

func (s *Service) acceptInvitation(ctx context.Context, tx bun.Tx, token, userID string) (Organization, error) {
	now := s.now().UTC()
	var inv Invitation
	if err := tx.NewSelect().Model(&inv).Where("token_hash = ?", identity.HashToken(token)).Scan(ctx); err != nil || !inv.Pending(now) {
		return Organization{}, errInvitationInvalid
	}
	res, err := tx.NewUpdate().Model((*Invitation)(nil)).Set("accepted_at = ?", now).Where("id = ?", inv.ID).
		Where("accepted_at IS NULL").Exec(ctx)
	if err != nil {
		return Organization{}, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return Organization{}, errInvitationInvalid
	}
	_, err = tx.NewInsert().Model(&Membership{OrgID: inv.OrgID, UserID: userID, Role: inv.Role, CreatedAt: now}).
		On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return Organization{}, err
	}
	var o Organization
	err = tx.NewSelect().Model(&o).Where("id = ?", inv.OrgID).Scan(ctx)
	return o, err
}

// ChangeRole sets a member's role. Only owners touch owners; the last
// owner cannot be demoted.
func (s *Service) ChangeRole(ctx context.Context, a Actor, userID string, role Role) (MemberView, error) {
	if err := s.checkAssignable(a, role); err != nil {
		return MemberView{}, err
	}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		current, err := memberRole(ctx, tx, a.OrgID, userID)
		if err != nil {
			return err
		}
		if current == Owner && a.Role != Owner {
			return httpx.NewProblem(http.StatusForbidden, "forbidden", "Only an owner can change another owner's role.")
		}
		if current == Owner && role != Owner {
			if err := ensureAnotherOwner(ctx, tx, a.OrgID, userID); err != nil {
				return err
			}
		}
		_, err = tx.NewUpdate().Model((*Membership)(nil)).Set("role = ?", role).Where("org_id = ?", a.OrgID).Where("user_id = ?", userID).Exec(ctx)
		return err
	})
	if err != nil {
		return MemberView{}, err
	}
	s.Audit(ctx, Entry{OrgID: a.OrgID, Actor: a, Action: "member.role_changed", TargetType: "user", TargetID: userID, Details: map[string]string{"role": string(role)}})
	return s.member(ctx, a.OrgID, userID)
}

// RemoveMember removes a member (or lets a member leave). The last owner
// cannot leave. The removed member loses access at once.
func (s *Service) RemoveMember(ctx context.Context, a Actor, userID string) error {
	leaving := userID == a.UserID
	if !leaving && !a.Role.Can(MembersWrite) {
		return httpx.NewProblem(http.StatusForbidden, "forbidden", "Your role cannot remove members.")
	}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		current, err := memberRole(ctx, tx, a.OrgID, userID)
		if err != nil {
			return err
		}
		if current == Owner {
			if !leaving && a.Role != Owner {
				return httpx.NewProblem(http.StatusForbidden, "forbidden", "Only an owner can remove an owner.")
			}
			if err := ensureAnotherOwner(ctx, tx, a.OrgID, userID); err != nil {
				return err
			}
		}
		_, err = tx.NewDelete().Model((*Membership)(nil)).Where("org_id = ?", a.OrgID).Where("user_id = ?", userID).Exec(ctx)
		return err
	})
	if err != nil {
		return err
	}
	action := "member.removed"
	if leaving {
		action = "member.left"
	}
	s.Audit(ctx, Entry{OrgID: a.OrgID, Actor: a, Action: action, TargetType: "user", TargetID: userID})
	s.onMemberRemoved(a.OrgID, userID)
	return nil
}

func memberRole(ctx context.Context, tx bun.Tx, orgID, userID string) (Role, error) {
	var m Membership
	if err := tx.NewSelect().Model(&m).Where("org_id = ?", orgID).Where("user_id = ?", userID).Scan(ctx); err != nil {
		return "", errNotFound
	}
	return m.Role, nil
}

// ensureAnotherOwner refuses when userID is the only owner.
func ensureAnotherOwner(ctx context.Context, tx bun.Tx, orgID, userID string) error {
	n, err := tx.NewSelect().Model((*Membership)(nil)).Where("org_id = ?", orgID).Where("role = ?", Owner).
		Where("user_id <> ?", userID).Count(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return errLastOwner
	}
	return nil
}

func (s *Service) member(ctx context.Context, orgID, userID string) (MemberView, error) {
	var m MemberView
	err := s.db.Read.NewSelect().TableExpr("memberships AS m").Join("JOIN users AS u ON u.id = m.user_id").
		ColumnExpr("m.user_id, COALESCE(u.email, '') AS email, u.name, m.role, m.created_at AS joined_at").
		Where("m.org_id = ?", orgID).Where("m.user_id = ?", userID).Scan(ctx, &m)
	if err != nil {
		return m, errNotFound
	}
	return m, nil
}
