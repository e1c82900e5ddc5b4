// Package orgtest wires the identity and org services over a test
// database and signs people up, for the tests of the capabilities built on
// organizations.
package orgtest

import (
	"context"
	"testing"

	"github.com/kite-crm/kite/internal/identity"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/crypto"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/events"
)

// Kit is the services a capability's service is built on.
type Kit struct {
	Bus      *events.Bus
	Identity *identity.Service
	Orgs     *org.Service
}

// New wires the services over d as the app does.
func New(t testing.TB, d *db.DB) Kit {
	t.Helper()
	keys, err := crypto.NewKeyring("test secret of at least thirty-two characters")
	if err != nil {
		t.Fatal(err)
	}
	bus := events.NewBus(d, nil)
	ids := identity.NewService(d, keys, nil, identity.Config{HashConcurrency: 1}, nil)
	return Kit{Bus: bus, Identity: ids, Orgs: org.NewService(d, ids, bus, nil)}
}

// SignUp signs a person up with a new organization, orgName, and returns
// them acting in it as its owner.
func (k Kit) SignUp(t testing.TB, email, name, orgName string) org.Actor {
	t.Helper()
	u, created, err := k.Identity.SignUp(context.Background(), identity.SignUpInput{Email: email,
		Password: "a long test password", Name: name, OrganizationName: orgName}, identity.ClientMeta{})
	if err != nil {
		t.Fatal(err)
	}
	return org.Actor{UserID: u.ID, Name: u.Name, OrgID: created.(org.Organization).ID, Role: org.Owner}
}
