-- +goose Up
-- CSV imports of contacts. The uploaded file is stored in the database in
-- chunks, so the job can run on any replica; the reader's position and the
-- counters are checkpointed with every batch of rows, so a job that dies
-- resumes where the last batch committed.
CREATE TABLE imports (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_by      TEXT NOT NULL DEFAULT '',
    actor           TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    filename        TEXT NOT NULL DEFAULT '',
    size            BIGINT NOT NULL DEFAULT 0,
    on_duplicate    TEXT NOT NULL DEFAULT 'skip',
    mapping         TEXT NOT NULL DEFAULT '{}',
    header          TEXT NOT NULL DEFAULT '[]',
    separator       TEXT NOT NULL DEFAULT ',',
    rows_total      INTEGER NOT NULL DEFAULT 0,
    rows_created    INTEGER NOT NULL DEFAULT 0,
    rows_updated    INTEGER NOT NULL DEFAULT 0,
    rows_skipped    INTEGER NOT NULL DEFAULT 0,
    rows_failed     INTEGER NOT NULL DEFAULT 0,
    resume_offset   BIGINT NOT NULL DEFAULT 0,
    resume_line     INTEGER NOT NULL DEFAULT 0,
    resume_number   INTEGER NOT NULL DEFAULT 0,
    error           TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ
);
CREATE INDEX imports_org_id ON imports (org_id, id);

-- Every chunk but the last holds exactly the chunk size (1 MiB), so a byte
-- offset names its chunk.
CREATE TABLE import_chunks (
    import_id TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    data      BYTEA NOT NULL,
    PRIMARY KEY (import_id, seq)
);

-- Rejected rows: the row number, why, and the fields as read.
CREATE TABLE import_errors (
    import_id  TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    row_number INTEGER NOT NULL,
    message    TEXT NOT NULL,
    fields     TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (import_id, row_number)
);

-- Imports find companies by name, case-insensitively.
CREATE INDEX companies_org_lower_name ON companies (org_id, lower(name));

-- +goose Down
DROP INDEX companies_org_lower_name;
DROP TABLE import_errors;
DROP TABLE import_chunks;
DROP TABLE imports;
