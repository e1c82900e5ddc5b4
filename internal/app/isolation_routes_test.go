package app

import (
	"net/http"
	"slices"

	"github.com/kite-crm/kite/internal/org"
)

// orgRoutes are the organization and member routes. Each capability lists
// its routes in a function like this one, with a Setup that makes fresh
// records in org A (as its owner) when the route changes or deletes them.
func orgRoutes() []isoRoute {
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

// isolationRoutes is every organization-scoped route, by capability.
func isolationRoutes() []isoRoute {
	return slices.Concat(orgRoutes(), crmRoutes(), importRoutes(), pipelineRoutes(), inboxRoutes())
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

// crmRoutes are the CRM's organization-scoped routes.
func crmRoutes() []isoRoute {
	contact := func(f *isoFixture) string {
		return f.owner().must(http.StatusCreated, "POST", "/contacts", map[string]any{"first_name": f.unique("Ann")}).Str("id")
	}
	company := func(f *isoFixture) string {
		return f.owner().must(http.StatusCreated, "POST", "/companies", map[string]any{"name": f.unique("Acme")}).Str("id")
	}
	note := func(f *isoFixture) string {
		return f.owner().must(http.StatusCreated, "POST", "/contacts/"+contact(f)+"/notes", map[string]any{"body": "hi"}).Str("id")
	}
	field := func(f *isoFixture) string {
		return f.owner().must(http.StatusCreated, "POST", "/custom-fields", map[string]any{"object": "company", "label": f.unique("F"), "type": "number"}).Str("id")
	}
	with := func(key string, make func(*isoFixture) string, body any) func(*isoFixture) (map[string]string, any) {
		return func(f *isoFixture) (map[string]string, any) { return map[string]string{key: make(f)}, body }
	}
	none := func(*isoFixture) (map[string]string, any) { return nil, nil }
	return []isoRoute{
		{Method: "GET", Path: "/contacts", Perm: org.CRMRead, OK: 200, Setup: none},
		{Method: "GET", Path: "/contacts/search?q=ann", Perm: org.CRMRead, OK: 200, Setup: none},
		{Method: "POST", Path: "/contacts", Perm: org.CRMWrite, OK: 201, Setup: func(f *isoFixture) (map[string]string, any) {
			return nil, map[string]any{"first_name": f.unique("New")}
		}},
		{Method: "GET", Path: "/contacts/{contact}", Perm: org.CRMRead, OK: 200, Setup: with("contact", contact, nil)},
		{Method: "PATCH", Path: "/contacts/{contact}", Perm: org.CRMWrite, OK: 200, Setup: with("contact", contact, map[string]any{"title": "CEO"})},
		{Method: "DELETE", Path: "/contacts/{contact}", Perm: org.CRMWrite, OK: 204, Setup: with("contact", contact, nil)},
		{Method: "GET", Path: "/contacts/duplicates", Perm: org.CRMRead, OK: 200, Setup: none},
		{Method: "POST", Path: "/contacts/bulk", Perm: org.CRMWrite, OK: 200, Setup: func(f *isoFixture) (map[string]string, any) {
			return nil, map[string]any{"ids": []string{contact(f)}, "action": "tag", "tags": []string{"bulk"}}
		}},
		{Method: "POST", Path: "/companies/bulk", Perm: org.CRMWrite, OK: 200, Setup: func(f *isoFixture) (map[string]string, any) {
			return nil, map[string]any{"ids": []string{company(f)}, "action": "tag", "tags": []string{"bulk"}}
		}},
		{Method: "POST", Path: "/contacts/{contact}/merge", Perm: org.CRMWrite, OK: 200, Setup: func(f *isoFixture) (map[string]string, any) {
			return map[string]string{"contact": contact(f)}, map[string]any{"other_id": contact(f)}
		}},
		{Method: "GET", Path: "/contacts/{contact}/activity", Perm: org.CRMRead, OK: 200, Setup: with("contact", contact, nil)},
		{Method: "GET", Path: "/companies/{company}/activity", Perm: org.CRMRead, OK: 200, Setup: with("company", company, nil)},
		{Method: "GET", Path: "/contacts/{contact}/notes", Perm: org.CRMRead, OK: 200, Setup: with("contact", contact, nil)},
		{Method: "POST", Path: "/contacts/{contact}/notes", Perm: org.CRMWrite, OK: 201, Setup: with("contact", contact, map[string]any{"body": "Called"})},
		{Method: "GET", Path: "/companies", Perm: org.CRMRead, OK: 200, Setup: none},
		{Method: "POST", Path: "/companies", Perm: org.CRMWrite, OK: 201, Setup: func(f *isoFixture) (map[string]string, any) {
			return nil, map[string]any{"name": f.unique("Co")}
		}},
		{Method: "GET", Path: "/companies/{company}", Perm: org.CRMRead, OK: 200, Setup: with("company", company, nil)},
		{Method: "PATCH", Path: "/companies/{company}", Perm: org.CRMWrite, OK: 200, Setup: with("company", company, map[string]any{"industry": "Retail"})},
		{Method: "DELETE", Path: "/companies/{company}", Perm: org.CRMWrite, OK: 204, Setup: with("company", company, nil)},
		{Method: "GET", Path: "/companies/{company}/notes", Perm: org.CRMRead, OK: 200, Setup: with("company", company, nil)},
		{Method: "POST", Path: "/companies/{company}/notes", Perm: org.CRMWrite, OK: 201, Setup: with("company", company, map[string]any{"body": "Met"})},
		{Method: "PATCH", Path: "/notes/{note}", Perm: org.CRMWrite, OK: 200, Setup: with("note", note, map[string]any{"body": "Edited"})},
		{Method: "DELETE", Path: "/notes/{note}", Perm: org.CRMWrite, OK: 204, Setup: with("note", note, nil)},
		{Method: "GET", Path: "/custom-fields", Perm: org.CRMRead, OK: 200, Setup: none},
		{Method: "POST", Path: "/custom-fields", Perm: org.OrgWrite, OK: 201, Setup: func(f *isoFixture) (map[string]string, any) {
			return nil, map[string]any{"object": "contact", "label": f.unique("Field"), "type": "text"}
		}},
		{Method: "PATCH", Path: "/custom-fields/{field}", Perm: org.OrgWrite, OK: 200, Setup: with("field", field, map[string]any{"label": "Renamed"})},
		{Method: "DELETE", Path: "/custom-fields/{field}", Perm: org.OrgWrite, OK: 204, Setup: with("field", field, nil)},
		{Method: "GET", Path: "/tags", Perm: org.CRMRead, OK: 200, Setup: none},
		{Method: "POST", Path: "/tags", Perm: org.CRMWrite, OK: 201, Setup: func(f *isoFixture) (map[string]string, any) {
			return nil, map[string]any{"name": f.unique("vip")}
		}},
		{Method: "DELETE", Path: "/tags/{tag}", Perm: org.CRMWrite, OK: 204, Setup: func(f *isoFixture) (map[string]string, any) {
			id := f.owner().must(http.StatusCreated, "POST", "/tags", map[string]any{"name": f.unique("old")}).Str("id")
			return map[string]string{"tag": id}, nil
		}},
	}
}

// importRoutes are the CSV import's routes. The harness sends JSON, which
// the upload refuses as not multipart (422) once the role may import; the
// upload itself is tested in crm_import_test.go.
func importRoutes() []isoRoute {
	upload := func(f *isoFixture) (map[string]string, any) {
		r := f.owner().upload("/contacts/import", "people.csv", "Name,Email\n"+f.unique("Ann")+",\n", nil)
		if r.Status != http.StatusAccepted {
			f.t.Fatalf("upload: %d %s", r.Status, r.Raw)
		}
		return map[string]string{"import": r.Str("id")}, nil
	}
	return []isoRoute{
		{Method: "POST", Path: "/contacts/import", Perm: org.CRMWrite, OK: http.StatusUnprocessableEntity,
			Setup: func(*isoFixture) (map[string]string, any) { return nil, map[string]any{"file": "Name\nAnn\n"} }},
		{Method: "GET", Path: "/imports", Perm: org.CRMRead, OK: 200, Setup: func(*isoFixture) (map[string]string, any) { return nil, nil }},
		{Method: "GET", Path: "/imports/{import}", Perm: org.CRMRead, OK: 200, Setup: upload},
		{Method: "GET", Path: "/imports/{import}/rejected.csv", Perm: org.CRMRead, OK: 200, Setup: upload},
	}
}
