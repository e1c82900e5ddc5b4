// Package web holds what every page of Kite shares: the layout and navigation,
// the design system and static files (served with content-hashed URLs), small
// reusable components, and the pages that belong to no product area: system
// status, not found, and the API reference.
//
// Product packages render their pages inside the layout:
//
//	templ ContactsPage(...) {
//		@web.Layout(web.Page{Title: "Contacts", Active: "contacts"}) { ... }
//	}
//
// and write them with web.Render. Signed-in pages set Page.Shell (the
// organization switcher and user menu); the signed-out pages (sign in,
// sign up, password reset, invitations) use AuthLayout instead. Forms are
// drawn with TextField and SelectField, which show the messages of
// FormErrors (mapped from the services' problems by ProblemErrors) next to
// their fields.
package web

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/a-h/templ"
)

// Options configures the web package. Status is required.
type Options struct {
	// Version is the build version, shown on the status page even when
	// Status fails.
	Version string
	// Status reads the data of the status page. It is called on every
	// request to /status, including the page's own refresh every 5 seconds.
	Status func(ctx context.Context) (StatusData, error)
	// Gate, when set, runs before the status page: it answers the request
	// itself (e.g. a redirect to sign in) and returns false to stop it.
	Gate func(rw http.ResponseWriter, r *http.Request) bool
	// Logger receives render and status errors; nil discards them.
	Logger *slog.Logger
}

// Web serves the layout's static files and the pages of this package.
type Web struct {
	version string
	status  func(ctx context.Context) (StatusData, error)
	gate    func(rw http.ResponseWriter, r *http.Request) bool
	log     *slog.Logger
	assets  *assets
}

// New checks opts and hashes the embedded static files.
func New(opts Options) (*Web, error) {
	if opts.Status == nil {
		return nil, errors.New("web: Options.Status is required")
	}
	a, err := builtinAssets()
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Web{version: opts.Version, status: opts.Status, gate: opts.Gate, log: log, assets: a}, nil
}

// Register adds the routes of this package to mux: "GET /status",
// "GET /static/" and "GET /api/docs". The home page "/" is the dashboard,
// served by the organization pages. Unknown paths are left to the caller,
// which should answer non-API ones with NotFound.
func (w *Web) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /status", w.statusPage)
	mux.Handle("GET /static/", w.assets)
	mux.HandleFunc("GET /api/docs", w.apiDocs)
}

// Asset returns the content-hashed URL of a file below static/, for example
// Asset("css/kite.css") == "/static/css/kite.1a2b3c4d5e.css". The URL changes
// whenever the file's content does, so it is cached as immutable. An unknown
// name comes back as its plain URL "/static/<name>", which answers 404; it
// neither panics nor logs (the package tests check every URL the pages use).
func (w *Web) Asset(name string) string {
	return w.assets.url(name)
}

// NotFound writes the HTML "Page not found" page with status 404.
func (w *Web) NotFound(rw http.ResponseWriter, r *http.Request) {
	render(w.log, rw, r, http.StatusNotFound, notFoundPage(r.URL.Path))
}

// apiSpecURL is where the JSON API publishes its OpenAPI document.
const apiSpecURL = "/api/v1/openapi.json"

func (w *Web) apiDocs(rw http.ResponseWriter, r *http.Request) {
	render(w.log, rw, r, http.StatusOK, apiDocsPage(apiSpecURL))
}

// Page describes a page for Layout.
type Page struct {
	// Title is the page's name; the document title becomes "<Title> · Kite".
	Title string
	// Active is the Key of the navigation item to mark as the current page.
	Active string
	// Scripts and Styles name extra static files the page needs, by their
	// path below static/ (for example AssetUPlot). They are linked with
	// hashed URLs; scripts load deferred, after htmx.
	Scripts []string
	Styles  []string
	// Shell is the signed-in person's frame (organization switcher, user
	// menu); nil on pages for visitors.
	Shell *Shell
	// Flash is a one-time message shown as a toast when the page opens.
	Flash *Flash
	// Fill gives the page the whole area beside the navigation, without
	// the content margins, for workspaces with their own panes (the inbox).
	Fill bool
}

// Render writes c as an HTML page with the given status. The component is
// rendered into a buffer first, so a failing template becomes a clean 500
// error page (the error is logged with slog's default logger) instead of half
// a page.
func Render(rw http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	render(slog.Default(), rw, r, status, c)
}

func render(log *slog.Logger, rw http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		log.ErrorContext(r.Context(), "render page", "path", r.URL.Path, "err", err)
		writeServerError(log, rw, r)
		return
	}
	writeHTML(rw, status, buf.Bytes())
}

// ServerError logs err and writes the 500 page: for failures of the
// server, never for bad input.
func ServerError(rw http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if log == nil {
		log = slog.Default()
	}
	log.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "err", err)
	writeServerError(log, rw, r)
}

// OrgCookie names the organization the browser acts in (set by the
// organization switcher, checked against the person's memberships on
// every request).
const OrgCookie = "kite_org"

// writeServerError writes the 500 page, or a bare one if even that fails.
func writeServerError(log *slog.Logger, rw http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	if err := serverErrorPage().Render(r.Context(), &buf); err != nil {
		log.ErrorContext(r.Context(), "render error page", "err", err)
		buf.Reset()
		buf.WriteString(bareServerError)
	}
	writeHTML(rw, http.StatusInternalServerError, buf.Bytes())
}

const bareServerError = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Something went wrong · Kite</title></head>` +
	`<body><main><h1>Something went wrong</h1><p>The page could not be shown. The error was logged.</p><p><a href="/status">System status</a></p></main></body></html>`

func writeHTML(rw http.ResponseWriter, status int, body []byte) {
	h := rw.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Del("Content-Length")
	rw.WriteHeader(status)
	_, _ = rw.Write(body)
}

// pageTitle is the document title of a page.
func pageTitle(title string) string {
	if title == "" {
		return "Kite"
	}
	return title + " · Kite"
}

// htmxConfig is read by htmx from <meta name="htmx-config">. Kite's pages
// never need eval or inline scripts, and the indicator styles live in kite.css
// because the Content-Security-Policy forbids the inline <style> htmx adds.
const htmxConfig = `{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false}`
