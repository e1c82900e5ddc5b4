package org

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kite-crm/kite/internal/identity"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

type memberPath struct {
	ID     string `path:"id" maxLength:"64"`
	UserID string `path:"userId" maxLength:"64"`
}

type invitationPath struct {
	ID           string `path:"id" maxLength:"64"`
	InvitationID string `path:"invitationId" maxLength:"64"`
}

// Me is the signed-in user with their organizations.
type Me struct {
	User          identity.User `json:"user"`
	MFAEnabled    bool          `json:"mfa_enabled"`
	Organizations []OrgWithRole `json:"organizations"`
}

// RegisterAPI adds /me, /organizations, /invitations, /api-keys and /audit-log.
func (s *Service) RegisterAPI(api huma.API) {
	g := s.Guard(api)
	user := huma.Middlewares{s.identity.RequireUser(api)}
	orgTag, meTag, keyTag := []string{"Organizations"}, []string{"Account"}, []string{"API keys"}

	huma.Register(api, huma.Operation{OperationID: "get-me", Method: http.MethodGet, Path: "/me",
		Summary: "The signed-in user and their organizations", Tags: meTag, Middlewares: user},
		func(ctx context.Context, _ *struct{}) (*struct{ Body Me }, error) {
			p, _ := identity.PrincipalFrom(ctx)
			orgs, err := s.ForUser(ctx, p.User.ID)
			return &struct{ Body Me }{Me{User: p.User, MFAEnabled: p.User.MFAEnabled(), Organizations: orgs}}, err
		})

	huma.Register(api, huma.Operation{OperationID: "update-me", Method: http.MethodPatch, Path: "/me",
		Summary: "Change your profile", Tags: meTag, Middlewares: user},
		func(ctx context.Context, in *struct {
			Body struct {
				Name string `json:"name" maxLength:"200"`
			}
		}) (*struct{ Body identity.User }, error) {
			p, _ := identity.PrincipalFrom(ctx)
			u, err := s.identity.UpdateProfile(ctx, p.User.ID, in.Body.Name)
			return &struct{ Body identity.User }{u}, err
		})

	huma.Register(api, huma.Operation{OperationID: "change-password", Method: http.MethodPost, Path: "/me/password",
		Summary: "Change your password", Description: "Asks for the current password; ends your other sessions.",
		DefaultStatus: http.StatusNoContent, Tags: meTag, Middlewares: user},
		func(ctx context.Context, in *struct {
			Body struct {
				CurrentPassword string `json:"current_password" maxLength:"1024"`
				Password        string `json:"password" maxLength:"1024"`
			}
		}) (*struct{}, error) {
			p, _ := identity.PrincipalFrom(ctx)
			return nil, s.identity.ChangePassword(ctx, p.User.ID, p.Session.ID, in.Body.CurrentPassword, in.Body.Password, metaOf(ctx))
		})

	huma.Register(api, huma.Operation{OperationID: "list-organizations", Method: http.MethodGet, Path: "/organizations",
		Summary: "Your organizations with your role", Tags: orgTag, Middlewares: user},
		func(ctx context.Context, _ *struct{}) (*struct{ Body httpx.Page[OrgWithRole] }, error) {
			p, _ := identity.PrincipalFrom(ctx)
			orgs, err := s.ForUser(ctx, p.User.ID)
			return &struct{ Body httpx.Page[OrgWithRole] }{httpx.Page[OrgWithRole]{Items: orgs}}, err
		})

	huma.Register(api, huma.Operation{OperationID: "create-organization", Method: http.MethodPost, Path: "/organizations",
		Summary: "Create an organization; you become its owner", DefaultStatus: http.StatusCreated, Tags: orgTag, Middlewares: user},
		func(ctx context.Context, in *struct {
			Body struct {
				Name string `json:"name" maxLength:"200"`
			}
		}) (*struct{ Body Organization }, error) {
			p, _ := identity.PrincipalFrom(ctx)
			o, err := s.CreateForUser(ctx, in.Body.Name, p.User.ID, metaOf(ctx))
			return &struct{ Body Organization }{o}, err
		})

	huma.Register(api, huma.Operation{OperationID: "get-organization", Method: http.MethodGet, Path: "/organizations/{id}",
		Summary: "An organization", Tags: orgTag, Middlewares: g.NeedPath(OrgRead, "id")},
		func(ctx context.Context, in *httpx.IDPath) (*struct{ Body Organization }, error) {
			o, err := s.Get(ctx, ActorOf(ctx).OrgID)
			return &struct{ Body Organization }{o}, err
		})

	huma.Register(api, huma.Operation{OperationID: "update-organization", Method: http.MethodPatch, Path: "/organizations/{id}",
		Summary: "Change organization settings", Tags: orgTag, Middlewares: g.NeedPath(OrgWrite, "id")},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body Settings
		}) (*struct{ Body Organization }, error) {
			o, err := s.Update(ctx, ActorOf(ctx), in.Body)
			return &struct{ Body Organization }{o}, err
		})

	huma.Register(api, huma.Operation{OperationID: "list-members", Method: http.MethodGet, Path: "/organizations/{id}/members",
		Summary: "Members of an organization", Tags: orgTag, Middlewares: g.NeedPath(MembersRead, "id")},
		func(ctx context.Context, in *httpx.IDPath) (*struct{ Body httpx.Page[MemberView] }, error) {
			m, err := s.Members(ctx, ActorOf(ctx).OrgID)
			return &struct{ Body httpx.Page[MemberView] }{httpx.Page[MemberView]{Items: m}}, err
		})

	huma.Register(api, huma.Operation{OperationID: "add-member", Method: http.MethodPost, Path: "/organizations/{id}/members",
		Summary: "Add a member by email, or invite the address", DefaultStatus: http.StatusCreated, Tags: orgTag,
		Middlewares: g.NeedPath(MembersWrite, "id")},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body struct {
				Email string `json:"email" maxLength:"254"`
				Role  Role   `json:"role" enum:"owner,admin,member,viewer"`
			}
		}) (*struct{ Body AddResult }, error) {
			res, err := s.AddMember(ctx, ActorOf(ctx), in.Body.Email, in.Body.Role)
			return &struct{ Body AddResult }{res}, err
		})

	huma.Register(api, huma.Operation{OperationID: "change-member-role", Method: http.MethodPatch, Path: "/organizations/{id}/members/{userId}",
		Summary: "Change a member's role", Tags: orgTag, Middlewares: g.NeedPath(MembersWrite, "id")},
		func(ctx context.Context, in *struct {
			ID     string `path:"id" maxLength:"64"`
			UserID string `path:"userId" maxLength:"64"`
			Body   struct {
				Role Role `json:"role" enum:"owner,admin,member,viewer"`
			}
		}) (*struct{ Body MemberView }, error) {
			m, err := s.ChangeRole(ctx, ActorOf(ctx), in.UserID, in.Body.Role)
			return &struct{ Body MemberView }{m}, err
		})

	huma.Register(api, huma.Operation{OperationID: "remove-member", Method: http.MethodDelete, Path: "/organizations/{id}/members/{userId}",
		Summary: "Remove a member, or leave (your own id)", DefaultStatus: http.StatusNoContent, Tags: orgTag,
		Middlewares: g.NeedPath(OrgRead, "id")},
		func(ctx context.Context, in *memberPath) (*struct{}, error) {
			return nil, s.RemoveMember(ctx, ActorOf(ctx), in.UserID)
		})

	huma.Register(api, huma.Operation{OperationID: "list-invitations", Method: http.MethodGet, Path: "/organizations/{id}/invitations",
		Summary: "Pending invitations", Tags: orgTag, Middlewares: g.NeedPath(MembersRead, "id")},
		func(ctx context.Context, in *httpx.IDPath) (*struct{ Body httpx.Page[Invitation] }, error) {
			list, err := s.Invitations(ctx, ActorOf(ctx).OrgID)
			return &struct{ Body httpx.Page[Invitation] }{httpx.Page[Invitation]{Items: list}}, err
		})

	huma.Register(api, huma.Operation{OperationID: "resend-invitation", Method: http.MethodPost, Path: "/organizations/{id}/invitations/{invitationId}/resend",
		Summary: "Mail a fresh invitation link", Tags: orgTag, Middlewares: g.NeedPath(MembersWrite, "id")},
		func(ctx context.Context, in *invitationPath) (*struct{ Body Invitation }, error) {
			inv, err := s.ResendInvitation(ctx, ActorOf(ctx), in.InvitationID)
			return &struct{ Body Invitation }{inv}, err
		})

	huma.Register(api, huma.Operation{OperationID: "revoke-invitation", Method: http.MethodDelete, Path: "/organizations/{id}/invitations/{invitationId}",
		Summary: "Revoke a pending invitation", DefaultStatus: http.StatusNoContent, Tags: orgTag, Middlewares: g.NeedPath(MembersWrite, "id")},
		func(ctx context.Context, in *invitationPath) (*struct{}, error) {
			return nil, s.RevokeInvitation(ctx, ActorOf(ctx), in.InvitationID)
		})

	huma.Register(api, huma.Operation{OperationID: "accept-invitation", Method: http.MethodPost, Path: "/invitations/accept",
		Summary: "Join the organization of an invitation", Tags: orgTag, Middlewares: user},
		func(ctx context.Context, in *struct {
			Body struct {
				Token string `json:"token" maxLength:"200"`
			}
		}) (*struct{ Body Organization }, error) {
			p, _ := identity.PrincipalFrom(ctx)
			o, err := s.AcceptInvitation(ctx, in.Body.Token, p.User.ID, metaOf(ctx))
			return &struct{ Body Organization }{o}, err
		})

	huma.Register(api, huma.Operation{OperationID: "list-api-keys", Method: http.MethodGet, Path: "/api-keys",
		Summary: "The organization's API keys", Tags: keyTag, Middlewares: g.Need(APIKeysRead)},
		func(ctx context.Context, _ *struct{}) (*struct{ Body httpx.Page[APIKey] }, error) {
			keys, err := s.APIKeys(ctx, ActorOf(ctx).OrgID)
			return &struct{ Body httpx.Page[APIKey] }{httpx.Page[APIKey]{Items: keys}}, err
		})

	huma.Register(api, huma.Operation{OperationID: "create-api-key", Method: http.MethodPost, Path: "/api-keys",
		Summary: "Create an API key (shown once)", DefaultStatus: http.StatusCreated, Tags: keyTag, Middlewares: g.Need(APIKeysWrite)},
		func(ctx context.Context, in *struct {
			Body struct {
				Name string `json:"name" maxLength:"200"`
				Role Role   `json:"role,omitempty" enum:"owner,admin,member,viewer" doc:"Default member; at most your own role"`
			}
		}) (*struct{ Body CreatedAPIKey }, error) {
			k, err := s.CreateAPIKey(ctx, ActorOf(ctx), in.Body.Name, in.Body.Role)
			return &struct{ Body CreatedAPIKey }{k}, err
		})

	huma.Register(api, huma.Operation{OperationID: "revoke-api-key", Method: http.MethodDelete, Path: "/api-keys/{id}",
		Summary: "Revoke an API key", DefaultStatus: http.StatusNoContent, Tags: keyTag, Middlewares: g.NeedRecord(APIKeysWrite)},
		func(ctx context.Context, in *httpx.IDPath) (*struct{}, error) {
			return nil, s.RevokeAPIKey(ctx, ActorOf(ctx), in.ID)
		})

	huma.Register(api, huma.Operation{OperationID: "list-audit-log", Method: http.MethodGet, Path: "/audit-log",
		Summary: "Who did what, newest first", Tags: orgTag, Middlewares: g.Need(AuditRead)},
		func(ctx context.Context, in *struct {
			Action  string `query:"action" maxLength:"64"`
			ActorID string `query:"actor_id" maxLength:"80"`
			Cursor  string `query:"cursor" maxLength:"200"`
			Limit   int    `query:"limit" minimum:"0" maximum:"200"`
		}) (*struct{ Body httpx.Page[AuditEntry] }, error) {
			entries, next, err := s.AuditLog(ctx, ActorOf(ctx).OrgID, AuditFilter{Action: in.Action, ActorID: in.ActorID, Cursor: in.Cursor, Limit: in.Limit})
			if err != nil {
				return nil, err
			}
			page := httpx.Page[AuditEntry]{Items: entries}
			if next != "" {
				page.NextCursor = &next
			}
			return &struct{ Body httpx.Page[AuditEntry] }{page}, nil
		})
}

func metaOf(ctx context.Context) identity.ClientMeta {
	if a, ok := ActorFrom(ctx); ok {
		return a.Meta
	}
	return identity.RequestMeta(ctx)
}
