package crm

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// TestSearchCapKeepsEveryOrgsMatches lowers the candidate bound below what
// a busy org has: its search still returns a page, and a quiet org whose
// only match is older than all of them still finds it, because the bound
// counts the org's own matches.
// Not parallel: it changes searchCandidates.
func TestSearchCapKeepsEveryOrgsMatches(t *testing.T) {
	n := searchCandidates
	t.Cleanup(func() { searchCandidates = n }) // after the parallel subtests
	searchCandidates = 3
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := NewService(d, nil, nil, nil)
		busy, quiet := db.NewID(), db.NewID()
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i, o := range []string{quiet, busy} {
			if _, err := d.NewRaw("INSERT INTO organizations (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
				o, fmt.Sprint("Org ", i), start, start).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		insert := func(orgID, first, last string, at time.Time) {
			c := Contact{ID: db.NewID(), OrgID: orgID, FirstName: first, LastName: last, CustomFieldsText: "{}", CreatedAt: at, UpdatedAt: at}
			c.SearchText = contactSearchText(c, "")
			if _, err := d.NewInsert().Model(&c).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		insert(quiet, "Anna", "Old", start)
		for i := range 6 {
			insert(busy, "Anna", fmt.Sprint("New", i), start.Add(time.Duration(i+1)*time.Minute))
		}
		insert(busy, "Bob", "Other", start.Add(time.Hour))

		got, err := s.SearchContacts(ctx, quiet, "ann", 20)
		if err != nil || len(got) != 1 || got[0].LastName != "Old" {
			t.Fatalf("quiet org's search = %v, %v", got, err)
		}
		got, err = s.SearchContacts(ctx, busy, "ann", 2)
		if err != nil || len(got) != 2 {
			t.Fatalf("busy org's page = %v, %v", got, err)
		}
		got, err = s.SearchContacts(ctx, busy, "anna new5", 20)
		if err != nil || len(got) != 1 || got[0].LastName != "New5" {
			t.Fatalf("two words = %v, %v", got, err)
		}
	})
}
