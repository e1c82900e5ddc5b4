package app

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// The isolation harness. Every route that acts in an organization is listed
// in isolationRoutes (isolation_routes_test.go). For each, it proves that:
//   - each role of the owning org gets exactly what the permission table
//     gives it: the route's success status, or 403;
//   - every role of another org gets 404 for the first org's records, and
//     for the first org itself — never 403, never the data.
// Later capabilities add their routes to the table.

// isoRoute is one route under test. Path placeholders like {org} or {key}
// are filled by Setup, which may create fresh records (in org A, as its
// owner) for each call, so destructive routes can run once per role.
type isoRoute struct {
	Method, Path string
	Perm         org.Permission
	OK           int
	// Setup returns the placeholder values and the request body.
	Setup func(f *isoFixture) (vars map[string]string, body any)
	// SelfOK lets a role pass without the permission when acting on itself
	// (e.g. leaving an organization); not used by every route.
}

// isoFixture is two organizations, each with one user of every role.
type isoFixture struct {
	t      *testing.T
	app    *App
	api    *client
	A, B   isoOrg
	serial atomic.Int64
	tg     *telegramtest.Server // the Telegram that org A's bots talk to
}

type isoOrg struct {
	ID    string
	Users map[org.Role]account
}

// unique returns a fresh string for emails and names.
func (f *isoFixture) unique(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, f.serial.Add(1))
}

// owner is a client acting as org A's owner.
func (f *isoFixture) owner() *client { return f.api.as(f.A.Users[org.Owner].Access, f.A.ID) }

func newIsoFixture(t *testing.T, b dbtest.Backend) *isoFixture {
	tg := telegramtest.New(telegramtest.WithInsecureWebhooks())
	t.Cleanup(tg.Close)
	cfg := testConfig(t, b)
	cfg.TelegramAPIURL, cfg.TelegramUpdates = tg.URL(), "webhook"
	f := &isoFixture{t: t, app: startApp(t, cfg), tg: tg}
	f.api = newClient(t, f.app)
	f.A = f.makeOrg("a")
	f.B = f.makeOrg("b")
	return f
}

func (f *isoFixture) makeOrg(name string) isoOrg {
	owner := f.api.signUp(name+"-owner@example.com", "Org "+name)
	o := isoOrg{ID: owner.OrgID, Users: map[org.Role]account{org.Owner: owner}}
	asOwner := f.api.as(owner.Access, o.ID)
	for _, role := range []org.Role{org.Admin, org.Member, org.Viewer} {
		u := f.api.signUp(fmt.Sprintf("%s-%s@example.com", name, role), "")
		asOwner.must(http.StatusCreated, "POST", "/organizations/"+o.ID+"/members", map[string]any{"email": u.Email, "role": role})
		u.OrgID = o.ID
		o.Users[role] = u
	}
	return o
}

func fill(path string, vars map[string]string) string {
	for k, v := range vars {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	return path
}

func TestIsolationAndRoles(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		f := newIsoFixture(t, b)
		for _, rt := range isolationRoutes() {
			name := rt.Method + " " + rt.Path
			for _, role := range org.Roles {
				vars, body := rt.Setup(f)
				path := fill(rt.Path, vars)
				want := rt.OK
				if !role.Can(rt.Perm) {
					want = http.StatusForbidden
				}
				r := f.api.as(f.A.Users[role].Access, f.A.ID).do(rt.Method, path, body)
				if r.Status != want {
					t.Errorf("%s as A's %s: %d %s, want %d", name, role, r.Status, r.Raw, want)
				}
			}
			if !strings.Contains(rt.Path, "{") {
				continue // no record in the path: nothing of A's to reach
			}
			for _, role := range org.Roles {
				vars, body := rt.Setup(f)
				path := fill(rt.Path, vars)
				// Another org's user, acting in their own org or naming A's.
				for _, orgHeader := range []string{f.B.ID, f.A.ID} {
					r := f.api.as(f.B.Users[role].Access, orgHeader).do(rt.Method, path, body)
					if r.Status != http.StatusNotFound {
						t.Errorf("%s as B's %s (X-Org-ID %s): %d %s, want 404", name, role, orgHeader[:8], r.Status, r.Raw)
					}
				}
			}
		}
	})
}
