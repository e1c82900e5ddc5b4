package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// SignIn loads POST /api/v1/auth/signin with a correct password: each call
// verifies an argon2id hash (19 MiB, t=2), so this measures how many
// sign-ins the server sustains and how it queues them.
type SignIn struct {
	body []byte
}

// NewSignIn returns the signin scenario.
func NewSignIn() *SignIn { return &SignIn{} }

// Name returns "signin".
func (*SignIn) Name() string { return "signin" }

// Description says what signin measures.
func (*SignIn) Description() string {
	return "POST /api/v1/auth/signin with a correct password (argon2id per request); signs up its own user first"
}

// Setup signs up the user every client signs in as.
func (s *SignIn) Setup(ctx context.Context, env *Env) error {
	acc, err := signUpAccount(ctx, env)
	if err != nil {
		return err
	}
	s.body, err = json.Marshal(map[string]string{"email": acc.Email, "password": benchPassword})
	return err
}

// Do signs in once and expects 200.
func (s *SignIn) Do(ctx context.Context, client *http.Client, env *Env) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, env.URL("/api/v1/auth/signin"), bytes.NewReader(s.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return Call(client, req, http.StatusOK)
}

// Me loads an authenticated GET /api/v1/me: token check, session lookup
// and the user's organizations.
type Me struct {
	token string
}

// NewMe returns the me scenario.
func NewMe() *Me { return &Me{} }

// Name returns "me".
func (*Me) Name() string { return "me" }

// Description says what me measures.
func (*Me) Description() string {
	return "authenticated GET /api/v1/me (JWT + session check + organizations); signs up its own user first"
}

// Setup signs up the user whose token every client uses.
func (m *Me) Setup(ctx context.Context, env *Env) error {
	acc, err := signUpAccount(ctx, env)
	if err != nil {
		return err
	}
	if acc.AccessToken == "" {
		return fmt.Errorf("sign-up answered no access token")
	}
	m.token = acc.AccessToken
	return nil
}

// Do fetches /me once and expects 200.
func (m *Me) Do(ctx context.Context, client *http.Client, env *Env) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.URL("/api/v1/me"), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+m.token)
	return Call(client, req, http.StatusOK)
}
