package httpx

import (
	"net/http"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
)

// useProblems installs the Problem error constructor into huma once (it is
// a package variable of huma's, shared by every API in the process).
var useProblems sync.Once

// APIPrefix is where the JSON API lives.
const APIPrefix = "/api/v1"

// NewAPI mounts a huma API under /api/v1 on mux, serving its OpenAPI 3.1
// document at /api/v1/openapi.json. Every error becomes a Problem; unknown
// JSON fields are rejected (huma's default); request bodies are limited to
// 1 MiB unless an operation sets MaxBodyBytes.
func NewAPI(mux *http.ServeMux, title, version string) huma.API {
	useProblems.Do(func() { huma.NewError = humaError })
	cfg := huma.DefaultConfig(title, version)
	cfg.Info.Description = "The Kite JSON API. Conventions: snake_case JSON, RFC 3339 UTC times, " +
		"RFC 9457 problem errors with a stable `code`, keyset pagination with `limit` and `cursor`."
	cfg.Servers = []*huma.Server{{URL: APIPrefix}}
	cfg.DocsPath = "" // the web package serves /api/docs from embedded assets
	cfg.SchemasPath = ""
	// No `$schema` links in responses: clients get exactly the documented fields.
	cfg.CreateHooks = nil
	// An unknown filter is a mistake worth hearing about, not a silent no-op.
	cfg.RejectUnknownQueryParameters = true
	return humago.NewWithPrefix(mux, APIPrefix, cfg)
}

// WriteHumaError answers from huma middleware with err as a problem:
// a huma.StatusError (such as *Problem) as it is, with its headers; anything
// else as a bare 500.
func WriteHumaError(api huma.API, ctx huma.Context, err error) {
	se, ok := err.(huma.StatusError)
	if !ok {
		se = humaError(http.StatusInternalServerError, "")
	}
	if he, ok := err.(huma.HeadersError); ok {
		for name, values := range he.GetHeaders() {
			for _, v := range values {
				ctx.AppendHeader(name, v)
			}
		}
	}
	ctx.SetHeader("Content-Type", "application/problem+json")
	ctx.SetStatus(se.GetStatus())
	api.Marshal(ctx.BodyWriter(), "application/json", se)
}

// Request returns the net/http request behind a huma context.
func Request(ctx huma.Context) *http.Request {
	r, _ := humago.Unwrap(ctx)
	return r
}
