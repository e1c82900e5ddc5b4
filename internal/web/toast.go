package web

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Toast kinds understood by kite.js; any other kind shows as "info".
const (
	ToastInfo    = "info"
	ToastSuccess = "success"
	ToastWarning = "warning"
	ToastError   = "error"
)

// toastEvent is the htmx event kite.js turns into a toast.
const toastEvent = "kite:toast"

// Toast asks the browser to show a toast after an htmx request, through the
// HX-Trigger response header (event "kite:toast"). Call it before the
// response is written. Events already in an HX-Trigger JSON object are kept;
// a header in htmx's plain "name1, name2" form is converted to JSON.
func Toast(h http.Header, message, kind string) {
	events := map[string]any{}
	if old := strings.TrimSpace(h.Get("HX-Trigger")); old != "" {
		if strings.HasPrefix(old, "{") {
			_ = json.Unmarshal([]byte(old), &events)
		} else {
			for _, name := range strings.Split(old, ",") {
				if name = strings.TrimSpace(name); name != "" {
					events[name] = nil
				}
			}
		}
	}
	events[toastEvent] = map[string]string{"message": message, "kind": kind}
	b, err := json.Marshal(events)
	if err != nil {
		return // cannot happen: the map holds only values decoded from JSON or strings
	}
	h.Set("HX-Trigger", string(b))
}
