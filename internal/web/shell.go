package web

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/a-h/templ"
)

// Shell is the frame a signed-in person sees around every application page:
// the organization switcher and the user menu in the top bar. Pages of
// visitors who are not signed in (the status page, not found) have none.
type Shell struct {
	UserName  string
	UserEmail string
	// Org is the organization the page acts in; its ID is empty for a
	// person who belongs to no organization yet.
	Org ShellOrg
	// Orgs are every organization of the person, for the switcher.
	Orgs []ShellOrg
	// Settings lists the settings pages the person's role may open, in
	// order; the Settings navigation item links to the first.
	Settings []SettingsLink
	// Since is the realtime replay position of when the page was drawn:
	// the page's socket asks for the events from then on.
	Since string
}

// ShellOrg is one organization in the switcher.
type ShellOrg struct {
	ID, Name, Role string
}

// SettingsLink is one tab of the organization settings.
type SettingsLink struct {
	Key, Label, Href string
}

// HasOrg reports whether the person acts in an organization.
func (s *Shell) HasOrg() bool { return s != nil && s.Org.ID != "" }

// OrgSwitchPath receives the switcher's form: field org_id.
const OrgSwitchPath = "/organizations/switch"

// Initials are up to two letters standing for a name in the avatar.
func Initials(name string) string {
	var out []rune
	for _, w := range strings.Fields(name) {
		r, _ := utf8.DecodeRuneInString(w)
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			out = append(out, unicode.ToUpper(r))
		}
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// settingsHref is where the Settings navigation item leads.
func settingsHref(s *Shell) string {
	if s != nil && len(s.Settings) > 0 {
		return s.Settings[0].Href
	}
	return "/settings/organization"
}

// orgLabel is what the switcher shows for the current organization.
func orgLabel(s *Shell) string {
	if s.Org.Name != "" {
		return s.Org.Name
	}
	return "No organization"
}

// toastKind keeps a kind kite.js knows.
func toastKind(kind string) string {
	switch kind {
	case ToastSuccess, ToastWarning, ToastError:
		return kind
	}
	return ToastInfo
}

func noticeKind(kind string) string {
	switch kind {
	case "success", "warning", "danger", "info":
		return kind
	}
	return "info"
}

// Current marks the link to the page being shown (aria-current="page"),
// spread into a link's attributes: { web.Current(on)... }. A bare
// aria-current attribute would mean "not current" to assistive technology.
func Current(on bool) templ.Attributes {
	if on {
		return templ.Attributes{"aria-current": "page"}
	}
	return nil
}
