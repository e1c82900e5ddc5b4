package app

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/kite-crm/kite/internal/identity"
	"github.com/kite-crm/kite/internal/platform/browsertest"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// uiTab drives one browser tab through Kite's pages as a person would.
type uiTab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func newUITab(t *testing.T, a *App) *uiTab {
	t.Helper()
	return &uiTab{t: t, ctx: browsertest.New(t, 55*time.Second), base: a.URL()}
}

func (u *uiTab) do(steps ...chromedp.Action[chromedp.Void]) {
	u.t.Helper()
	if err := chromedp.Do(u.ctx, steps...); err != nil {
		u.t.Fatal(err)
	}
}

// open loads a page of Kite by path (or a full URL).
func (u *uiTab) open(path string) {
	u.t.Helper()
	if !strings.HasPrefix(path, "http") {
		path = u.base + path
	}
	u.do(chromedp.Navigate(path), chromedp.WaitReady(chromedp.CSS("body")))
}

// fill replaces the value of an input with text, typed.
func (u *uiTab) fill(sel, text string) {
	u.t.Helper()
	u.do(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// click clicks sel as a person would. A live page may redraw the node
// between finding it and clicking it; then the click is tried again on
// the node that replaced it.
func (u *uiTab) click(sel string) {
	u.t.Helper()
	for try := 1; ; try++ {
		err := chromedp.Do(u.ctx, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
		if err == nil {
			return
		}
		if try == 5 || !nodeGone(err) {
			u.t.Fatalf("click %s: %v", sel, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// eval runs JavaScript in the page, trying again while a navigation
// replaces the page under it.
func (u *uiTab) eval(js string) string {
	u.t.Helper()
	var last error
	for range 20 {
		v, err := chromedp.Run(u.ctx, chromedp.Evaluate[any](js))
		if err == nil {
			return fmt.Sprint(v)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	u.t.Fatalf("evaluate %s: %v", js, last)
	return ""
}

// waitFor polls js until it is true.
func (u *uiTab) waitFor(what, js string) {
	u.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for u.eval("!!("+js+")") != "true" {
		if time.Now().After(deadline) {
			u.t.Fatalf("timed out waiting for %s; the page is %s:\n%s", what, u.eval("location.href"), u.text("body"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// settle waits until sel has stopped changing: no htmx request in flight
// and the same markup over three looks 150 ms apart. A live page redraws
// parts of itself after events; a click in the middle of a redraw can land
// on a node that is about to go, or on one htmx has not wired up yet.
func (u *uiTab) settle(sel string) {
	u.t.Helper()
	look := `(function(){var e=document.querySelector(` + jsString(sel) + `);` +
		`return document.querySelector(".htmx-request")?"busy":(e?e.outerHTML:"")})()`
	deadline := time.Now().Add(10 * time.Second)
	last, same := "", 0
	for same < 3 {
		if time.Now().After(deadline) {
			u.t.Fatalf("%s kept changing for 10 s", sel)
		}
		cur := u.eval(look)
		if cur != "busy" && cur == last {
			same++
		} else {
			same = 1
		}
		last = cur
		time.Sleep(150 * time.Millisecond)
	}
}

// waitPage waits until the browser shows path (without query) and the
// page has loaded.
func (u *uiTab) waitPage(path string) {
	u.t.Helper()
	u.waitFor("the page "+path, `location.pathname === "`+path+`" && document.readyState === "complete"`)
}

// text reads the text of sel, again on the replacing node when a live
// page redraws it while it is read.
func (u *uiTab) text(sel string) string {
	u.t.Helper()
	for try := 1; ; try++ {
		s, err := chromedp.Run(u.ctx, chromedp.Text(chromedp.CSS(sel)))
		if err == nil {
			return s
		}
		if try == 5 || !nodeGone(err) {
			u.t.Fatalf("text of %s: %v", sel, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// nodeGone reports the browser's answer about a node that a redraw removed
// between finding it and acting on it.
func nodeGone(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Could not find node") || strings.Contains(msg, "No node with given id")
}

// mustSee fails unless the element holds every text.
func (u *uiTab) mustSee(sel string, texts ...string) {
	u.t.Helper()
	got := u.text(sel)
	for _, want := range texts {
		if !strings.Contains(got, want) {
			u.t.Fatalf("%s does not say %q; it says:\n%s", sel, want, got)
		}
	}
}

// toastSays waits for a toast with the text.
func (u *uiTab) toastSays(text string) {
	u.t.Helper()
	u.waitFor("a toast saying "+text, `[...document.querySelectorAll("#toasts .toast")].some(t => t.textContent.includes(`+jsString(text)+`))`)
}

// noPageErrors fails the test for script errors and CSP violations.
func (u *uiTab) noPageErrors() {
	u.t.Helper()
	errs, err := browsertest.PageErrors(u.ctx)
	if err != nil {
		u.t.Fatal(err)
	}
	for _, e := range errs {
		u.t.Errorf("page %s: %s", u.eval("location.pathname"), e)
	}
}

// signIn signs in through the sign-in page and waits for the next page.
func (u *uiTab) signIn(email, password, landing string) {
	u.t.Helper()
	u.open("/signin")
	u.fill("#email", email)
	u.fill("#password", password)
	u.click("form[action='/signin'] button[type=submit]")
	u.waitPage(landing)
}

// signOut uses the user menu.
func (u *uiTab) signOut() {
	u.t.Helper()
	u.click(".user-menu summary")
	u.click(".user-menu form[action='/signout'] button")
	u.waitPage("/signin")
	u.toastSays("You are signed out.")
}

func jsString(s string) string { return fmt.Sprintf("%q", s) }

// mailLink waits for a mail to someone whose subject contains subject and
// returns the path and query of its link to linkPath.
func mailLink(t *testing.T, a *App, to, subject, linkPath string) string {
	t.Helper()
	re := regexp.MustCompile(`https?://\S+` + regexp.QuoteMeta(linkPath) + `\?\S+`)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range a.Mailbox.List() {
			if m.To == to && strings.Contains(m.Subject, subject) {
				link := re.FindString(m.Text)
				if link == "" {
					t.Fatalf("the mail %q has no %s link:\n%s", m.Subject, linkPath, m.Text)
				}
				u, err := url.Parse(link)
				if err != nil {
					t.Fatal(err)
				}
				return u.RequestURI()
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no mail %q to %s arrived", subject, to)
	return ""
}

func webSessions(t *testing.T, a *App, userID string) int {
	t.Helper()
	list, err := a.Identity.Sessions(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range list {
		if s.Kind == identity.SessionWeb {
			n++
		}
	}
	return n
}

// Sign up lands on the new organization's dashboard with its checklist;
// signing out ends the session, and signing in again (from a page that
// needed it) returns to that page.
func TestBrowserSignUpSignOutSignIn(t *testing.T) {
	t.Parallel()
	a := startApp(t, testConfig(t, dbtest.New(t, db.SQLite, true)))
	u := newUITab(t, a)

	u.open("/")
	u.waitPage("/signin")
	u.click("a[href='/signup']")
	u.waitPage("/signup")
	// A refused form keeps what was typed and says what is wrong, per field.
	u.fill("#name", "Ann Archer")
	u.fill("#email", "not-an-email")
	u.fill("#password", "short")
	u.click("form[action='/signup'] button[type=submit]")
	u.waitFor("field errors", `document.querySelector("#email-error") && document.querySelector("#password-error") && document.querySelector("#organization_name-error")`)
	if got := u.eval(`document.querySelector("#name").value`); got != "Ann Archer" {
		t.Fatalf("the name was not kept: %q", got)
	}
	u.fill("#email", "ann@example.com")
	u.fill("#password", testPassword)
	u.fill("#organization_name", "Archer Trading")
	u.click("form[action='/signup'] button[type=submit]")
	u.waitPage("/")
	u.toastSays("Welcome to Kite")
	u.mustSee("main", "Welcome, Ann", "Archer Trading", "Get started", "0 of 3 done", "Invite a teammate", "Connect Telegram", "Import contacts", "Coming soon")
	if n := u.eval(`document.querySelectorAll("#checklist [data-done]").length`); n != "0" {
		t.Errorf("%s steps are done on a new organization", n)
	}
	if href := u.eval(`document.querySelector("#checklist a").getAttribute("href")`); href != "/settings/members" {
		t.Errorf("the invite step links to %q", href)
	}
	if n := u.eval(`[...document.querySelectorAll("#checklist a")].length`); n != "1" {
		t.Errorf("%s links in the checklist; the steps that are not built yet must not link anywhere", n)
	}
	u.mustSee(".org-switcher summary", "Archer Trading")

	acct, err := a.Identity.UserByEmail(context.Background(), "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if n := webSessions(t, a, acct.ID); n != 1 {
		t.Fatalf("%d web sessions after sign-up", n)
	}
	u.signOut()
	if n := webSessions(t, a, acct.ID); n != 0 {
		t.Fatalf("the session was not ended server-side: %d open", n)
	}

	// A page that needs a session sends to sign in, and back after.
	u.open("/settings/members")
	u.waitPage("/signin")
	u.fill("#email", "ann@example.com")
	u.fill("#password", "wrong password")
	u.click("form[action='/signin'] button[type=submit]")
	u.waitFor("the refusal", `document.querySelector(".alert-danger")`)
	u.mustSee(".alert-danger", "The email or password is wrong.")
	u.fill("#password", testPassword)
	u.click("form[action='/signin'] button[type=submit]")
	u.waitPage("/settings/members")
	u.mustSee("#members", "Ann Archer", "ann@example.com", "Owner")
	u.noPageErrors()
}

// Two-factor authentication is turned on in the account settings with a
// code computed from the secret on the page; afterwards, signing in needs
// a code, and the password alone starts no session.
func TestBrowserMFA(t *testing.T) {
	t.Parallel()
	a := startApp(t, testConfig(t, dbtest.New(t, db.SQLite, true)))
	acc := newClient(t, a).signUp("mia@example.com", "Mia's")
	u := newUITab(t, a)
	u.signIn(acc.Email, acc.Password, "/")

	u.click(".user-menu summary")
	u.click(".user-menu a[href='/account']")
	u.waitPage("/account")
	u.click("form[action='/account/mfa/setup'] button")
	u.waitFor("the setup", `document.querySelector("#totp-secret")`)
	u.waitFor("the QR code", `document.querySelector("img.qr").complete && document.querySelector("img.qr").naturalWidth > 100`)
	secret := strings.TrimSpace(u.text("#totp-secret"))
	if len(secret) < 16 {
		t.Fatalf("secret on the page: %q", secret)
	}
	u.fill("#mfa-code", "123")
	u.click("form[action='/account/mfa/enable'] button[type=submit]")
	u.waitFor("the code error", `document.querySelector("#mfa-code-error")`)
	now := time.Now()
	code, err := totp.GenerateCode(secret, now)
	if err != nil {
		t.Fatal(err)
	}
	u.fill("#mfa-code", code)
	u.click("form[action='/account/mfa/enable'] button[type=submit]")
	u.waitFor("the recovery codes", `document.querySelectorAll("#recovery-codes li").length > 0`)
	if n := u.eval(`document.querySelectorAll("#recovery-codes li").length`); n != "10" {
		t.Fatalf("%s recovery codes shown, want 10", n)
	}
	u.mustSee("#mfa", "On")
	u.signOut()

	u.signIn(acc.Email, acc.Password, "/signin/code")
	if n := webSessions(t, a, acc.UserID); n != 0 {
		t.Fatalf("the password step opened %d sessions", n)
	}
	u.fill("#code", "000000")
	u.click("form[action='/signin/code'] button[type=submit]")
	u.waitFor("the refusal", `document.querySelector("#code-error")`)
	// The code of the enabling step is spent; the next one is accepted.
	next, err := totp.GenerateCode(secret, now.Add(identity.TOTPPeriod))
	if err != nil {
		t.Fatal(err)
	}
	u.fill("#code", next)
	u.click("form[action='/signin/code'] button[type=submit]")
	u.waitPage("/")
	u.mustSee("main", "Welcome, User")
	if n := webSessions(t, a, acc.UserID); n != 1 {
		t.Fatalf("%d web sessions after the code step", n)
	}
	u.noPageErrors()
}

// A forgotten password is reset through the mailed link, which works once.
func TestBrowserPasswordReset(t *testing.T) {
	t.Parallel()
	a := startApp(t, testConfig(t, dbtest.New(t, db.SQLite, true)))
	acc := newClient(t, a).signUp("rob@example.com", "Rob's")
	u := newUITab(t, a)

	u.open("/signin")
	u.click("a[href='/forgot-password']")
	u.waitPage("/forgot-password")
	u.fill("#email", acc.Email)
	u.click("form[action='/forgot-password'] button[type=submit]")
	u.waitFor("the confirmation", `document.querySelector("h1").textContent.includes("Check your email")`)

	link := mailLink(t, a, acc.Email, "Reset your Kite password", "/reset-password")
	u.open(link)
	u.fill("#password", "short")
	u.click("form[action='/reset-password'] button[type=submit]")
	u.waitFor("the password error", `document.querySelector("#password-error")`)
	const newPassword = "a brand new passphrase"
	u.fill("#password", newPassword)
	u.click("form[action='/reset-password'] button[type=submit]")
	u.waitPage("/signin")
	u.toastSays("Your password was changed")

	u.fill("#email", acc.Email)
	u.fill("#password", acc.Password)
	u.click("form[action='/signin'] button[type=submit]")
	u.waitFor("the refusal of the old password", `document.querySelector(".alert-danger")`)
	u.signIn(acc.Email, newPassword, "/")

	u.open(link)
	u.mustSee("main", "This link has expired")
	if n := u.eval(`document.querySelectorAll("input[name=password]").length`); n != "0" {
		t.Fatal("a used link still offers the password form")
	}
	u.noPageErrors()
}

// An owner invites a teammate by email; the teammate follows the mailed
// link, signs up, and is a member; the owner changes their role, then
// removes them after confirming.
func TestBrowserInviteMember(t *testing.T) {
	t.Parallel()
	a := startApp(t, testConfig(t, dbtest.New(t, db.SQLite, true)))
	owner := newClient(t, a).signUp("olga@example.com", "Olga Imports")
	u := newUITab(t, a)
	u.signIn(owner.Email, owner.Password, "/")
	u.click("#checklist a[href='/settings/members']")
	u.waitPage("/settings/members")
	u.mustSee("main", "No pending invitations")

	u.fill("#invite-email", "bo@example.com")
	u.do(chromedp.SetValue(chromedp.CSS("#invite-role"), "admin"))
	u.click("#invite-form button[type=submit]")
	u.waitPage("/settings/members")
	u.toastSays("Invitation sent to bo@example.com.")
	u.mustSee("#invitations", "bo@example.com", "Admin")
	u.open("/")
	if n := u.eval(`document.querySelectorAll("#checklist [data-done]").length`); n != "1" {
		t.Errorf("the invite step is not done with a pending invitation (%s done)", n)
	}
	u.signOut()

	link := mailLink(t, a, "bo@example.com", "You are invited to Olga Imports", "/invitations/accept")
	u.open(link)
	u.mustSee("main", "Join Olga Imports on Kite", "bo@example.com", "admin")
	u.click("a[href^='/signup']")
	u.waitPage("/signup")
	if n := u.eval(`document.querySelectorAll("#organization_name").length`); n != "0" {
		t.Error("joining by invitation still asks for an organization name")
	}
	if got := u.eval(`document.querySelector("#email").value`); got != "bo@example.com" {
		t.Errorf("the email is not filled in from the invitation: %q", got)
	}
	u.fill("#name", "Bo Brandt")
	u.fill("#password", testPassword)
	u.click("form[action='/signup'] button[type=submit]")
	u.waitPage("/")
	u.mustSee("main", "Welcome, Bo", "Olga Imports")
	u.mustSee(".org-switcher", "Olga Imports")
	u.signOut()

	u.signIn(owner.Email, owner.Password, "/")
	u.open("/settings/members")
	const bo = `tr[data-member="bo@example.com"]`
	u.mustSee(bo, "Bo Brandt", "bo@example.com")
	if n := u.eval(`document.querySelectorAll("#invitations tr[data-invitation]").length`); n != "0" {
		t.Errorf("the accepted invitation is still pending")
	}
	u.do(chromedp.SetValue(chromedp.CSS(bo+" select"), "viewer"))
	u.click(bo + " form[action$='/role'] button")
	u.waitPage("/settings/members")
	u.toastSays("Bo Brandt is now viewer.")
	if got := u.eval(`document.querySelector('` + bo + ` select').value`); got != "viewer" {
		t.Fatalf("role after the change: %q", got)
	}

	// Removing asks first; cancelling keeps the member.
	u.click(bo + " form[action$='/remove'] button")
	u.waitFor("the confirmation dialog", `document.querySelector("#kite-confirm") && document.querySelector("#kite-confirm").open`)
	u.mustSee("#kite-confirm", "Remove Bo Brandt from Olga Imports?")
	u.click("#kite-confirm .btn-secondary")
	time.Sleep(300 * time.Millisecond)
	if n := u.eval(`document.querySelectorAll('` + bo + `').length`); n != "1" {
		t.Fatal("cancelling the confirmation removed the member")
	}
	u.click(bo + " form[action$='/remove'] button")
	u.waitFor("the confirmation dialog", `document.querySelector("#kite-confirm").open`)
	u.click("#kite-confirm .btn-danger")
	u.toastSays("Bo Brandt was removed from Olga Imports.")
	if n := u.eval(`document.querySelectorAll('` + bo + `').length`); n != "0" {
		t.Fatal("the removed member is still listed")
	}
	u.noPageErrors()
}

// TestBrowserScreenshots saves pictures of the account and organization
// pages for a person to look at, in light mode at 1280 px and at 400 px
// wide, into the directory named by KITE_SCREENSHOTS. Without it, it is
// skipped.
func TestBrowserScreenshots(t *testing.T) {
	dir := os.Getenv("KITE_SCREENSHOTS")
	if dir == "" {
		t.Skip("set KITE_SCREENSHOTS to a directory to take screenshots of the pages")
	}
	a := startApp(t, testConfig(t, dbtest.New(t, db.SQLite, true)))
	api := newClient(t, a)
	owner := api.signUp("olga@example.com", "Olga Imports")
	member := api.signUp("max@example.com", "")
	api.as(owner.Access, owner.OrgID).must(201, "POST", "/organizations/"+owner.OrgID+"/members", map[string]any{"email": member.Email, "role": "member"})
	api.as(owner.Access, owner.OrgID).must(201, "POST", "/organizations/"+owner.OrgID+"/members", map[string]any{"email": "pending@example.com", "role": "viewer"})
	api.as(owner.Access, owner.OrgID).must(201, "POST", "/api-keys", map[string]any{"name": "Website form", "role": "member"})
	u := newUITab(t, a)
	shoot := func(name string) {
		t.Helper()
		for _, width := range []int64{1280, 400} {
			// The whole page at once: a viewport as tall as the page.
			u.do(chromedp.EmulateViewport(width, 900))
			height, err := chromedp.Run(u.ctx, chromedp.Evaluate[int64](`Math.max(900, document.documentElement.scrollHeight)`))
			if err != nil {
				t.Fatal(err)
			}
			u.do(chromedp.EmulateViewport(width, height))
			u.eval(`window.scrollTo(0, 0); 1`)
			time.Sleep(150 * time.Millisecond)
			png, err := chromedp.Run(u.ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width)), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		u.do(chromedp.EmulateViewport(1280, 900))
	}
	u.open("/signin")
	u.eval(`localStorage.setItem("kite-theme", "light"); 1`)
	u.open("/signin")
	shoot("signin")
	u.open("/signup")
	u.click("form[action='/signup'] button[type=submit]")
	u.waitFor("the errors", `document.querySelector("#name-error")`)
	shoot("signup-errors")
	invite := mailLink(t, a, "pending@example.com", "You are invited", "/invitations/accept")
	u.open(invite)
	shoot("invitation")
	u.open("/signup?" + url.Values{"next": {invite}}.Encode())
	shoot("signup-invitation")
	u.open("/forgot-password")
	shoot("forgot")
	u.signIn(owner.Email, owner.Password, "/")
	shoot("dashboard")
	u.click(".org-switcher summary")
	shoot("switcher")
	u.open("/settings/organization")
	shoot("org-settings")
	u.open("/settings/members")
	shoot("members")
	u.open("/settings/api-keys")
	u.fill("#key-name", "Zapier")
	u.click("form[action='/settings/api-keys'] button[type=submit]")
	u.waitFor("the new key", `document.querySelector("#new-key")`)
	shoot("api-keys")
	u.open("/settings/audit-log")
	shoot("audit")
	u.open("/account")
	u.click("form[action='/account/mfa/setup'] button")
	u.waitFor("the QR code", `document.querySelector("img.qr") && document.querySelector("img.qr").complete`)
	shoot("account")
	u.open("/organizations/new")
	shoot("new-org")
	u.open("/account")
	code, _ := totp.GenerateCode(strings.TrimSpace(u.text("#totp-secret")), time.Now())
	u.fill("#mfa-code", code)
	u.click("form[action='/account/mfa/enable'] button[type=submit]")
	u.waitFor("the recovery codes", `document.querySelector("#recovery-codes")`)
	shoot("recovery-codes")
	u.signOut()
	u.signIn(owner.Email, owner.Password, "/signin/code")
	shoot("code-step")
	u.open("/reset-password?token=spent")
	shoot("reset-invalid")
	u.signIn(member.Email, member.Password, "/")
	u.open("/settings/organization")
	shoot("org-settings-member")
	u.open("/settings/audit-log")
	shoot("forbidden")
	u.noPageErrors()
}
