package httpx

import (
	"io"
	"reflect"

	"github.com/danielgtaylor/huma/v2"
)

// A handler that answers the same bytes many times (a cached board, a
// member's unread counts) keeps them encoded, and gzipped as Gzip would
// do it, so that a repeated answer costs neither the JSON encoding nor the
// compression.

// Kept is a JSON answer kept to be sent again: its bytes, and their gzip
// when Gzip would compress them (nil when they are too small for it).
type Kept struct {
	JSON, Gzip []byte
}

// Keep keeps a JSON answer and compresses it as Gzip would.
func Keep(json []byte) *Kept {
	k := &Kept{JSON: json}
	if len(json) >= gzipMinSize {
		k.Gzip = gzipped(json)
	}
	return k
}

// For answers the kept bytes to a client whose Accept-Encoding header is
// acceptEncoding: the gzip when it takes it, else the JSON.
func (k *Kept) For(acceptEncoding string) *Encoded {
	if k.Gzip != nil && acceptsGzip(acceptEncoding) {
		return &Encoded{ContentType: "application/json", ContentEncoding: "gzip", Body: k.Gzip}
	}
	return &Encoded{ContentType: "application/json", Body: k.JSON}
}

// Encoded is an answer whose body is already encoded (and maybe gzipped;
// Gzip passes an answer with Content-Encoding through untouched). A route
// answering it documents its body's schema with EncodedAs.
type Encoded struct {
	ContentType     string `header:"Content-Type"`
	ContentEncoding string `header:"Content-Encoding"`
	Body            []byte
}

// MarshalJSON encodes a value as api encodes its JSON answers, for a
// handler that keeps the bytes.
func MarshalJSON(api huma.API) func(io.Writer, any) error {
	return func(w io.Writer, v any) error { return api.Marshal(w, "application/json", v) }
}

// EncodedAs documents a route's 200 answer, sent as Encoded bytes, as the
// JSON of T named name.
func EncodedAs[T any](api huma.API, name string) map[string]*huma.Response {
	schema := api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[T](), true, name)
	return map[string]*huma.Response{"200": {Description: "OK",
		Content: map[string]*huma.MediaType{"application/json": {Schema: schema}}}}
}
