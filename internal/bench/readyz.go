package bench

import (
	"context"
	"fmt"
	"net/http"
)

// Readyz loads GET /readyz, the cheapest request Kite answers: it shows the ceiling of the
// HTTP stack and the readiness check.
type Readyz struct{}

// NewReadyz returns the readyz scenario.
func NewReadyz() *Readyz { return &Readyz{} }

// Name returns "readyz".
func (*Readyz) Name() string { return "readyz" }

// Description says what readyz measures.
func (*Readyz) Description() string {
	return "GET /readyz on -url; every answer but 200 is an error"
}

// Setup checks once that the target answers 200, so a wrong -url fails with one clear
// message instead of a run full of errors.
func (r *Readyz) Setup(ctx context.Context, env *Env) error {
	if err := r.Do(ctx, env.Client, env); err != nil {
		return fmt.Errorf("target %s is not ready: %w", env.BaseURL, err)
	}
	return nil
}

// Do sends one GET /readyz and expects 200.
func (*Readyz) Do(ctx context.Context, client *http.Client, env *Env) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.URL("/readyz"), nil)
	if err != nil {
		return err
	}
	return Call(client, req, http.StatusOK)
}
