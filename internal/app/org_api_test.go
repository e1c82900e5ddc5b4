package app

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kite-crm/kite/internal/platform/dbtest"
)

func TestMembersInvitationsAndOwners(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		a := startApp(t, testConfig(t, b))
		api := newClient(t, a)
		owner := api.signUp("owner@example.com", "Team")
		own := api.as(owner.Access, owner.OrgID)
		orgPath := "/organizations/" + owner.OrgID

		// The last owner can neither leave nor be demoted.
		if r := own.do("DELETE", orgPath+"/members/"+owner.UserID, nil); r.Status != 409 || r.Code() != "last_owner" {
			t.Fatalf("last owner leaving: %d %s", r.Status, r.Raw)
		}
		if r := own.do("PATCH", orgPath+"/members/"+owner.UserID, map[string]any{"role": "admin"}); r.Status != 409 {
			t.Fatalf("last owner demoted: %d %s", r.Status, r.Raw)
		}

		// An unknown email gets an invitation by mail; the link joins them.
		inv := own.must(201, "POST", orgPath+"/members", map[string]any{"email": "New.Person@example.com", "role": "member"})
		if inv.Str("status") != "invited" || inv.Str("invitation.email") != "new.person@example.com" {
			t.Fatalf("invite = %s", inv.Raw)
		}
		token := waitForMailToken(t, a, "new.person@example.com")
		r := api.must(201, "POST", "/auth/signup", map[string]any{"email": "new.person@example.com", "password": testPassword,
			"name": "New Person", "invitation_token": token})
		newcomer := api.as(r.Str("access_token"), "")
		me := newcomer.must(200, "GET", "/me", nil)
		if orgs := me.Body["organizations"].([]any); len(orgs) != 1 || orgs[0].(map[string]any)["role"] != "member" {
			t.Fatalf("newcomer's orgs: %s", me.Raw)
		}
		if r := api.as(r.Str("access_token"), "").do("POST", "/invitations/accept", map[string]any{"token": token}); r.Status != 400 {
			t.Fatalf("invitation used twice: %d", r.Status)
		}
		if got := own.must(200, "GET", orgPath+"/invitations", nil).Items(); len(got) != 0 {
			t.Fatalf("accepted invitation still pending: %v", got)
		}

		// An existing account is added at once; an admin cannot mint owners.
		adminAcc := api.signUp("admin@example.com", "")
		own.must(201, "POST", orgPath+"/members", map[string]any{"email": adminAcc.Email, "role": "admin"})
		admin := api.as(adminAcc.Access, owner.OrgID)
		if r := admin.do("PATCH", orgPath+"/members/"+adminAcc.UserID, map[string]any{"role": "owner"}); r.Status != 403 {
			t.Fatalf("admin promoting to owner: %d", r.Status)
		}
		if r := admin.do("DELETE", orgPath+"/members/"+owner.UserID, nil); r.Status != 403 {
			t.Fatalf("admin removing the owner: %d", r.Status)
		}
		if r := own.do("POST", orgPath+"/members", map[string]any{"email": adminAcc.Email, "role": "viewer"}); r.Status != 409 {
			t.Fatalf("adding a member twice: %d", r.Status)
		}
		// With a second owner, the first may step down.
		own.must(200, "PATCH", orgPath+"/members/"+adminAcc.UserID, map[string]any{"role": "owner"})
		own.must(200, "PATCH", orgPath+"/members/"+owner.UserID, map[string]any{"role": "admin"})

		// Invitations can be resent (the old link stops working) and revoked.
		inv2 := own.must(201, "POST", orgPath+"/members", map[string]any{"email": "later@example.com", "role": "viewer"})
		oldToken := waitForMailToken(t, a, "later@example.com")
		resent := own.must(200, "POST", orgPath+"/invitations/"+inv2.Str("invitation.id")+"/resend", nil)
		own.must(204, "DELETE", orgPath+"/invitations/"+resent.Str("id"), nil)
		if r := newcomer.do("POST", "/invitations/accept", map[string]any{"token": oldToken}); r.Status != 400 {
			t.Fatalf("replaced invitation link accepted: %d", r.Status)
		}
	})
}

