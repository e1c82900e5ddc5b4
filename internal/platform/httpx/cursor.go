package httpx

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
)

// Keyset pagination hands clients an opaque cursor: the sort key of the last
// row they saw, JSON-encoded and base64url'd. Clients must not build or
// parse cursors; the format may change.

// EncodeCursor returns the cursor for a key (usually a small struct of the
// last row's sort columns and ID).
func EncodeCursor(key any) string {
	b, err := json.Marshal(key)
	if err != nil {
		panic("httpx: cursor key is not JSON-encodable: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor into key. An empty cursor leaves key alone and
// reports false; a malformed one is a 400 problem.
func DecodeCursor(cursor string, key any) (bool, error) {
	if cursor == "" {
		return false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil {
		err = json.Unmarshal(b, key)
	}
	if err != nil {
		p := NewProblem(http.StatusBadRequest, "invalid_cursor", "The cursor is not one this server issued; start from the first page.")
		return false, p
	}
	return true, nil
}

// Page is the list response shape: {"items": [...], "next_cursor": "…"|null}.
type Page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// Limit clamps a requested page size to 1..200, 50 when unset.
func Limit(requested int) int {
	switch {
	case requested <= 0:
		return 50
	case requested > 200:
		return 200
	}
	return requested
}

// NewPage is a list answer of items; next is the cursor of the following
// page, "" on the last one.
func NewPage[T any](items []T, next string) Page[T] {
	p := Page[T]{Items: items}
	if next != "" {
		p.NextCursor = &next
	}
	return p
}
