package app

import (
	"net/http"

	"github.com/kite-crm/kite/internal/org"
)

// isolationRoutes lists every organization-scoped route for the isolation
// harness. Add new routes here, with a Setup that makes fresh records in
// org A (as its owner) when the route changes or deletes them.
func isolationRoutes() []isoRoute {
	none := func(f *isoFixture) (map[string]string, any) { return map[string]string{"org": f.A.ID}, nil }
	return []isoRoute{
		{Method: "GET", Path: "/organizations/{org}", Perm: org.OrgRead, OK: 200, Setup: none},
		{Method: "PATCH", Path: "/organizations/{org}", Perm: org.OrgWrite, OK: 200,
			Setup: func(f *isoFixture) (map[string]string, any) {
				return map[string]string{"org": f.A.ID}, map[string]any{"timezone": "Europe/Berlin"}
			}},
		{Method: "GET", Path: "/organizations/{org}/members", Perm: org.MembersRead, OK: 200, Setup: none},
		{Method: "POST", Path: "/organizations/{org}/members", Perm: org.MembersWrite, OK: 201,
			Setup: func(f *isoFixture) (map[string]string, any) {
				return map[string]string{"org": f.A.ID}, map[string]any{"email": f.unique("invitee") + "@example.com", "role": "viewer"}
			}},
		{Method: "PATCH", Path: "/organizations/{org}/members/{user}", Perm: org.MembersWrite, OK: 200,
			Setup: func(f *isoFixture) (map[string]string, any) {
				return map[string]string{"org": f.A.ID, "user": f.freshMember()}, map[string]any{"role": "member"}
			}},
		{Method: "DELETE", Path: "/organizations/{org}/members/{user}", Perm: org.MembersWrite, OK: 204,
			Setup: func(f *isoFixture) (map[string]string, any) {
				return map[string]string{"org": f.A.ID, "user": f.freshMember()}, nil
			}},
		{Method: "GET", Path: "/organizations/{org}/invitations", Perm: org.MembersRead, OK: 200, Setup: none},
		{Method: "POST", Path: "/organizations/{org}/invitations/{invitation}/resend", Perm: org.MembersWrite, OK: 200,
			Setup: func(f *isoFixture) (map[string]string, any) {
				return map[string]string{"org": f.A.ID, "invitation": f.freshInvitation()}, nil
			}},
		{Method: "DELETE", Path: "/organizations/{org}/invitations/{invitation}", Perm: org.MembersWrite, OK: 204,
			Setup: func(f *isoFixture) (map[string]string, any) {
				return map[string]string{"org": f.A.ID, "invitation": f.freshInvitation()}, nil
			}},
		{Method: "GET", Path: "/api-keys", Perm: org.APIKeysRead, OK: 200, Setup: none},
		{Method: "POST", Path: "/api-keys", Perm: org.APIKeysWrite, OK: 201,
			Setup: func(f *isoFixture) (map[string]string, any) {
				return nil, map[string]any{"name": f.unique("key"), "role": "viewer"}
			}},
		{Method: "DELETE", Path: "/api-keys/{key}", Perm: org.APIKeysWrite, OK: 204,
			Setup: func(f *isoFixture) (map[string]string, any) {
				r := f.owner().must(http.StatusCreated, "POST", "/api-keys", map[string]any{"name": f.unique("key"), "role": "viewer"})
				return map[string]string{"key": r.Str("id")}, nil
			}},
		{Method: "GET", Path: "/audit-log", Perm: org.AuditRead, OK: 200, Setup: none},
	}
}

// freshMember adds a new viewer to org A and returns their user id.
func (f *isoFixture) freshMember() string {
	u := f.api.signUp(f.unique("member")+"@example.com", "")
	f.owner().must(http.StatusCreated, "POST", "/organizations/"+f.A.ID+"/members", map[string]any{"email": u.Email, "role": "viewer"})
	return u.UserID
}

// freshInvitation invites a new address to org A and returns the invitation id.
func (f *isoFixture) freshInvitation() string {
	r := f.owner().must(http.StatusCreated, "POST", "/organizations/"+f.A.ID+"/members",
		map[string]any{"email": f.unique("guest") + "@example.com", "role": "member"})
	return r.Str("invitation.id")
}
