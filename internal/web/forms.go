package web

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kite-crm/kite/internal/platform/httpx"
)

// Field describes one labelled form control for TextField and SelectField.
type Field struct {
	ID           string // defaults to Name
	Name         string
	Label        string
	Type         string // input type, "text" when empty
	Value        string
	Error        string // shown under the control, which is marked invalid
	Help         string
	Autocomplete string
	Placeholder  string
	InputMode    string
	List         string // id of a <datalist> with suggestions
	MaxLength    int
	Required     bool
	Autofocus    bool
	Disabled     bool
	ReadOnly     bool
	Options      []Option // choices of a SelectField
	Class        string   // extra classes of the field's wrapper
}

// Option is one choice of a SelectField.
type Option struct {
	Value, Label string
}

func (f Field) id() string {
	if f.ID != "" {
		return f.ID
	}
	return f.Name
}

func (f Field) inputType() string {
	if f.Type == "" {
		return "text"
	}
	return f.Type
}

// describedBy links the control to its help and error texts.
func (f Field) describedBy() string {
	var ids []string
	if f.Help != "" {
		ids = append(ids, f.id()+"-help")
	}
	if f.Error != "" {
		ids = append(ids, f.id()+"-error")
	}
	return strings.Join(ids, " ")
}

// FormErrors is what a refused form shows: a message next to each field the
// service named, and one for the form as a whole.
type FormErrors struct {
	Fields  map[string]string
	Message string
	Status  int
	Header  http.Header // e.g. Retry-After of a throttled attempt
}

// Field returns the message for a field, or "".
func (e FormErrors) Field(name string) string { return e.Fields[name] }

// Any reports whether there is anything to show.
func (e FormErrors) Any() bool { return e.Message != "" || len(e.Fields) > 0 }

// Set records a message for a field (the first one wins) and makes the
// answer a 422 unless it already has an error status.
func (e *FormErrors) Set(field, message string) {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = message
	}
	if e.Status == 0 {
		e.Status = http.StatusUnprocessableEntity
	}
}

// StatusOr is the status to answer with, or ok when there is no error.
func (e FormErrors) StatusOr(ok int) int {
	if e.Status != 0 {
		return e.Status
	}
	return ok
}

// ProblemErrors maps a service error to form errors. A problem whose errors
// are located at "body.<field>" gives a message per field (renamed by
// rename, when it has the field, to the form's own name); any other client
// error (4xx) becomes the form's message. It returns false for everything
// else, which is a failure of the server the caller logs.
func ProblemErrors(err error, rename map[string]string) (FormErrors, bool) {
	var se huma.StatusError
	if err == nil || !errors.As(err, &se) || se.GetStatus() < 400 || se.GetStatus() >= 500 {
		return FormErrors{}, false
	}
	out := FormErrors{Status: se.GetStatus()}
	var hh huma.HeadersError
	if errors.As(err, &hh) {
		out.Header = hh.GetHeaders()
	}
	var p *httpx.Problem
	if errors.As(err, &p) {
		for _, d := range p.Errors {
			if d == nil {
				continue
			}
			name, ok := strings.CutPrefix(d.Location, "body.")
			if !ok {
				continue
			}
			if to, ok := rename[name]; ok {
				name = to
			}
			out.Set(name, sentence(d.Message))
		}
	}
	if len(out.Fields) == 0 {
		out.Message = sentence(se.Error())
	}
	return out, true
}

// sentence capitalizes a message and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = strings.ToUpper(string(r)) + s[n:]
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
		s += "."
	}
	return s
}

// WriteErrorHeaders copies the extra headers of form errors (Retry-After).
func WriteErrorHeaders(w http.ResponseWriter, e FormErrors) {
	for k, vs := range e.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
}

// SafeNext returns next when it is a path on this site ("/settings?x=1"),
// and "" for anything that could lead elsewhere: absolute URLs,
// scheme-relative "//host", backslashes, control characters.
func SafeNext(next string) string {
	if next == "" || next[0] != '/' || len(next) > 2000 {
		return ""
	}
	if strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\") {
		return ""
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return ""
	}
	return next
}

// SignInPath is where a visitor goes to sign in; next (a local path) is
// where they return afterwards.
func SignInPath(next string) string {
	if next = SafeNext(next); next == "" || next == "/" {
		return "/signin"
	}
	return "/signin?" + url.Values{"next": {next}}.Encode()
}

// RequestPath is the path and query of r, for SignInPath.
func RequestPath(r *http.Request) string {
	return r.URL.RequestURI()
}

// IsHTMX reports whether htmx sent the request (it then wants a fragment).
func IsHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

// NoStore marks a response as not to be kept by the browser or proxies:
// every signed-in page, and pages that show a secret once.
func NoStore(w http.ResponseWriter) { w.Header().Set("Cache-Control", "no-store") }

// Flash is a one-time message shown as a toast on the next page, for
// example after a form's redirect.
type Flash struct {
	Kind    string // ToastSuccess, ToastInfo, ToastWarning or ToastError
	Message string
}

const flashCookie = "kite_flash"

// SetFlash keeps a message for the next page the browser opens.
func SetFlash(w http.ResponseWriter, r *http.Request, kind, message string) {
	if len(message) > 300 {
		message = message[:300]
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(kind + "\n" + message)),
		Path: "/", MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secureScheme(r)})
}

// TakeFlash returns the message SetFlash kept, once, or nil.
func TakeFlash(w http.ResponseWriter, r *http.Request) *Flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secureScheme(r)})
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || !utf8.Valid(raw) {
		return nil
	}
	kind, msg, ok := strings.Cut(string(raw), "\n")
	if !ok || strings.TrimSpace(msg) == "" {
		return nil
	}
	switch kind {
	case ToastSuccess, ToastInfo, ToastWarning, ToastError:
	default:
		kind = ToastInfo
	}
	return &Flash{Kind: kind, Message: msg}
}

func secureScheme(r *http.Request) bool {
	return r != nil && (r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
}

// Ago writes how long before now t was: "just now", "5 minutes ago",
// "3 hours ago", "yesterday", "4 days ago", then the date.
func Ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case t.IsZero():
		return "never"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 24*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	case d < 48*time.Hour:
		return "yesterday"
	case d < 30*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	}
	return Date(t, time.UTC)
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// Date writes a day, "Mar 14, 2026", in loc (UTC when nil).
func Date(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Jan 2, 2006")
}

// DateTime writes a moment to the minute, "Mar 14, 2026 15:09", in loc
// (UTC when nil).
func DateTime(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Jan 2, 2006 15:04")
}

// ISO writes t for a <time datetime> attribute.
func ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }
