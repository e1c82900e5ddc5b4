package crm

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
)

// Batch writes for imports and seeding: many rows per INSERT statement,
// no domain event per row. The callers keep the search text and the
// normalized keys right (contactSearchText, PhoneKey), exactly as single
// writes do, so batch-written records are normal records.

// maxStatementParams keeps a multi-row INSERT under SQLite's 32,766 bound
// variables (PostgreSQL allows 65,535); bun inlines values, but the bound
// also caps the size of one statement's text.
const maxStatementParams = 30_000

// rowsPerStatement is how many rows of columns fields fit one statement.
func rowsPerStatement(columns int) int { return max(1, maxStatementParams/columns) }

// insertMany inserts rows with as few statements as the size bound allows.
// Each statement is sent as text without arguments: bun's own Exec would
// run it as a query, which pgx prepares and keeps in its per-connection
// statement cache, hundreds of kilobytes of never-repeated SQL each; with
// no arguments pgx uses the simple protocol and keeps nothing.
func insertMany[T any](ctx context.Context, q bun.IDB, rows []T, columns int, conflict string) error {
	per := rowsPerStatement(columns)
	for start := 0; start < len(rows); start += per {
		part := rows[start:min(start+per, len(rows))]
		ins := q.NewInsert().Model(&part)
		if conflict != "" {
			ins.On(conflict)
		}
		if _, err := q.ExecContext(ctx, ins.String()); err != nil {
			return err
		}
	}
	return nil
}

// insertContacts adds new contacts (search text and keys already set).
func insertContacts(ctx context.Context, q bun.IDB, rows []Contact) error {
	if tx, ok := pgTx(q); ok {
		return insertContactsArrays(ctx, tx, rows)
	}
	return insertMany(ctx, q, rows, 16, "")
}

// insertCompanies adds new companies (search text already set).
func insertCompanies(ctx context.Context, q bun.IDB, rows []Company) error {
	return insertMany(ctx, q, rows, 15, "")
}

// linkContactTags adds tag links; links that exist already are kept.
func linkContactTags(ctx context.Context, q bun.IDB, links []contactTag) error {
	if tx, ok := pgTx(q); ok {
		return linkContactTagsArrays(ctx, tx, links)
	}
	return insertMany(ctx, q, links, 3, "CONFLICT DO NOTHING")
}

// scanByKeys scans into dest the rows of q (a select of the org's table)
// whose expr is one of keys. On PostgreSQL the keys travel as one array
// parameter of a constant statement, planned once per connection; an IN
// list of a thousand inlined values was planned anew for every batch (and
// kept in pgx's statement cache).
func scanByKeys(ctx context.Context, d *db.DB, tx bun.Tx, q *bun.SelectQuery, orgID, expr string, keys []string, dest any) error {
	if d.Kind != db.Postgres {
		return q.Where("org_id = ?", orgID).Where(expr+" IN (?)", bun.In(keys)).Scan(ctx, dest)
	}
	q.Where("org_id = ?", bun.Safe("$1")).Where(expr+" = ANY(?)", bun.Safe("$2::text[]"))
	rows, err := tx.Tx.QueryContext(ctx, q.String(), orgID, keys)
	if err != nil {
		return err
	}
	defer rows.Close()
	return d.ScanRows(ctx, rows, dest)
}
