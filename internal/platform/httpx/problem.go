// Package httpx is Kite's HTTP plumbing: the server, middleware, RFC 9457
// problem responses, the huma API setup, keyset cursors, health and metrics.
package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kite-crm/kite/internal/platform/db"
)

// Problem is an RFC 9457 problem document. Code is the stable machine code,
// also the last path segment of Type.
type Problem struct {
	Type     string              `json:"type"`
	Title    string              `json:"title"`
	Status   int                 `json:"status"`
	Detail   string              `json:"detail,omitempty"`
	Code     string              `json:"code"`
	Instance string              `json:"instance,omitempty"`
	Errors   []*huma.ErrorDetail `json:"errors,omitempty"`
}

// Error implements error.
func (p *Problem) Error() string { return p.Detail }

// GetStatus implements huma.StatusError.
func (p *Problem) GetStatus() int { return p.Status }

// ContentType implements huma.ContentTypeFilter.
func (p *Problem) ContentType(string) string { return "application/problem+json" }

// codes are the default machine codes by status.
var codes = map[int]string{
	400: "malformed", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
	406: "not_acceptable", 409: "conflict", 410: "gone", 412: "precondition_failed", 413: "too_large",
	415: "unsupported_media_type", 422: "invalid", 429: "rate_limited", 500: "internal", 503: "unavailable",
}

// NewProblem builds a problem with the default code for status unless code
// is given.
func NewProblem(status int, code, detail string) *Problem {
	if code == "" {
		code = codes[status]
		if code == "" {
			code = "error"
		}
	}
	return &Problem{Type: "/problems/" + code, Title: http.StatusText(status), Status: status, Detail: detail, Code: code}
}

// Invalid is a 422 "invalid" problem naming where the bad value is
// ("body.title", "query.value_min"), so forms can show it by the field.
func Invalid(location, msg string) *Problem {
	p := NewProblem(http.StatusUnprocessableEntity, "invalid", msg)
	p.Errors = append(p.Errors, &huma.ErrorDetail{Location: location, Message: msg})
	return p
}

// WriteProblem writes p as application/problem+json.
func WriteProblem(w http.ResponseWriter, p *Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// humaError is huma's error constructor, replaced so every API error is a
// Problem with a code. 500s never carry internal detail to the client.
func humaError(status int, msg string, errs ...error) huma.StatusError {
	p := NewProblem(status, "", msg)
	if status >= 500 {
		p.Detail = "Something went wrong on our side. It has been logged."
	}
	for _, err := range errs {
		if err == nil {
			continue
		}
		var d huma.ErrorDetailer
		if errors.As(err, &d) {
			p.Errors = append(p.Errors, d.ErrorDetail())
		} else if status < 500 {
			p.Errors = append(p.Errors, &huma.ErrorDetail{Message: err.Error()})
		}
	}
	return p
}

// APIError maps a service error to the problem the client sees: not found
// (also another org's record) is 404, a broken unique rule 409, a cancelled
// request 499-ish 400; anything else is logged and answered as a bare 500.
func APIError(ctx context.Context, log *slog.Logger, err error) error {
	var se huma.StatusError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return se
	case errors.Is(err, db.ErrNotFound):
		return NewProblem(http.StatusNotFound, "", "No such record.")
	case errors.Is(err, db.ErrConflict):
		return NewProblem(http.StatusConflict, "", "This conflicts with an existing record.")
	case errors.Is(err, context.Canceled):
		return NewProblem(http.StatusBadRequest, "cancelled", "The request was cancelled.")
	}
	log.ErrorContext(ctx, "request failed", "err", err, "request_id", RequestID(ctx))
	return humaError(http.StatusInternalServerError, "")
}

// IsAPIPath reports whether a path belongs to the JSON API, whose errors are
// problem documents rather than HTML pages.
func IsAPIPath(path string) bool {
	return path == "/api" || strings.HasPrefix(path, "/api/")
}
