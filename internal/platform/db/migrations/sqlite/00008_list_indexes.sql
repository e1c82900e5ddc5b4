-- +goose Up
-- Tag links carry their record's created_at, so "tagged X, newest first"
-- (the list's default order) walks one index range instead of sorting
-- every tagged record; a record's created_at never changes. (SQLite can
-- only add a NOT NULL column with a default; PostgreSQL has none, so a
-- write that forgets the column fails there.)
ALTER TABLE contact_tags ADD COLUMN created_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE contact_tags SET created_at = (SELECT c.created_at FROM contacts AS c WHERE c.id = contact_tags.contact_id);
CREATE INDEX contact_tags_tag_created ON contact_tags (tag_id, created_at, contact_id);
ALTER TABLE company_tags ADD COLUMN created_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE company_tags SET created_at = (SELECT c.created_at FROM companies AS c WHERE c.id = company_tags.company_id);
CREATE INDEX company_tags_tag_created ON company_tags (tag_id, created_at, company_id);

-- (org_id, id) served no query (every list orders by a column first, and
-- lookups by id use the primary key); each import row paid for it.
DROP INDEX contacts_org_id_id;
DROP INDEX companies_org_id_id;

-- The owner and company filters keep the default order on their index too.
DROP INDEX contacts_org_owner;
CREATE INDEX contacts_org_owner ON contacts (org_id, owner_id, created_at, id);
DROP INDEX contacts_org_company;
CREATE INDEX contacts_org_company ON contacts (org_id, company_id, created_at, id);
DROP INDEX companies_org_owner;
CREATE INDEX companies_org_owner ON companies (org_id, owner_id, created_at, id);

-- +goose Down
CREATE INDEX companies_org_id_id ON companies (org_id, id);
CREATE INDEX contacts_org_id_id ON contacts (org_id, id);
DROP INDEX companies_org_owner;
CREATE INDEX companies_org_owner ON companies (org_id, owner_id, id);
DROP INDEX contacts_org_company;
CREATE INDEX contacts_org_company ON contacts (org_id, company_id, id);
DROP INDEX contacts_org_owner;
CREATE INDEX contacts_org_owner ON contacts (org_id, owner_id, id);
DROP INDEX company_tags_tag_created;
ALTER TABLE company_tags DROP COLUMN created_at;
DROP INDEX contact_tags_tag_created;
ALTER TABLE contact_tags DROP COLUMN created_at;
