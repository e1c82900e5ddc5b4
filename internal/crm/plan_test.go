package crm

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// TestContactListPlans checks that every list filter pages on an index on
// both databases: the query plan names the expected index and, for the
// orders an index serves, sorts nothing. A dropped or mismatched index, or
// a query rewritten so the planner cannot use it, fails here long before
// a million contacts make it slow.
func TestContactListPlans(t *testing.T) {
	t.Parallel()
	org, member, company := db.NewID(), db.NewID(), db.NewID()
	since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		filter ContactFilter
		index  string // expected in the plan
		sorted bool   // the plan may sort (an order no index of the filter serves)
	}{
		{"newest first", ContactFilter{}, "contacts_org_created", false},
		{"oldest first", ContactFilter{RecordFilter: RecordFilter{Sort: "created_at"}}, "contacts_org_created", false},
		{"by name", ContactFilter{RecordFilter: RecordFilter{Sort: "name"}}, "contacts_org_name", false},
		{"recently updated", ContactFilter{RecordFilter: RecordFilter{Sort: "-updated_at"}}, "contacts_org_updated", false},
		{"tag", ContactFilter{RecordFilter: RecordFilter{Tag: "vip"}}, "contact_tags_tag_created", false},
		{"owner", ContactFilter{RecordFilter: RecordFilter{OwnerID: member}}, "contacts_org_owner", false},
		{"company", ContactFilter{CompanyID: company}, "contacts_org_company", false},
		{"created range", ContactFilter{RecordFilter: RecordFilter{CreatedAfter: &since, CreatedBefore: &since}}, "contacts_org_created", false},
		{"updated range", ContactFilter{RecordFilter: RecordFilter{Sort: "-updated_at", UpdatedAfter: &since, UpdatedBefore: &since}}, "contacts_org_updated", false},
		{"search words", ContactFilter{RecordFilter: RecordFilter{Q: "ann lee"}}, "", true},
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := NewService(d, nil, nil, nil)
		ctx := context.Background()
		for _, c := range cases {
			var list []Contact
			q, _, _, err := s.contactListQuery(ctx, org, c.filter, &list)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			plan := explain(t, d, q)
			if c.index != "" && !strings.Contains(plan, c.index) {
				t.Errorf("%s: plan does not use %s:\n%s", c.name, c.index, plan)
			}
			if !c.sorted && sorts(d.Kind, plan) {
				t.Errorf("%s: plan sorts the rows:\n%s", c.name, plan)
			}
			if scansTable(d.Kind, plan) {
				t.Errorf("%s: plan scans a whole table:\n%s", c.name, plan)
			}
		}
	})
}

// explain returns the query plan of q. On PostgreSQL, sequential scans and
// sorts are priced out for the query, so the plan of an empty test table
// shows whether an index can serve it rather than what is cheapest today.
func explain(t *testing.T, d *db.DB, q *bun.SelectQuery) string {
	t.Helper()
	var lines []string
	err := d.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
		if d.Kind == db.Postgres {
			if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off"); err != nil {
				return err
			}
			return tx.NewRaw("EXPLAIN "+q.String()).Scan(ctx, &lines)
		}
		rows, err := tx.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q.String())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				return err
			}
			lines = append(lines, detail)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatalf("explain %s: %v", q.String(), err)
	}
	return strings.Join(lines, "\n")
}

func sorts(kind db.Kind, plan string) bool {
	if kind == db.Postgres {
		return strings.Contains(plan, "Sort  (") || strings.Contains(plan, "Sort (")
	}
	return strings.Contains(plan, "TEMP B-TREE FOR ORDER BY")
}

// scansTable reports a full scan of contacts or the tag links (the FTS
// table's own scan is how SQLite matches, and is fine).
func scansTable(kind db.Kind, plan string) bool {
	if kind == db.Postgres {
		return strings.Contains(plan, "Seq Scan on contact")
	}
	for _, line := range strings.Split(plan, "\n") {
		if line == "SCAN contact" || line == "SCAN ct" || strings.HasPrefix(line, "SCAN contact USING") {
			return true
		}
	}
	return false
}
