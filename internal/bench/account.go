package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// benchPassword is the password of accounts kitebench signs up.
const benchPassword = "kitebench load test passphrase"

// benchAccount is a user kitebench created on the target.
type benchAccount struct {
	Email       string
	AccessToken string
}

// signUpAccount creates a fresh user with an organization through the API.
func signUpAccount(ctx context.Context, env *Env) (benchAccount, error) {
	b := make([]byte, 6)
	rand.Read(b)
	email := "kitebench-" + hex.EncodeToString(b) + "@example.com"
	var out struct {
		AccessToken string `json:"access_token"`
	}
	err := postJSON(ctx, env, "/api/v1/auth/signup", map[string]string{
		"email": email, "password": benchPassword, "name": "Kitebench", "organization_name": "Kitebench",
	}, http.StatusCreated, &out)
	if err != nil {
		return benchAccount{}, fmt.Errorf("signing up a bench user: %w", err)
	}
	return benchAccount{Email: email, AccessToken: out.AccessToken}, nil
}

// postJSON sends a JSON body and decodes the answer, which must have status want.
func postJSON(ctx context.Context, env *Env, path string, body any, want int, out any) error {
	return authedJSON(ctx, env, http.MethodPost, path, "", body, want, out)
}

// authedJSON sends a request with a bearer token (if any) and an optional JSON body
// and decodes the answer, which must have status want.
func authedJSON(ctx context.Context, env *Env, method, path, token string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, env.URL(path), rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := env.Client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if err := CheckStatus(res, want); err != nil {
		return err
	}
	if out != nil {
		return json.NewDecoder(res.Body).Decode(out)
	}
	return nil
}
