package telegramtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Descriptions Telegram uses verbatim in several places.
const (
	descWebhookActive = "Conflict: can't use getUpdates method while webhook is active; " +
		"use deleteWebhook to delete the webhook first"
	descOtherPoll = "Conflict: terminated by other getUpdates request; " +
		"make sure that only one bot instance is running"
	descSetWebhookPoll = "Conflict: terminated by setWebhook request"
)

// badGatewayPage is what Telegram's nginx front answers while the Bot API
// behind it is unavailable: HTML, not JSON, which clients must survive.
const badGatewayPage = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n" +
	"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n" +
	"</body>\r\n</html>\r\n"

// apiError is a failed Bot API answer. Its code is both the HTTP status and
// error_code, as on Telegram.
type apiError struct {
	code        int
	description string
	retryAfter  int
}

func badRequest(msg string) *apiError {
	return &apiError{code: http.StatusBadRequest, description: "Bad Request: " + msg}
}

func forbidden(msg string) *apiError {
	return &apiError{code: http.StatusForbidden, description: "Forbidden: " + msg}
}

func conflict(description string) *apiError {
	return &apiError{code: http.StatusConflict, description: description}
}

func tooManyRequests(seconds int) *apiError {
	return &apiError{
		code:        http.StatusTooManyRequests,
		description: "Too Many Requests: retry after " + strconv.Itoa(seconds),
		retryAfter:  seconds,
	}
}

func errUnauthorized() *apiError {
	return &apiError{code: http.StatusUnauthorized, description: "Unauthorized"}
}

func errNotFound() *apiError {
	return &apiError{code: http.StatusNotFound, description: "Not Found"}
}

func errTooLarge() *apiError {
	return &apiError{code: http.StatusRequestEntityTooLarge, description: "Request Entity Too Large"}
}

func errBadGateway() *apiError {
	return &apiError{code: http.StatusBadGateway}
}

// described is a successful result that Telegram accompanies with a
// description, as setWebhook answers "Webhook was set".
type described struct {
	result      any
	description string
}

type responseParameters struct {
	RetryAfter int `json:"retry_after"`
}

type envelope struct {
	OK          bool                `json:"ok"`
	Result      any                 `json:"result,omitempty"`
	ErrorCode   int                 `json:"error_code,omitempty"`
	Description string              `json:"description,omitempty"`
	Parameters  *responseParameters `json:"parameters,omitempty"`
}

// writeAnswer writes a Bot API answer and returns the HTTP status it used.
func writeAnswer(w http.ResponseWriter, result any, e *apiError) int {
	if e != nil && e.code == http.StatusBadGateway {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Server", "nginx/1.18.0")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(badGatewayPage))
		return http.StatusBadGateway
	}
	env := envelope{OK: e == nil, Result: result}
	status := http.StatusOK
	if e != nil {
		status = e.code
		env.ErrorCode, env.Description = e.code, e.description
		if e.retryAfter > 0 {
			env.Parameters = &responseParameters{RetryAfter: e.retryAfter}
		}
	}
	if d, ok := result.(described); ok {
		env.Result, env.Description = d.result, d.description
	}
	body := encodeJSON(env)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return status
}

// encodeJSON marshals v like Telegram does, without escaping <, > and &, so
// texts arrive byte-for-byte as a client would see them from Telegram.
func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Every value encoded here is built by this package from plain types.
		panic(fmt.Sprintf("telegramtest: encode %T: %v", v, err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
