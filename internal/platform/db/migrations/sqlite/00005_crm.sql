-- +goose Up
CREATE TABLE companies (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    domain        TEXT NOT NULL DEFAULT '',
    website       TEXT NOT NULL DEFAULT '',
    industry      TEXT NOT NULL DEFAULT '',
    size          TEXT NOT NULL DEFAULT '',
    phone         TEXT NOT NULL DEFAULT '',
    address       TEXT NOT NULL DEFAULT '',
    owner_id      TEXT,
    custom_fields TEXT NOT NULL DEFAULT '{}',
    search_text   TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
-- One index per sort order and per filter, each ending in id for keyset pages.
CREATE INDEX companies_org_id_id ON companies (org_id, id);
CREATE INDEX companies_org_name ON companies (org_id, name, id);
CREATE INDEX companies_org_created ON companies (org_id, created_at, id);
CREATE INDEX companies_org_updated ON companies (org_id, updated_at, id);
CREATE INDEX companies_org_owner ON companies (org_id, owner_id, id);
CREATE INDEX companies_org_domain ON companies (org_id, domain);

CREATE TABLE contacts (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    first_name        TEXT NOT NULL DEFAULT '',
    last_name         TEXT NOT NULL DEFAULT '',
    email             TEXT,
    phone             TEXT NOT NULL DEFAULT '',
    phone_key         TEXT NOT NULL DEFAULT '',
    telegram_username TEXT NOT NULL DEFAULT '',
    telegram_key      TEXT NOT NULL DEFAULT '',
    title             TEXT NOT NULL DEFAULT '',
    company_id        TEXT REFERENCES companies (id) ON DELETE SET NULL,
    owner_id          TEXT,
    custom_fields     TEXT NOT NULL DEFAULT '{}',
    search_text       TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
-- Email is stored lowercased: unique per org, case-insensitively.
CREATE UNIQUE INDEX contacts_org_email ON contacts (org_id, email);
CREATE INDEX contacts_org_id_id ON contacts (org_id, id);
CREATE INDEX contacts_org_name ON contacts (org_id, last_name, first_name, id);
CREATE INDEX contacts_org_created ON contacts (org_id, created_at, id);
CREATE INDEX contacts_org_updated ON contacts (org_id, updated_at, id);
CREATE INDEX contacts_org_company ON contacts (org_id, company_id, id);
CREATE INDEX contacts_org_owner ON contacts (org_id, owner_id, id);
CREATE INDEX contacts_org_phone_key ON contacts (org_id, phone_key);
CREATE INDEX contacts_org_telegram_key ON contacts (org_id, telegram_key);

CREATE TABLE tags (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    name_key   TEXT NOT NULL,
    color      TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX tags_org_name_key ON tags (org_id, name_key);

-- Tag links; (tag_id, contact_id) serves "contacts with tag X" in id order.
CREATE TABLE contact_tags (
    tag_id     TEXT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    PRIMARY KEY (tag_id, contact_id)
);
CREATE INDEX contact_tags_contact_id ON contact_tags (contact_id);

CREATE TABLE company_tags (
    tag_id     TEXT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    company_id TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    PRIMARY KEY (tag_id, company_id)
);
CREATE INDEX company_tags_company_id ON company_tags (company_id);

CREATE TABLE notes (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    subject_type TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    body         TEXT NOT NULL,
    author_id    TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX notes_org_subject ON notes (org_id, subject_type, subject_id, id);

-- Custom field definitions; values live in custom_fields of the record.
CREATE TABLE custom_fields (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    object     TEXT NOT NULL,
    key        TEXT NOT NULL,
    label      TEXT NOT NULL,
    type       TEXT NOT NULL,
    options    TEXT NOT NULL DEFAULT '[]',
    position   INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX custom_fields_org_object_key ON custom_fields (org_id, object, key);

-- The activity timeline of a record reads its events.
CREATE INDEX events_org_subject ON events (org_id, subject_id, id);

-- Full-text search: FTS5 over the folded search text (lowercase, accents
-- removed), kept in sync by triggers; prefix indexes serve as-you-type.
CREATE VIRTUAL TABLE contacts_fts USING fts5(search_text, content='contacts', content_rowid='rowid', prefix='2 3 4');
CREATE VIRTUAL TABLE companies_fts USING fts5(search_text, content='companies', content_rowid='rowid', prefix='2 3 4');

-- +goose StatementBegin
CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF search_text ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
    INSERT INTO contacts_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER companies_fts_insert AFTER INSERT ON companies BEGIN
    INSERT INTO companies_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER companies_fts_delete AFTER DELETE ON companies BEGIN
    INSERT INTO companies_fts (companies_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER companies_fts_update AFTER UPDATE OF search_text ON companies BEGIN
    INSERT INTO companies_fts (companies_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
    INSERT INTO companies_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER companies_fts_update;
DROP TRIGGER companies_fts_delete;
DROP TRIGGER companies_fts_insert;
DROP TRIGGER contacts_fts_update;
DROP TRIGGER contacts_fts_delete;
DROP TRIGGER contacts_fts_insert;
DROP TABLE companies_fts;
DROP TABLE contacts_fts;
DROP INDEX events_org_subject;
DROP TABLE custom_fields;
DROP TABLE notes;
DROP TABLE company_tags;
DROP TABLE contact_tags;
DROP TABLE tags;
DROP TABLE contacts;
DROP TABLE companies;
