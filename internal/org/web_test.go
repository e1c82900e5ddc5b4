package org_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/kite-crm/kite/internal/app"
	"github.com/kite-crm/kite/internal/identity"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/web/webtest"
)

// team is an organization with one member of every role, each with a
// signed-in browser.
type team struct {
	a                              *app.App
	orgID                          string
	owner, admin, member, viewer   *browser
	ownerID, adminID, memberID, vw string
}

func userID(t *testing.T, a *app.App, email string) string {
	t.Helper()
	u, err := a.Identity.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// newAccount makes a user without an organization, through the service.
func newAccount(t *testing.T, a *app.App, name, email string) identity.User {
	t.Helper()
	u, _, err := a.Identity.SignUp(context.Background(), identity.SignUpInput{Name: name, Email: email, Password: testPassword}, identity.ClientMeta{IP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func newTeam(t *testing.T) *team {
	t.Helper()
	a := startKite(t)
	tm := &team{a: a, owner: newBrowser(t, a)}
	tm.owner.SignUp("Olga Owner", "owner@example.com", "Acme")
	orgs, err := a.Orgs.ForUser(context.Background(), userID(t, a, "owner@example.com"))
	if err != nil || len(orgs) != 1 {
		t.Fatalf("orgs of the owner: %v %v", orgs, err)
	}
	tm.orgID = orgs[0].ID
	tm.ownerID = userID(t, a, "owner@example.com")
	actor := org.Actor{UserID: tm.ownerID, Name: "Olga Owner", OrgID: tm.orgID, Role: org.Owner}
	for _, m := range []struct {
		name, email string
		role        org.Role
		b           **browser
		id          *string
	}{
		{"Adam Admin", "admin@example.com", org.Admin, &tm.admin, &tm.adminID},
		{"Mona Member", "member@example.com", org.Member, &tm.member, &tm.memberID},
		{"Vic Viewer", "viewer@example.com", org.Viewer, &tm.viewer, &tm.vw},
	} {
		u := newAccount(t, a, m.name, m.email)
		if _, err := a.Orgs.AddMember(context.Background(), actor, m.email, m.role); err != nil {
			t.Fatal(err)
		}
		*m.id = u.ID
		*m.b = newBrowser(t, a)
		(*m.b).SignIn(m.email)
	}
	return tm
}

func TestVisitorsAreSentToSignIn(t *testing.T) {
	t.Parallel()
	a := startKite(t)
	b := newBrowser(t, a)
	for _, path := range []string{"/settings/organization", "/settings/members", "/settings/api-keys", "/settings/audit-log?action=member.added",
		"/account", "/organizations/new", "/account/mfa/qr.png"} {
		p := b.Get(path)
		mustRedirect(t, p, "/signin?"+url.Values{"next": {path}}.Encode())
	}
	mustRedirect(t, b.Get("/"), "/signin") // the home page needs no "next"
	for _, path := range []string{"/settings/organization", "/settings/members", "/organizations", "/account/profile", "/organizations/switch"} {
		mustRedirect(t, b.Post(path, url.Values{"name": {"x"}}), "/signin")
	}
	// htmx requests are told where to go instead of getting the sign-in page as a fragment.
	p := b.Get("/settings/audit-log?cursor=x", "HX-Request", "true")
	if p.Status != http.StatusUnauthorized || !strings.HasPrefix(p.Header.Get("HX-Redirect"), "/signin?next=") {
		t.Errorf("htmx request without a session: %d HX-Redirect %q", p.Status, p.Header.Get("HX-Redirect"))
	}
	// The status page shows the database and queues: signed-in people only.
	mustRedirect(t, b.Get("/status"), "/signin?"+url.Values{"next": {"/status"}}.Encode())
}

func TestPersonWithoutOrganizationCreatesOne(t *testing.T) {
	t.Parallel()
	a := startKite(t)
	newAccount(t, a, "Nora Nobody", "nora@example.com")
	b := newBrowser(t, a)
	b.SignIn("nora@example.com")
	mustRedirect(t, b.Get("/"), "/organizations/new")
	mustRedirect(t, b.Get("/settings/members"), "/organizations/new")
	p := b.Get("/organizations/new")
	if p.Status != 200 || !strings.Contains(p.Text("main"), "You do not belong to an organization yet") {
		t.Fatalf("create page: %d %s", p.Status, p.Text("main"))
	}
	if name := p.Find("input#name"); name == nil || !webtest.HasAttr(name, "autofocus") || webtest.Attr(name, "autocomplete") != "organization" {
		t.Error("the name field is not focused or lacks autocomplete")
	}
	p = b.Post("/organizations", url.Values{"name": {"   "}})
	if p.Status != http.StatusUnprocessableEntity || p.Text("#name-error") == "" {
		t.Fatalf("blank name: %d, error %q", p.Status, p.Text("#name-error"))
	}
	mustRedirect(t, b.Post("/organizations", url.Values{"name": {"Nora's Nook"}}), "/")
	if b.Cookie("kite_org") == "" {
		t.Error("the new organization was not made the current one")
	}
	p = b.Get("/")
	if p.Status != 200 || !strings.Contains(p.Text("main"), "Nora's Nook") || !strings.Contains(p.Text("#toasts"), "Nora's Nook is ready") {
		t.Fatalf("dashboard after creating: %d %q / %q", p.Status, p.Text("main"), p.Text("#toasts"))
	}
}

func TestPagesFollowThePermissionTable(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	type want struct{ owner, admin, member, viewer int }
	pages := map[string]want{
		"/":                      {200, 200, 200, 200},
		"/settings/organization": {200, 200, 200, 200},
		"/settings/members":      {200, 200, 200, 200},
		"/settings/api-keys":     {200, 200, 403, 403},
		"/settings/audit-log":    {200, 200, 403, 403},
		"/account":               {200, 200, 200, 200},
	}
	roles := []struct {
		name string
		b    *browser
		pick func(want) int
	}{
		{"owner", tm.owner, func(w want) int { return w.owner }},
		{"admin", tm.admin, func(w want) int { return w.admin }},
		{"member", tm.member, func(w want) int { return w.member }},
		{"viewer", tm.viewer, func(w want) int { return w.viewer }},
	}
	for path, w := range pages {
		for _, r := range roles {
			p := r.b.Get(path)
			if p.Status != r.pick(w) {
				t.Errorf("%s as %s: %d, want %d", path, r.name, p.Status, r.pick(w))
			}
			if p.Status == 403 && !strings.Contains(p.Text("main"), "Your role in Acme is "+r.name) {
				t.Errorf("%s as %s: the 403 page does not say why: %s", path, r.name, p.Text("main"))
			}
			if p.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s as %s: Cache-Control %q", path, r.name, p.Header.Get("Cache-Control"))
			}
			webtest.CheckPage(t, path+" as "+r.name, p.Body)
		}
	}

	// The settings tabs show only what the role may open.
	tabs := func(b *browser) string {
		p := b.Get("/settings/members")
		var names []string
		for _, a := range webtest.FindAll(p.Find("nav.tabs"), webtest.Matcher("a")) {
			names = append(names, webtest.Text(a))
		}
		return strings.Join(names, ",")
	}
	if got := tabs(tm.admin); got != "Organization,Members,Custom fields,Pipelines,Channels,API keys,Audit log" {
		t.Errorf("admin tabs: %s", got)
	}
	if got := tabs(tm.member); got != "Organization,Members,Custom fields,Pipelines,Channels" {
		t.Errorf("member tabs: %s", got)
	}

	// Viewers and members see the settings read-only and cannot post them.
	for _, b := range []*browser{tm.viewer, tm.member} {
		p := b.Get("/settings/organization")
		if in := p.Find("input#name"); in == nil || !webtest.HasAttr(in, "disabled") || p.Find("form[action=/settings/organization] button[type=submit]") != nil {
			t.Error("settings are editable for a role without org:write")
		}
		if !strings.Contains(p.Text("main"), "Only owners and admins can change") {
			t.Error("no note says why the settings are read-only")
		}
		if p := b.Post("/settings/organization", url.Values{"name": {"Hijacked"}, "default_currency": {"EUR"}, "timezone": {"UTC"}}); p.Status != 403 {
			t.Errorf("posting settings without permission: %d", p.Status)
		}
		if p := b.Get("/settings/members"); p.Find("form#invite-form") != nil || p.Find("main select") != nil {
			t.Error("the members page offers changes to a role without members:write")
		}
		if p := b.Post("/settings/members", url.Values{"email": {"x@example.com"}, "role": {"viewer"}}); p.Status != 403 {
			t.Errorf("inviting without permission: %d", p.Status)
		}
		if p := b.Post("/settings/api-keys", url.Values{"name": {"k"}, "role": {"viewer"}}); p.Status != 403 {
			t.Errorf("creating a key without permission: %d", p.Status)
		}
	}
	if o, _ := tm.a.Orgs.Get(context.Background(), tm.orgID); o.Name != "Acme" {
		t.Fatalf("the organization was renamed to %q by a forbidden post", o.Name)
	}
	// An admin may change the settings.
	if p := tm.admin.Get("/settings/organization"); p.Find("input#name") == nil || webtest.HasAttr(p.Find("input#name"), "disabled") {
		t.Error("the admin cannot edit the settings")
	}
	mustRedirect(t, tm.admin.Post("/settings/organization", url.Values{"name": {"Acme Ltd"}, "default_currency": {"EUR"}, "timezone": {"Europe/Berlin"}}), "/settings/organization")
	if o, _ := tm.a.Orgs.Get(context.Background(), tm.orgID); o.Name != "Acme Ltd" || o.DefaultCurrency != "EUR" || o.Timezone != "Europe/Berlin" {
		t.Fatalf("settings after the admin's change: %+v", o)
	}
	// An admin cannot hand out the owner role: the picker does not offer it.
	p := tm.admin.Get("/settings/members")
	for _, o := range webtest.FindAll(p.Find("select#invite-role"), webtest.Matcher("option")) {
		if webtest.Attr(o, "value") == "owner" {
			t.Error("an admin is offered to invite an owner")
		}
	}
	if p.Find("select#role-"+tm.ownerID) != nil {
		t.Error("an admin is offered to change the owner's role")
	}
}

func TestFormsShowErrorsNextToFields(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	b := tm.owner

	p := b.Post("/settings/organization", url.Values{"name": {"Acme"}, "default_currency": {"XXX"}, "timezone": {"Mars/Olympus"}})
	if p.Status != http.StatusUnprocessableEntity || p.Text("#default_currency-error") == "" {
		t.Fatalf("bad currency: %d, error %q", p.Status, p.Text("#default_currency-error"))
	}
	if in := p.Find("input#timezone"); webtest.Attr(in, "value") != "Mars/Olympus" {
		t.Error("the typed time zone was not kept")
	}
	p = b.Post("/settings/organization", url.Values{"name": {"Acme"}, "default_currency": {"EUR"}, "timezone": {"Mars/Olympus"}})
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Text("#timezone-error"), "IANA") {
		t.Fatalf("bad time zone: %d, error %q", p.Status, p.Text("#timezone-error"))
	}
	if in := p.Find("input#timezone"); webtest.Attr(in, "aria-invalid") != "true" || !strings.Contains(webtest.Attr(in, "aria-describedby"), "timezone-error") {
		t.Error("the invalid field is not marked for assistive technology")
	}

	p = b.Post("/settings/members", url.Values{"email": {"not an email"}, "role": {"member"}})
	if p.Status != http.StatusUnprocessableEntity || p.Text("#invite-email-error") == "" {
		t.Fatalf("bad invite email: %d %q", p.Status, p.Text("#invite-email-error"))
	}
	p = b.Post("/settings/members", url.Values{"email": {"member@example.com"}, "role": {"member"}})
	if p.Status != http.StatusConflict || !strings.Contains(p.Text("#invite-email-error"), "already a member") {
		t.Fatalf("inviting a member again: %d %q", p.Status, p.Text("#invite-email-error"))
	}
	p = b.Post("/settings/members", url.Values{"email": {"x@example.com"}, "role": {"emperor"}})
	if p.Status != http.StatusUnprocessableEntity || p.Text("#invite-role-error") == "" {
		t.Fatalf("bad role: %d %q", p.Status, p.Text("#invite-role-error"))
	}

	p = b.Post("/settings/api-keys", url.Values{"name": {""}, "role": {"member"}})
	if p.Status != http.StatusUnprocessableEntity || p.Text("#key-name-error") == "" {
		t.Fatalf("key without a name: %d %q", p.Status, p.Text("#key-name-error"))
	}

	p = b.Post("/account/password", url.Values{"current_password": {"wrong wrong wrong"}, "password": {"a new long passphrase"}})
	if p.Status != http.StatusUnprocessableEntity || p.Text("#current_password-error") != "The current password is wrong." {
		t.Fatalf("wrong current password: %d %q", p.Status, p.Text("#current_password-error"))
	}
	p = b.Post("/account/password", url.Values{"current_password": {testPassword}, "password": {"short"}})
	if p.Status != http.StatusUnprocessableEntity || p.Text("#new-password-error") != "Use at least 8 characters." {
		t.Fatalf("short new password: %d %q", p.Status, p.Text("#new-password-error"))
	}
	if in := p.Find("input#new-password"); webtest.Attr(in, "autocomplete") != "new-password" || webtest.Attr(in, "value") != "" {
		t.Error("the new password field lacks autocomplete or echoes the password")
	}
	p = b.Post("/account/profile", url.Values{"name": {" "}})
	if p.Status != http.StatusUnprocessableEntity || p.Text("#profile-name-error") == "" {
		t.Fatalf("blank profile name: %d", p.Status)
	}
	mustRedirect(t, b.Post("/account/profile", url.Values{"name": {"Olga O. Owner"}}), "/account")
	if p := b.Get("/account"); !strings.Contains(p.Text(".user-menu"), "Olga O. Owner") {
		t.Error("the new name is not in the user menu")
	}
}

func TestOrganizationSwitcher(t *testing.T) {
	t.Parallel()
	a := startKite(t)
	b := newBrowser(t, a)
	b.SignUp("Sam Switch", "sam@example.com", "Zeta Works")
	mustRedirect(t, b.Post("/organizations", url.Values{"name": {"Alpha Labs"}}), "/")
	orgs, _ := a.Orgs.ForUser(context.Background(), userID(t, a, "sam@example.com"))
	if len(orgs) != 2 || orgs[0].Name != "Alpha Labs" {
		t.Fatalf("orgs: %+v", orgs)
	}
	alpha, zeta := orgs[0].ID, orgs[1].ID
	if p := b.Get("/"); !strings.Contains(p.Text("h1"), "Welcome") || !strings.Contains(p.Text(".org-switcher summary"), "Alpha Labs") {
		t.Fatalf("after creating Alpha Labs: %q", p.Text(".org-switcher summary"))
	}
	mustRedirect(t, b.Post("/organizations/switch", url.Values{"org_id": {zeta}}), "/")
	p := b.Get("/")
	if !strings.Contains(p.Text(".org-switcher summary"), "Zeta Works") || !strings.Contains(p.Text("#toasts"), "now working in Zeta Works") {
		t.Fatalf("after switching: %q", p.Text(".org-switcher summary"))
	}
	// Every organization of the person is in the switcher, with the role.
	if got := p.Text(".org-switcher .menu-list"); !strings.Contains(got, "Alpha Labs owner") || !strings.Contains(got, "Zeta Works owner") {
		t.Errorf("switcher lists %q", got)
	}

	// An organization the person does not belong to cannot be switched to,
	// nor chosen with a hand-made cookie.
	other := newBrowser(t, a)
	other.SignUp("Eve Else", "eve@example.com", "Eve Corp")
	eveOrgs, _ := a.Orgs.ForUser(context.Background(), userID(t, a, "eve@example.com"))
	if p := b.Post("/organizations/switch", url.Values{"org_id": {eveOrgs[0].ID}}); p.Status != 404 {
		t.Errorf("switching to someone else's org: %d", p.Status)
	}
	b.SetCookie(&http.Cookie{Name: "kite_org", Value: eveOrgs[0].ID, Path: "/"})
	p = b.Get("/settings/organization")
	if strings.Contains(p.Body, "Eve Corp") || !strings.Contains(p.Text(".org-switcher summary"), "Alpha Labs") {
		t.Fatalf("a forged kite_org cookie gave access: %q", p.Text(".org-switcher summary"))
	}
	_ = alpha
}

// A record of another organization is "not found" from the pages too.
func TestWebActionsStayInTheirOrganization(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	ctx := context.Background()
	evil := newBrowser(t, tm.a)
	evil.SignUp("Eve Else", "eve@example.com", "Eve Corp")
	eveID := userID(t, tm.a, "eve@example.com")
	eveOrgs, _ := tm.a.Orgs.ForUser(ctx, eveID)
	ownerActor := org.Actor{UserID: tm.ownerID, Name: "Olga", OrgID: tm.orgID, Role: org.Owner}
	inv, err := tm.a.Orgs.AddMember(ctx, ownerActor, "someone@example.com", org.Viewer)
	if err != nil {
		t.Fatal(err)
	}
	key, err := tm.a.Orgs.CreateAPIKey(ctx, ownerActor, "Acme key", org.Viewer)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		"/settings/members/" + tm.memberID + "/role",
		"/settings/members/" + tm.memberID + "/remove",
		"/settings/invitations/" + inv.Invitation.ID + "/resend",
		"/settings/invitations/" + inv.Invitation.ID + "/revoke",
		"/settings/api-keys/" + key.ID + "/revoke",
	} {
		if p := evil.Post(path, url.Values{"role": {"viewer"}}); p.Status != http.StatusNotFound {
			t.Errorf("POST %s from another org: %d", path, p.Status)
		}
	}
	if role, _ := tm.a.Orgs.RoleOf(ctx, tm.orgID, tm.memberID); role != org.Member {
		t.Errorf("the member's role became %q", role)
	}
	if keys, _ := tm.a.Orgs.APIKeys(ctx, tm.orgID); len(keys) != 1 {
		t.Error("the key of another org was revoked")
	}
	if list, _ := tm.a.Orgs.Invitations(ctx, tm.orgID); len(list) != 1 {
		t.Error("the invitation of another org was revoked")
	}
	_ = eveOrgs
}

func TestMemberManagement(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	ctx := context.Background()
	b := tm.owner
	mustRedirect(t, b.Post("/settings/members/"+tm.memberID+"/role", url.Values{"role": {"admin"}}), "/settings/members")
	if role, _ := tm.a.Orgs.RoleOf(ctx, tm.orgID, tm.memberID); role != org.Admin {
		t.Fatalf("role after the change: %q", role)
	}
	// The last owner cannot step down; the page says why.
	mustRedirect(t, b.Post("/settings/members/"+tm.ownerID+"/remove", nil), "/settings/members")
	if p := b.Get("/settings/members"); !strings.Contains(p.Text("#toasts"), "at least one owner") {
		t.Errorf("leaving as the last owner: toast %q", p.Text("#toasts"))
	}
	mustRedirect(t, b.Post("/settings/members/"+tm.vw+"/remove", nil), "/settings/members")
	if _, err := tm.a.Orgs.RoleOf(ctx, tm.orgID, tm.vw); err == nil {
		t.Fatal("the viewer is still a member")
	}
	// A member may leave on their own.
	mustRedirect(t, tm.member.Post("/settings/members/"+tm.memberID+"/remove", nil), "/")
	if _, err := tm.a.Orgs.RoleOf(ctx, tm.orgID, tm.memberID); err == nil {
		t.Fatal("leaving did not work")
	}
	mustRedirect(t, tm.member.Get("/"), "/organizations/new")

	// Invitations: resend gives a new link, revoke ends it.
	p := b.Post("/settings/members", url.Values{"email": {"new@example.com"}, "role": {"viewer"}})
	mustRedirect(t, p, "/settings/members")
	invs, _ := tm.a.Orgs.Invitations(ctx, tm.orgID)
	if len(invs) != 1 {
		t.Fatalf("invitations: %d", len(invs))
	}
	page := b.Get("/settings/members")
	row := page.Find("tr[data-invitation=new@example.com]")
	if row == nil {
		t.Fatal("the invitation is not listed")
	}
	revoke := webtest.Find(row, "form[data-confirm]")
	if revoke == nil || !strings.HasSuffix(webtest.Attr(revoke, "action"), "/revoke") {
		t.Error("revoking does not ask first")
	}
	mustRedirect(t, b.Post("/settings/invitations/"+invs[0].ID+"/resend", nil), "/settings/members")
	invs2, _ := tm.a.Orgs.Invitations(ctx, tm.orgID)
	if len(invs2) != 1 || invs2[0].ID == invs[0].ID {
		t.Fatal("resending did not replace the invitation")
	}
	mustRedirect(t, b.Post("/settings/invitations/"+invs2[0].ID+"/revoke", nil), "/settings/members")
	if list, _ := tm.a.Orgs.Invitations(ctx, tm.orgID); len(list) != 0 {
		t.Fatal("the invitation is still pending")
	}
	if p := b.Get("/settings/members"); !strings.Contains(p.Text("main"), "No pending invitations") {
		t.Error("no empty state without invitations")
	}
	// Remove buttons ask first.
	for _, f := range webtest.FindAll(b.Get("/settings/members").Doc(), func(e *html.Node) bool {
		return e.Data == "form" && strings.HasSuffix(webtest.Attr(e, "action"), "/remove")
	}) {
		if webtest.Attr(f, "data-confirm") == "" {
			t.Errorf("%s does not ask first", webtest.Attr(f, "action"))
		}
	}
}

func TestInvitationPage(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	ctx := context.Background()
	visitor := newBrowser(t, tm.a)
	if p := visitor.Get("/invitations/accept?token=nope"); p.Status != 400 || !strings.Contains(p.Text("main"), "expired") {
		t.Fatalf("bad token: %d %s", p.Status, p.Text("main"))
	}
	mustRedirect(t, tm.owner.Post("/settings/members", url.Values{"email": {"ida@example.com"}, "role": {"member"}}), "/settings/members")
	link := mailLink(t, tm.a, "ida@example.com", "/invitations/accept")
	p := visitor.Get(link)
	if p.Status != 200 || !strings.Contains(p.Text("main"), "Olga Owner invited ida@example.com to work in Acme as member") {
		t.Fatalf("invitation page: %d %s", p.Status, p.Text("main"))
	}
	if p.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Error("the page with the token in its URL may leak it in Referer headers")
	}
	token, _ := url.Parse(link)
	signUp := p.Find("a[href^=/signup]")
	signIn := p.Find("a[href^=/signin]")
	if signUp == nil || !strings.Contains(webtest.Attr(signUp, "href"), url.QueryEscape(token.Query().Get("token"))) {
		t.Fatal("the sign-up link does not carry the invitation")
	}
	if signIn == nil || !strings.Contains(webtest.Attr(signIn, "href"), "next="+url.QueryEscape(link)) {
		t.Fatalf("the sign-in link does not come back here: %s", webtest.Attr(signIn, "href"))
	}

	// Someone with an account signs in and comes back to join.
	newAccount(t, tm.a, "Ida Insider", "ida@example.com")
	signin := visitor.Post("/signin", url.Values{"email": {"ida@example.com"}, "password": {testPassword}, "next": {link}})
	mustRedirect(t, signin, link)
	p = visitor.Get(link)
	form := p.Find("form[action=/invitations/accept]")
	if form == nil || webtest.Attr(p.Find("input[name=token]"), "value") != token.Query().Get("token") {
		t.Fatal("no join button for the signed-in person")
	}
	mustRedirect(t, visitor.Post("/invitations/accept", url.Values{"token": {token.Query().Get("token")}}), "/")
	if role, err := tm.a.Orgs.RoleOf(ctx, tm.orgID, userID(t, tm.a, "ida@example.com")); err != nil || role != org.Member {
		t.Fatalf("after joining: %q %v", role, err)
	}
	if visitor.Cookie("kite_org") != tm.orgID {
		t.Error("the joined organization is not the current one")
	}
	// The link works once.
	if p := visitor.Post("/invitations/accept", url.Values{"token": {token.Query().Get("token")}}); p.Status != 400 {
		t.Errorf("accepting twice: %d", p.Status)
	}
}