// A removed member loses access at once: API calls in that org are not
// found and their open socket closes.
func TestRemovedMemberLosesAccessAtOnce(t *testing.T) {
	t.Parallel()
	a := startApp(t, testConfig(t, dbtest.New(t, "sqlite", true)))
	api := newClient(t, a)
	owner := api.signUp("boss@example.com", "Shop")
	staff := api.signUp("staff@example.com", "")
	own := api.as(owner.Access, owner.OrgID)
	own.must(201, "POST", "/organizations/"+owner.OrgID+"/members", map[string]any{"email": staff.Email, "role": "member"})
	asStaff := api.as(staff.Access, owner.OrgID)
	asStaff.must(200, "GET", "/organizations/"+owner.OrgID, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sock, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(a.URL(), "http")+"/api/v1/realtime?org_id="+owner.OrgID,
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + staff.Access}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sock.CloseNow()
	time.Sleep(100 * time.Millisecond) // the socket is subscribed

	own.must(204, "DELETE", "/organizations/"+owner.OrgID+"/members/"+staff.UserID, nil)
	if r := asStaff.do("GET", "/organizations/"+owner.OrgID, nil); r.Status != 404 {
		t.Fatalf("removed member still reads the org: %d", r.Status)
	}
	for {
		_, _, err := sock.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
				t.Fatalf("socket ended with %v, want access revoked", err)
			}
			break
		}
	}
}

func TestOrgSelectionAndAPIKeys(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		a := startApp(t, testConfig(t, b))
		api := newClient(t, a)
		acc := api.signUp("multi@example.com", "First")
		user := api.as(acc.Access, "")
		// One org: no header needed.
		user.must(200, "GET", "/api-keys", nil)
		second := user.must(201, "POST", "/organizations", map[string]any{"name": "Second"})
		if r := user.do("GET", "/api-keys", nil); r.Status != 400 || r.Code() != "org_required" {
			t.Fatalf("two orgs, no header: %d %s", r.Status, r.Raw)
		}
		if r := user.as(acc.Access, "not-a-uuid").do("GET", "/api-keys", nil); r.Status != 404 {
			t.Fatalf("bad org header: %d", r.Status)
		}
		inFirst := user.as(acc.Access, acc.OrgID)
		if r := inFirst.do("POST", "/api-keys", map[string]any{"name": "CI", "role": "superuser"}); r.Status != 422 {
			t.Fatalf("unknown role: %d", r.Status)
		}
		created := inFirst.must(201, "POST", "/api-keys", map[string]any{"name": "CI", "role": "viewer"})
		key := created.Str("key")
		if !strings.HasPrefix(key, "kite_") || !strings.HasPrefix(key, created.Str("prefix")) {
			t.Fatalf("created key: %s", created.Raw)
		}
		for _, k := range inFirst.must(200, "GET", "/api-keys", nil).Items() {
			if _, shown := k["key"]; shown {
				t.Fatal("the list shows a key's secret")
			}
		}
		// The key acts in its own org with its own role; the header is ignored.
		withKey := api.as(key, second.Str("id"))
		withKey.must(200, "GET", "/organizations/"+acc.OrgID, nil)
		if r := withKey.do("GET", "/organizations/"+second.Str("id"), nil); r.Status != 404 {
			t.Fatalf("key reading another org: %d", r.Status)
		}
		if r := withKey.do("PATCH", "/organizations/"+acc.OrgID, map[string]any{"name": "Hacked"}); r.Status != 403 {
			t.Fatalf("viewer key writing: %d", r.Status)
		}
		if r := withKey.do("GET", "/me", nil); r.Status != 401 {
			t.Fatalf("/me with an org key: %d", r.Status)
		}
		inFirst.must(204, "DELETE", "/api-keys/"+created.Str("id"), nil)
		if r := withKey.do("GET", "/organizations/"+acc.OrgID, nil); r.Status != 401 || r.Code() != "api_key_invalid" {
			t.Fatalf("revoked key: %d %s", r.Status, r.Raw)
		}
		if r := inFirst.do("DELETE", "/api-keys/"+created.Str("id"), nil); r.Status != 404 {
			t.Fatalf("revoking twice: %d", r.Status)
		}

		// Settings are validated.
		for field, value := range map[string]string{"default_currency": "XYZ", "timezone": "Mars/Olympus", "name": " "} {
			r := inFirst.do("PATCH", "/organizations/"+acc.OrgID, map[string]any{field: value})
			if r.Status != 422 || !strings.Contains(r.Raw, "body."+field) {
				t.Errorf("%s=%q: %d %s", field, value, r.Status, r.Raw)
			}
		}
		o := inFirst.must(200, "PATCH", "/organizations/"+acc.OrgID, map[string]any{"default_currency": "eur", "timezone": "Europe/Berlin"})
		if o.Str("default_currency") != "EUR" || o.Str("timezone") != "Europe/Berlin" {
			t.Fatalf("settings = %s", o.Raw)
		}
	})
}

