package httpx

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
)

// APIPrefix is where the JSON API lives.
const APIPrefix = "/api/v1"

// NewAPI mounts a huma API under /api/v1 on mux, serving its OpenAPI 3.1
// document at /api/v1/openapi.json. Every error becomes a Problem; unknown
// JSON fields are rejected (huma's default); request bodies are limited to
// 1 MiB unless an operation sets MaxBodyBytes.
func NewAPI(mux *http.ServeMux, title, version string) huma.API {
	huma.NewError = humaError
	cfg := huma.DefaultConfig(title, version)
	cfg.Info.Description = "The Kite JSON API. Conventions: snake_case JSON, RFC 3339 UTC times, " +
		"RFC 9457 problem errors with a stable `code`, keyset pagination with `limit` and `cursor`."
	cfg.Servers = []*huma.Server{{URL: APIPrefix}}
	cfg.DocsPath = "" // the web package serves /api/docs from embedded assets
	cfg.SchemasPath = ""
	// No `$schema` links in responses: clients get exactly the documented fields.
	cfg.CreateHooks = nil
	return humago.NewWithPrefix(mux, APIPrefix, cfg)
}
