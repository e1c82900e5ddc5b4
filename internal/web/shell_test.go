package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"
	"github.com/danielgtaylor/huma/v2"
	"golang.org/x/net/html"

	"github.com/kite-crm/kite/internal/platform/httpx"
	"github.com/kite-crm/kite/internal/web/webtest"
)

// testShell is a signed-in owner of two organizations, acting in the second.
func testShell() *Shell {
	return &Shell{
		UserName: "Ann <b>Archer</b>", UserEmail: "ann@example.com",
		Org:  ShellOrg{ID: "o2", Name: "Beta & Co", Role: "admin"},
		Orgs: []ShellOrg{{ID: "o1", Name: "Acme", Role: "owner"}, {ID: "o2", Name: "Beta & Co", Role: "admin"}},
		Settings: []SettingsLink{
			{Key: "members", Label: "Members", Href: "/settings/members"},
		},
	}
}

// componentPages are the pages drawn from this package's components with
// a shell, a flash message and forms, as the product packages use them.
func componentPages() map[string]templ.Component {
	page := Page{Title: "Members", Active: "settings", Shell: testShell(), Flash: &Flash{Kind: ToastSuccess, Message: "Saved <now>"}}
	form := templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		for _, c := range []templ.Component{
			FormAlert("The form is wrong."),
			TextField(Field{Name: "email", Label: "Email", Type: "email", Value: "x", Error: "Not an email.", Help: "Your address.", Required: true, Autofocus: true}),
			TextField(Field{Name: "password", Label: "Password", Type: "password", Value: "secret"}),
			SelectField(Field{Name: "role", Label: "Role", Value: "b", Options: []Option{{"a", "A"}, {"b", "B"}}}),
			SubmitButton("Save", "btn-primary"),
			CopyButton("#x", "Copy"),
		} {
			if err := c.Render(ctx, w); err != nil {
				return err
			}
		}
		return nil
	})
	return map[string]templ.Component{
		"layout with shell": Layout(page),
		"form": templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			return Layout(page).Render(templ.WithChildren(ctx, form), w)
		}),
		"forbidden": ForbiddenPage(page, "Your role cannot."),
		"error":     ErrorPage(page, "404", "Not found", "Gone."),
		"auth":      AuthLayout(AuthPage{Title: "Sign in", Description: "Welcome back.", Flash: &Flash{Kind: ToastError, Message: "No."}}),
	}
}

func renderDoc(t *testing.T, c templ.Component) *html.Node {
	t.Helper()
	rec := httptest.NewRecorder()
	Render(rec, httptest.NewRequest(http.MethodGet, "/x", nil), http.StatusOK, c)
	if rec.Code != http.StatusOK {
		t.Fatalf("render: status %d", rec.Code)
	}
	return webtest.Parse(t, rec.Body.String())
}

func TestShellInTheTopBar(t *testing.T) {
	t.Parallel()
	doc := renderDoc(t, Layout(Page{Title: "X", Shell: testShell()}))
	switcher := webtest.Find(doc, "details.org-switcher")
	if switcher == nil || !strings.Contains(webtest.Text(webtest.Find(switcher, "summary")), "Beta & Co") {
		t.Fatal("the switcher does not show the current organization")
	}
	forms := webtest.FindAll(switcher, webtest.Matcher("form"))
	if len(forms) != 2 {
		t.Fatalf("switcher has %d organization forms, want 2", len(forms))
	}
	for i, want := range []string{"o1", "o2"} {
		f := forms[i]
		if webtest.Attr(f, "method") != "post" || webtest.Attr(f, "action") != OrgSwitchPath {
			t.Errorf("switch form %d posts to %s %s", i, webtest.Attr(f, "method"), webtest.Attr(f, "action"))
		}
		if id := webtest.Find(f, "input[name=org_id]"); id == nil || webtest.Attr(id, "value") != want {
			t.Errorf("switch form %d does not carry org %s", i, want)
		}
	}
	if cur := webtest.FindAll(switcher, webtest.Matcher("[aria-current]")); len(cur) != 1 || !strings.Contains(webtest.Text(cur[0]), "Beta") {
		t.Error("the current organization is not the one marked")
	}
	if !strings.Contains(webtest.Text(switcher), "owner") || webtest.Find(switcher, "a[href=/organizations/new]") == nil {
		t.Error("the switcher lacks roles or the link to create an organization")
	}
	menu := webtest.Find(doc, "details.user-menu")
	if menu == nil || webtest.Find(menu, "a[href=/account]") == nil {
		t.Fatal("the user menu does not link to the account")
	}
	if f := webtest.Find(menu, "form[action=/signout]"); f == nil || webtest.Attr(f, "method") != "post" {
		t.Error("sign out is not a POST form")
	}
	if webtest.Find(doc, "b") != nil {
		t.Error("the user name was not escaped")
	}
	settings := webtest.FindAll(doc, func(e *html.Node) bool { return e.Data == "a" && webtest.Text(e) == "Settings" })
	if len(settings) != 1 || webtest.Attr(settings[0], "href") != "/settings/members" {
		t.Error("the Settings item does not lead to the first settings page the role may open")
	}
}

func TestLayoutWithoutShellHasNoMenus(t *testing.T) {
	t.Parallel()
	doc := renderDoc(t, Layout(Page{Title: "X"}))
	if webtest.Find(doc, "details.menu") != nil {
		t.Error("a page for visitors shows the signed-in menus")
	}
}

