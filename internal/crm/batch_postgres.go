package crm

import (
	"context"
	"database/sql"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// On PostgreSQL, batches go in as arrays: one constant INSERT … SELECT
// FROM unnest($1, …) per batch, whatever its size. The server parses and
// plans it once per connection (pgx keeps the prepared statement), where a
// multi-row INSERT with inlined values was a new, large statement to parse
// for every batch: most of the database's time in an import.

// pgTx returns the transaction under q when q is a PostgreSQL transaction.
func pgTx(q bun.IDB) (*sql.Tx, bool) {
	tx, ok := q.(bun.Tx)
	if !ok || q.Dialect().Name() != dialect.PG {
		return nil, false
	}
	return tx.Tx, true
}

const insertContactsUnnest = `INSERT INTO contacts (id, org_id, first_name, last_name, email, phone, phone_key,
	telegram_username, telegram_key, title, company_id, owner_id, custom_fields, search_text, created_at, updated_at)
SELECT id, org_id, first_name, last_name, NULLIF(email, ''), phone, phone_key,
	telegram_username, telegram_key, title, NULLIF(company_id, ''), NULLIF(owner_id, ''), custom_fields::jsonb, search_text, created_at, updated_at
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
	$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::timestamptz[], $16::timestamptz[])
	AS r(id, org_id, first_name, last_name, email, phone, phone_key,
	telegram_username, telegram_key, title, company_id, owner_id, custom_fields, search_text, created_at, updated_at)`

func insertContactsArrays(ctx context.Context, tx *sql.Tx, rows []Contact) error {
	var text [14][]string
	var created, updated []time.Time
	for _, c := range rows {
		for i, v := range [14]string{c.ID, c.OrgID, c.FirstName, c.LastName, c.Email, c.Phone, c.PhoneKey,
			c.TelegramUsername, c.TelegramKey, c.Title, c.CompanyID, c.OwnerID, c.CustomFieldsText, c.SearchText} {
			text[i] = append(text[i], v)
		}
		created, updated = append(created, c.CreatedAt), append(updated, c.UpdatedAt)
	}
	args := make([]any, 0, 16)
	for _, col := range text {
		args = append(args, col)
	}
	_, err := tx.ExecContext(ctx, insertContactsUnnest, append(args, created, updated)...)
	return err
}

const linkContactTagsUnnest = `INSERT INTO contact_tags (tag_id, contact_id, created_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[]) ON CONFLICT DO NOTHING`

func linkContactTagsArrays(ctx context.Context, tx *sql.Tx, links []contactTag) error {
	tags, contacts, created := make([]string, len(links)), make([]string, len(links)), make([]time.Time, len(links))
	for i, l := range links {
		tags[i], contacts[i], created[i] = l.TagID, l.ContactID, l.CreatedAt
	}
	_, err := tx.ExecContext(ctx, linkContactTagsUnnest, tags, contacts, created)
	return err
}
