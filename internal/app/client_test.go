package app

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// client talks to a running Kite's JSON API as an API client would.
type client struct {
	t     *testing.T
	base  string
	token string // Bearer token: an access token or an API key
	org   string // X-Org-ID
	// header is added to every request (an Idempotency-Key, say).
	header http.Header
}

func newClient(t *testing.T, a *App) *client {
	return &client{t: t, base: a.URL() + "/api/v1"}
}

// as returns a copy of c using another token and org.
func (c *client) as(token, org string) *client {
	cp := *c
	cp.token, cp.org = token, org
	return &cp
}

// with returns a copy of c sending one more header.
func (c *client) with(name, value string) *client {
	cp := *c
	cp.header = c.header.Clone()
	if cp.header == nil {
		cp.header = http.Header{}
	}
	cp.header.Set(name, value)
	return &cp
}

// response is an API answer: status, headers and decoded JSON.
type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

// Code is the problem code of an error answer.
func (r response) Code() string {
	code, _ := r.Body["code"].(string)
	return code
}

// Str reads a string at a dotted path, e.g. "user.id".
func (r response) Str(path string) string {
	var cur any = r.Body
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[k]
	}
	s, _ := cur.(string)
	return s
}

// Items returns the "items" of a list answer.
func (r response) Items() []map[string]any {
	raw, _ := r.Body["items"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, it := range raw {
		m, _ := it.(map[string]any)
		out = append(out, m)
	}
	return out
}

func (c *client) do(method, path string, body any) response {
	c.t.Helper()
	if f, ok := body.(fileUpload); ok && method == "POST" && path == "/files" {
		return c.uploadFile(f.Name, f.ContentType, f.Data)
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.org != "" {
		req.Header.Set("X-Org-ID", c.org)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	if len(raw) > 0 {
		json.Unmarshal(raw, &out.Body)
	}
	if res.StatusCode >= 500 {
		c.t.Errorf("%s %s answered %d: %s", method, path, res.StatusCode, raw)
	}
	return out
}

// must asserts the status of an answer and returns it.
func (c *client) must(status int, method, path string, body any) response {
	c.t.Helper()
	r := c.do(method, path, body)
	if r.Status != status {
		c.t.Fatalf("%s %s: %d %s, want %d", method, path, r.Status, r.Raw, status)
	}
	return r
}

// account is a signed-up user with a session.
type account struct {
	Email, Password, UserID, OrgID string
	Access, Refresh                string
}

var testPassword = "correct horse battery staple"

// signUp creates a user (and an org when orgName is set) through the API.
func (c *client) signUp(email, orgName string) account {
	c.t.Helper()
	body := map[string]any{"email": email, "password": testPassword, "name": "User " + email}
	if orgName != "" {
		body["organization_name"] = orgName
	}
	r := c.must(http.StatusCreated, "POST", "/auth/signup", body)
	return account{Email: email, Password: testPassword, UserID: r.Str("user.id"), OrgID: r.Str("organization.id"),
		Access: r.Str("access_token"), Refresh: r.Str("refresh_token")}
}