func TestAPIKeyIsShownOnce(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	p := tm.admin.Get("/settings/api-keys")
	if !strings.Contains(p.Text("main"), "No API keys yet") {
		t.Error("no empty state without keys")
	}
	// An admin may not make an owner key: the picker stops at admin.
	for _, o := range webtest.FindAll(p.Find("select#key-role"), webtest.Matcher("option")) {
		if webtest.Attr(o, "value") == "owner" {
			t.Error("an admin is offered an owner key")
		}
	}
	p = tm.admin.Post("/settings/api-keys", url.Values{"name": {"Zapier"}, "role": {"viewer"}})
	key := webtest.Attr(p.Find("input#new-key"), "value")
	if p.Status != http.StatusCreated || !strings.HasPrefix(key, "kite_") || p.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("created: %d %q %q", p.Status, key, p.Header.Get("Cache-Control"))
	}
	if b := p.Find("button[data-copy]"); b == nil || webtest.Attr(b, "data-copy") != "#new-key" {
		t.Error("no copy button for the key")
	}
	// The key works, and is never shown again.
	req, _ := http.NewRequest("GET", tm.a.URL()+"/api/v1/api-keys", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 403 { // a viewer key may not list keys
		t.Fatalf("using the key: %v %v", res, err)
	}
	p = tm.admin.Get("/settings/api-keys")
	if strings.Contains(p.Body, key) {
		t.Fatal("the list shows the whole key")
	}
	row := p.Find("tr[data-key=Zapier]")
	if row == nil || !strings.Contains(webtest.Text(row), key[:11]) || !strings.Contains(webtest.Text(row), "Viewer") {
		t.Fatalf("key row: %s", webtest.Text(row))
	}
	keys, _ := tm.a.Orgs.APIKeys(context.Background(), tm.orgID)
	revoke := webtest.Find(row, "form[data-confirm]")
	if revoke == nil || webtest.Attr(revoke, "action") != "/settings/api-keys/"+keys[0].ID+"/revoke" {
		t.Fatal("revoking does not ask first")
	}
	mustRedirect(t, tm.admin.Post("/settings/api-keys/"+keys[0].ID+"/revoke", nil), "/settings/api-keys")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 401 {
		t.Fatalf("a revoked key still works: %v", res.StatusCode)
	}
}

