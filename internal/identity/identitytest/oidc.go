// Package identitytest helps tests sign in through a mock OpenID provider.
package identitytest

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/oauth2-proxy/mockoidc"
)

// AuthorizeCode walks a mock OpenID provider's authorization endpoint as a
// browser would, with the query q (client_id, redirect_uri, state, nonce…),
// and returns the code it redirects back with.
func AuthorizeCode(t testing.TB, m *mockoidc.MockOIDC, q url.Values) string {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(m.AuthorizationEndpoint() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize answered %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	return loc.Query().Get("code")
}
