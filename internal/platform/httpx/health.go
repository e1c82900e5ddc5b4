package httpx

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// Healthz answers 200 while the process serves HTTP at all (liveness).
func Healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// Readyz answers 200 when check passes (the database answers and its schema
// is current), else 503 with the reason, so a load balancer sends traffic
// only to replicas that can serve it.
func Readyz(check func(ctx context.Context) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "application/json")
		if err := check(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(map[string]string{"status": "unavailable", "reason": err.Error()})
			return
		}
		w.Write([]byte(`{"status":"ready"}` + "\n"))
	}
}
