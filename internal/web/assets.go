package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// staticFiles holds everything under static/: the design system, Kite's own
// scripts and the vendored libraries listed in static/vendor/VENDOR.md.
//
//go:embed static
var staticFiles embed.FS

// hashLen is how many hex characters of a file's SHA-256 go into its URL.
const hashLen = 10

// AssetBoard is Kite's own script of the deal board and the pipeline
// settings (drag and drop, keyboard moves, undo, live updates).
const AssetBoard = "js/board.js"

// AssetInbox is the inbox's script: realtime, the composer, keyboard
// moves between chats, presence and typing.
const AssetInbox = "js/inbox.js"

// AssetInboxComposer is the inbox's composer (after AssetInbox).
const AssetInboxComposer = "js/inbox-composer.js"

// AssetRecord keeps a contact's or company's page live: its activity and
// deals follow what teammates and customers do.
const AssetRecord = "js/record.js"

// AssetInboxCSS lays out the inbox's three panes.
const AssetInboxCSS = "css/inbox.css"

// Names of vendored libraries inside the static tree. Pages that need one put
// it in Page.Scripts or Page.Styles; htmx is on every page already. A test
// checks that each name exists.
const (
	AssetSortable = "vendor/sortablejs-1.15.7/Sortable.min.js"
	AssetUPlot    = "vendor/uplot-1.6.32/uPlot.iife.min.js"
	AssetUPlotCSS = "vendor/uplot-1.6.32/uPlot.min.css"

	assetHTMX         = "vendor/htmx-2.0.11/htmx.min.js"
	assetSwaggerUI    = "vendor/swagger-ui-5.35.0/swagger-ui-bundle.js"
	assetSwaggerUICSS = "vendor/swagger-ui-5.35.0/swagger-ui.css"
)

// builtinAssets hashes the embedded static tree once per process. The
// embedded files cannot change while the binary runs, so the result is a
// constant of the build, shared by every Web and by the templates.
var builtinAssets = sync.OnceValues(func() (*assets, error) {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		return nil, err
	}
	return newAssets(sub)
})

// asset is what templates call to link a static file; see assets.url.
func asset(name string) string {
	a, err := builtinAssets()
	if err != nil {
		// New refuses to start in this case, so no page is ever served with it.
		return "/static/" + name
	}
	return a.url(name)
}

// assetFile is one file of the static tree.
type assetFile struct {
	name        string // path below static/, e.g. "css/kite.css"
	hash        string // first hashLen hex characters of the SHA-256 of the content
	hashedName  string // e.g. "css/kite.1a2b3c4d5e.css"
	contentType string
}

// assets serves a static tree under /static/ with content-hashed URLs.
//
// A hashed URL (/static/css/kite.1a2b3c4d5e.css) is cached by browsers for a
// year as immutable: when the content changes, so does the URL. The plain URL
// (/static/css/kite.css) also works and is served with "no-cache", so a
// browser revalidates it every time (cheaply, by ETag). A hashed URL whose hash
// is not the current one (a page rendered by an older replica during a
// deploy) gets the current content with "no-cache", never cached as
// immutable. Anything else is 404.
type assets struct {
	fsys     fs.FS
	byName   map[string]*assetFile
	byHashed map[string]*assetFile
}

// newAssets walks fsys and hashes every regular file in it.
func newAssets(fsys fs.FS) (*assets, error) {
	a := &assets{
		fsys:     fsys,
		byName:   map[string]*assetFile{},
		byHashed: map[string]*assetFile{},
	}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		sum, err := hashFile(fsys, name)
		if err != nil {
			return err
		}
		f := &assetFile{
			name:        name,
			hash:        sum,
			hashedName:  hashedName(name, sum),
			contentType: contentType(name),
		}
		a.byName[name] = f
		a.byHashed[f.hashedName] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: hash static files: %w", err)
	}
	return a, nil
}

func hashFile(fsys fs.FS, name string) (string, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:hashLen], nil
}

// hashedName puts the hash before the last extension:
// "vendor/htmx-2.0.11/htmx.min.js" -> "vendor/htmx-2.0.11/htmx.min.<hash>.js",
// "vendor/x/LICENSE" -> "vendor/x/LICENSE.<hash>".
func hashedName(name, hash string) string {
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hash + ext
}

// unhashedName undoes hashedName for any well-formed hash, current or not.
func unhashedName(name string) (string, bool) {
	ext := path.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	if isHash(strings.TrimPrefix(ext, ".")) && !strings.HasSuffix(stem, "/") {
		return stem, true // a file without extension: "LICENSE.<hash>"
	}
	i := strings.LastIndexByte(stem, '.')
	if i < 0 || strings.ContainsRune(stem[i:], '/') || !isHash(stem[i+1:]) {
		return "", false
	}
	return stem[:i] + ext, true
}

func isHash(s string) bool {
	if len(s) != hashLen {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// contentTypes fixes the types Kite serves so they do not depend on the
// host's mime tables.
var contentTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".json":  "application/json",
	".map":   "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".webp":  "image/webp",
	".woff2": "font/woff2",
	".md":    "text/markdown; charset=utf-8",
	".txt":   "text/plain; charset=utf-8",
	"":       "text/plain; charset=utf-8", // LICENSE, NOTICE
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// url returns the content-hashed URL of a static file named by its path below
// static/ ("css/kite.css" -> "/static/css/kite.1a2b3c4d5e.css"). An unknown
// name is returned as its plain URL ("/static/<name>") without a log line or
// panic; that URL answers 404, and the package tests check that every URL the
// pages link to is hashed and served.
func (a *assets) url(name string) string {
	name = strings.TrimPrefix(name, "/")
	if f, ok := a.byName[name]; ok {
		return "/static/" + f.hashedName
	}
	return "/static/" + name
}

// ServeHTTP serves GET and HEAD requests below /static/.
func (a *assets) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/static/")
	if !ok {
		http.NotFound(rw, r)
		return
	}
	f, cache := a.lookup(name)
	if f == nil {
		http.NotFound(rw, r)
		return
	}
	file, err := a.fsys.Open(f.name)
	if err != nil {
		http.NotFound(rw, r)
		return
	}
	defer file.Close()
	content, ok := file.(io.ReadSeeker)
	if !ok {
		http.Error(rw, "static file is not seekable", http.StatusInternalServerError)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", cache)
	h.Set("ETag", `"`+f.hash+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	// ServeContent answers If-None-Match with 304 and handles Range and HEAD.
	http.ServeContent(rw, r, f.name, time.Time{}, content)
}

const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// lookup finds the file a /static/ path names and the Cache-Control it gets.
func (a *assets) lookup(name string) (*assetFile, string) {
	if f, ok := a.byHashed[name]; ok {
		return f, cacheImmutable
	}
	if f, ok := a.byName[name]; ok {
		return f, cacheRevalidate
	}
	if plain, ok := unhashedName(name); ok {
		if f, ok := a.byName[plain]; ok {
			return f, cacheRevalidate
		}
	}
	return nil, ""
}