func TestAuditLogFiltersAndLoadsMore(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	ctx := context.Background()
	actor := org.Actor{UserID: tm.ownerID, Name: "Olga Owner", OrgID: tm.orgID, Role: org.Owner, Meta: identity.ClientMeta{IP: "10.1.2.3",
		UserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"}}
	for i := range 60 {
		if _, err := tm.a.Orgs.CreateAPIKey(ctx, actor, "key "+string(rune('a'+i%26)), org.Viewer); err != nil {
			t.Fatal(err)
		}
	}
	p := tm.admin.Get("/settings/audit-log")
	rows := webtest.FindAll(p.Doc(), webtest.Matcher("tr[data-action]"))
	if len(rows) != 50 {
		t.Fatalf("first page: %d rows", len(rows))
	}
	if got := webtest.Text(rows[0]); !strings.Contains(got, "Olga Owner") || !strings.Contains(got, "Created an API key") ||
		!strings.Contains(got, "10.1.2.3") || !strings.Contains(got, "Safari on macOS") {
		t.Errorf("newest entry reads %q", got)
	}
	more := p.Find("#audit-more a")
	if more == nil || !strings.Contains(webtest.Attr(more, "hx-get"), "cursor=") || webtest.Attr(more, "href") != webtest.Attr(more, "hx-get") {
		t.Fatal("no load-more link with a cursor (and a plain link without JavaScript)")
	}
	frag := tm.admin.Get(webtest.Attr(more, "hx-get"), "HX-Request", "true")
	if strings.Contains(frag.Body, "<html") || strings.Contains(frag.Body, "<nav") {
		t.Fatal("load more answered a whole page")
	}
	next := webtest.FindAll(webtest.Parse(t, "<table>"+frag.Body+"</table>"), webtest.Matcher("tr[data-action]"))
	// 60 keys + the team's sign-ups, joins and sign-ins: more than 60 in all.
	if len(next) == 0 || len(next) > 50 {
		t.Fatalf("second page: %d rows", len(next))
	}
	seen := map[string]bool{}
	for _, r := range rows {
		seen[webtest.Attr(r, "data-entry")] = true
	}
	for _, r := range next {
		if seen[webtest.Attr(r, "data-entry")] {
			t.Fatalf("the second page repeats entry %s", webtest.Attr(r, "data-entry"))
		}
	}

	p = tm.admin.Get("/settings/audit-log?" + url.Values{"action": {"member.added"}, "actor": {tm.ownerID}}.Encode())
	rows = webtest.FindAll(p.Doc(), webtest.Matcher("tr[data-action]"))
	if len(rows) != 3 {
		t.Fatalf("filtered by member.added: %d rows", len(rows))
	}
	for _, r := range rows {
		if webtest.Attr(r, "data-action") != "member.added" {
			t.Errorf("filtered row %s", webtest.Attr(r, "data-action"))
		}
	}
	if sel := p.Find("select#filter-action"); sel == nil {
		t.Fatal("no action filter")
	}
	p = tm.admin.Get("/settings/audit-log?action=member.added&actor=" + tm.vw)
	if !strings.Contains(p.Text("main"), "Nothing matches") {
		t.Error("no empty state for a filter without entries")
	}
	if p := tm.admin.Get("/settings/audit-log?cursor=garbage"); p.Status != 200 || len(webtest.FindAll(p.Doc(), webtest.Matcher("tr[data-action]"))) != 50 {
		t.Errorf("a broken cursor: %d", p.Status)
	}
}

func TestAccountSessionsAndQRCode(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	second := newBrowser(t, tm.a)
	second.SignIn("owner@example.com")
	p := tm.owner.Get("/account")
	rows := webtest.FindAll(p.Find("table#session-list"), webtest.Matcher("tbody"))
	if len(rows) != 1 || len(webtest.FindAll(rows[0], webtest.Matcher("tr"))) != 2 {
		t.Fatalf("sessions listed: %s", p.Text("#session-list"))
	}
	if !strings.Contains(p.Text("#session-list"), "This device") || !strings.Contains(p.Text("#session-list"), "Go program") {
		t.Errorf("sessions table: %s", p.Text("#session-list"))
	}
	if p.Find("form[action=/account/sessions/revoke-others]") == nil {
		t.Fatal("no sign out everywhere else")
	}
	mustRedirect(t, tm.owner.Post("/account/sessions/revoke-others", nil), "/account#sessions")
	mustRedirect(t, second.Get("/account"), "/signin?next=%2Faccount")
	if p := tm.owner.Get("/account"); p.Status != 200 {
		t.Fatalf("the current session ended too: %d", p.Status)
	}

	if p := tm.owner.Get("/account/mfa/qr.png"); p.Status != 404 {
		t.Errorf("QR code without a setup: %d", p.Status)
	}
	mustRedirect(t, tm.owner.Post("/account/mfa/setup", nil), "/account#mfa")
	qr := tm.owner.Get("/account/mfa/qr.png")
	if qr.Status != 200 || qr.Header.Get("Content-Type") != "image/png" || qr.Header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(qr.Body, "\x89PNG") {
		t.Fatalf("QR code: %d %q %q", qr.Status, qr.Header.Get("Content-Type"), qr.Header.Get("Cache-Control"))
	}
	p = tm.owner.Get("/account")
	if p.Text("#totp-secret") == "" || p.Find("img.qr") == nil {
		t.Fatal("the setup shows no secret or QR code")
	}
	if l := p.Find("a[href^=otpauth://totp/]"); l == nil || !strings.Contains(webtest.Attr(l, "href"), "secret="+p.Text("#totp-secret")) {
		t.Error("no otpauth link with the secret")
	}
	if in := p.Find("input#mfa-code"); webtest.Attr(in, "autocomplete") != "one-time-code" {
		t.Error("the code field lacks autocomplete=one-time-code")
	}
	p = tm.owner.Post("/account/mfa/enable", url.Values{"code": {"000000"}})
	if p.Status != http.StatusUnauthorized || p.Text("#mfa-code-error") == "" {
		t.Fatalf("wrong code: %d %q", p.Status, p.Text("#mfa-code-error"))
	}
	mustRedirect(t, tm.owner.Post("/account/mfa/cancel", nil), "/account")
	if p := tm.owner.Get("/account"); p.Find("form[action=/account/mfa/setup]") == nil {
		t.Error("cancelling the setup did not return to the start")
	}
}

// mailLink waits for a mail to someone and returns the path and query of
// its link to linkPath.
func mailLink(t *testing.T, a *app.App, to, linkPath string) string {
	t.Helper()
	for range 150 {
		for _, m := range a.Mailbox.List() {
			if m.To != to {
				continue
			}
			i := strings.Index(m.Text, linkPath+"?")
			if i < 0 {
				continue
			}
			link := m.Text[i:]
			if j := strings.IndexAny(link, " \n"); j >= 0 {
				link = link[:j]
			}
			return link
		}
		sleep()
	}
	t.Fatalf("no mail to %s with a %s link", to, linkPath)
	return ""
}