func TestFlashIsAToast(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/x", nil)
	SetFlash(rec, req, ToastSuccess, "Saved <b>it</b>")
	next := httptest.NewRequest(http.MethodGet, "/y", nil)
	for _, c := range rec.Result().Cookies() {
		next.AddCookie(c)
		if !c.HttpOnly || c.MaxAge <= 0 || c.MaxAge > 300 {
			t.Errorf("flash cookie %+v: want HttpOnly and short-lived", c)
		}
	}
	rec2 := httptest.NewRecorder()
	f := TakeFlash(rec2, next)
	if f == nil || f.Kind != ToastSuccess || f.Message != "Saved <b>it</b>" {
		t.Fatalf("TakeFlash = %+v", f)
	}
	if cleared := rec2.Result().Cookies(); len(cleared) != 1 || cleared[0].MaxAge >= 0 {
		t.Errorf("the flash was not cleared: %+v", cleared)
	}
	doc := renderDoc(t, Layout(Page{Title: "X", Flash: f}))
	toast := webtest.Find(webtest.Find(doc, "#toasts"), "[data-toast]")
	if toast == nil || webtest.Attr(toast, "data-toast") != "success" || webtest.Text(webtest.Find(toast, ".toast-message")) != "Saved <b>it</b>" {
		t.Fatal("the flash is not drawn as an escaped success toast")
	}
	bad := httptest.NewRequest(http.MethodGet, "/y", nil)
	bad.AddCookie(&http.Cookie{Name: flashCookie, Value: "%%%"})
	if f := TakeFlash(httptest.NewRecorder(), bad); f != nil {
		t.Errorf("a garbled flash cookie gave %+v", f)
	}
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/settings/members":        "/settings/members",
		"/invitations/accept?t=1":  "/invitations/accept?t=1",
		"":                         "",
		"https://evil.example/":    "",
		"//evil.example/x":         "",
		"/\\evil.example":          "",
		"javascript:alert(1)":      "",
		"settings":                 "",
		"/x\r\nSet-Cookie: a=b":    "",
		"/%2F%2Fevil.example":      "/%2F%2Fevil.example",
		"http:/evil.example":       "",
		"/ok?next=//evil.example/": "/ok?next=//evil.example/",
	} {
		if got := SafeNext(in); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", in, got, want)
		}
	}
	if got := SignInPath("/settings/members?x=1"); got != "/signin?next=%2Fsettings%2Fmembers%3Fx%3D1" {
		t.Errorf("SignInPath = %q", got)
	}
	if got := SignInPath("https://evil.example"); got != "/signin" {
		t.Errorf("SignInPath of a foreign URL = %q", got)
	}
}

func TestProblemErrors(t *testing.T) {
	t.Parallel()
	p := httpx.NewProblem(http.StatusUnprocessableEntity, "invalid", "bad")
	p.Errors = []*huma.ErrorDetail{{Location: "body.email", Message: "this is not an email"}, {Location: "body.name", Message: "Required."}}
	fe, ok := ProblemErrors(p, map[string]string{"name": "full_name"})
	if !ok || fe.Status != 422 || fe.Field("email") != "This is not an email." || fe.Field("full_name") != "Required." || fe.Message != "" {
		t.Fatalf("field problem: %+v %v", fe, ok)
	}
	fe, ok = ProblemErrors(httpx.NewProblem(http.StatusUnauthorized, "invalid_credentials", "The email or password is wrong."), nil)
	if !ok || fe.Status != 401 || fe.Message != "The email or password is wrong." || len(fe.Fields) != 0 {
		t.Fatalf("form problem: %+v %v", fe, ok)
	}
	if _, ok := ProblemErrors(errors.New("disk on fire"), nil); ok {
		t.Error("a plain error was taken for bad input")
	}
	if _, ok := ProblemErrors(httpx.NewProblem(http.StatusServiceUnavailable, "", "down"), nil); ok {
		t.Error("a 503 was taken for bad input")
	}
}

func TestFieldMarksErrors(t *testing.T) {
	t.Parallel()
	doc := renderDoc(t, TextField(Field{Name: "email", Label: "Email", Value: "x", Error: "Not an email.", Help: "Yours.", Autocomplete: "email", Autofocus: true}))
	in := webtest.Find(doc, "input#email")
	if in == nil || webtest.Attr(in, "aria-invalid") != "true" || webtest.Attr(in, "aria-describedby") != "email-help email-error" ||
		webtest.Attr(in, "autocomplete") != "email" || !webtest.HasAttr(in, "autofocus") || webtest.Attr(in, "value") != "x" {
		t.Fatalf("input: %v", in.Attr)
	}
	if e := webtest.Find(doc, "#email-error"); webtest.Text(e) != "Not an email." {
		t.Error("no error message under the field")
	}
	if l := webtest.Find(doc, "label[for=email]"); webtest.Text(l) != "Email" {
		t.Error("no label for the field")
	}
	pw := renderDoc(t, TextField(Field{Name: "password", Label: "Password", Type: "password", Value: "secret"}))
	if strings.Contains(webtest.Attr(webtest.Find(pw, "input"), "value"), "secret") {
		t.Error("a password field echoes its value")
	}
}

func TestAgo(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		10 * time.Second: "just now", time.Minute: "1 minute ago", 5 * time.Minute: "5 minutes ago",
		3 * time.Hour: "3 hours ago", 30 * time.Hour: "yesterday", 4 * 24 * time.Hour: "4 days ago", 60 * 24 * time.Hour: "Jan 13, 2026",
	} {
		if got := Ago(now.Add(-d), now); got != want {
			t.Errorf("Ago(-%s) = %q, want %q", d, got, want)
		}
	}
	if Initials("ann marie archer") != "AM" || Initials("  ") != "?" || Initials("Ürsula") != "Ü" {
		t.Error("Initials")
	}
}
