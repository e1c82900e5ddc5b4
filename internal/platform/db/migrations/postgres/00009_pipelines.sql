-- +goose Up
-- Sales pipelines: an org's pipelines, their ordered stages, the deals in
-- them and each deal's stage history.
CREATE TABLE pipelines (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX pipelines_org ON pipelines (org_id, created_at, id);
-- Exactly one default pipeline per org: the database refuses a second.
CREATE UNIQUE INDEX pipelines_one_default ON pipelines (org_id) WHERE is_default;

CREATE TABLE stages (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    pipeline_id TEXT NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    probability INTEGER NOT NULL DEFAULT 0,
    kind        TEXT NOT NULL DEFAULT 'open',
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX stages_pipeline ON stages (pipeline_id, position, id);

CREATE TABLE deals (
    id                  TEXT PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    title               TEXT NOT NULL,
    value_minor         BIGINT NOT NULL DEFAULT 0,
    currency            TEXT NOT NULL,
    pipeline_id         TEXT NOT NULL REFERENCES pipelines (id),
    stage_id            TEXT NOT NULL REFERENCES stages (id),
    status              TEXT NOT NULL DEFAULT 'open',
    contact_id          TEXT REFERENCES contacts (id) ON DELETE SET NULL,
    company_id          TEXT REFERENCES companies (id) ON DELETE SET NULL,
    owner_id            TEXT,
    expected_close_date TEXT,     -- YYYY-MM-DD
    lost_reason         TEXT NOT NULL DEFAULT '',
    -- A fractional rank within the stage: a move writes only the moved row.
    position            DOUBLE PRECISION NOT NULL,
    stage_entered_at    TIMESTAMPTZ NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    closed_at           TIMESTAMPTZ
);
-- The board walks a column in order; two cards never share a place.
CREATE UNIQUE INDEX deals_stage_position ON deals (stage_id, position);
CREATE INDEX deals_org_created ON deals (org_id, created_at, id);
CREATE INDEX deals_org_updated ON deals (org_id, updated_at, id);
CREATE INDEX deals_org_pipeline ON deals (org_id, pipeline_id, created_at, id);
CREATE INDEX deals_org_status ON deals (org_id, status, created_at, id);
CREATE INDEX deals_org_owner ON deals (org_id, owner_id, created_at, id);
CREATE INDEX deals_org_contact ON deals (org_id, contact_id, created_at, id);
CREATE INDEX deals_org_company ON deals (org_id, company_id, created_at, id);
CREATE INDEX deals_org_value ON deals (org_id, value_minor, id);
CREATE INDEX deals_org_close ON deals (org_id, expected_close_date, id);

-- Count and value of a stage's deals per currency, kept in step with every
-- deal write so the board's column headers never scan the column.
CREATE TABLE stage_totals (
    stage_id    TEXT NOT NULL REFERENCES stages (id) ON DELETE CASCADE,
    currency    TEXT NOT NULL,
    deals       BIGINT NOT NULL DEFAULT 0,
    value_minor BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (stage_id, currency)
);

CREATE TABLE deal_stage_history (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    deal_id         TEXT NOT NULL REFERENCES deals (id) ON DELETE CASCADE,
    from_stage_id   TEXT,
    from_stage_name TEXT NOT NULL DEFAULT '',
    to_stage_id     TEXT NOT NULL,
    to_stage_name   TEXT NOT NULL,
    actor           TEXT NOT NULL DEFAULT '',
    at              TIMESTAMPTZ NOT NULL
);
CREATE INDEX deal_stage_history_deal ON deal_stage_history (deal_id, at, id);

-- +goose Down
DROP TABLE deal_stage_history;
DROP TABLE stage_totals;
DROP TABLE deals;
DROP TABLE stages;
DROP TABLE pipelines;