func TestAuditLogRecordsSecurityEvents(t *testing.T) {
	t.Parallel()
	a := startApp(t, testConfig(t, dbtest.New(t, "sqlite", true)))
	api := newClient(t, a)
	acc := api.signUp("audit@example.com", "Audited")
	own := api.as(acc.Access, acc.OrgID)
	in := api.must(200, "POST", "/auth/signin", map[string]any{"email": acc.Email, "password": testPassword})
	api.must(204, "POST", "/auth/logout", map[string]any{"refresh_token": in.Str("refresh_token")})
	own.must(200, "POST", "/auth/mfa/totp/setup", nil)
	own.must(200, "PATCH", "/organizations/"+acc.OrgID, map[string]any{"name": "Audited Inc"})
	k := own.must(201, "POST", "/api-keys", map[string]any{"name": "k"})
	own.must(204, "DELETE", "/api-keys/"+k.Str("id"), nil)
	own.must(201, "POST", "/organizations/"+acc.OrgID+"/members", map[string]any{"email": "x@example.com", "role": "viewer"})

	seen := map[string]map[string]any{}
	for _, e := range own.must(200, "GET", "/audit-log", nil).Items() {
		seen[e["action"].(string)] = e
	}
	for _, want := range []string{"user.signed_in", "user.signed_out", "org.settings_changed", "apikey.created", "apikey.revoked", "member.invited"} {
		if seen[want] == nil {
			t.Errorf("audit log lacks %s; has %v", want, keys(seen))
		}
	}
	if e := seen["org.settings_changed"]; e != nil && (e["ip"] != "127.0.0.1" || e["actor_id"] != acc.UserID) {
		t.Errorf("entry lacks who/where: %v", e)
	}
	// Filter and paginate.
	page := own.must(200, "GET", "/audit-log?action=apikey.created", nil).Items()
	if len(page) != 1 {
		t.Errorf("filtered log: %v", page)
	}
	first := own.must(200, "GET", "/audit-log?limit=2", nil)
	next, _ := first.Body["next_cursor"].(string)
	if len(first.Items()) != 2 || next == "" {
		t.Fatalf("first page: %s", first.Raw)
	}
	second := own.must(200, "GET", "/audit-log?limit=2&cursor="+next, nil).Items()
	if len(second) == 0 || second[0]["id"] == first.Items()[1]["id"] {
		t.Fatalf("second page repeats or is empty: %v", second)
	}
	if r := own.do("GET", "/audit-log?cursor=garbage!", nil); r.Status != 400 {
		t.Errorf("bad cursor: %d", r.Status)
	}
}

func keys(m map[string]map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
