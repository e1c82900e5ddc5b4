-- +goose Up
-- Stage totals are kept in shards: on PostgreSQL every move into or out of a
-- column updated that column's one row and held it locked until commit, so
-- concurrent moves queued behind each other. A writer now adds to one of
-- several rows per stage and currency, and readers sum them. (SQLite has
-- one writer and uses shard 0 only.)
CREATE TABLE stage_totals_sharded (
    stage_id    TEXT NOT NULL REFERENCES stages (id) ON DELETE CASCADE,
    currency    TEXT NOT NULL,
    shard       INTEGER NOT NULL DEFAULT 0,
    deals       BIGINT NOT NULL DEFAULT 0,
    value_minor BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (stage_id, currency, shard)
);
INSERT INTO stage_totals_sharded (stage_id, currency, shard, deals, value_minor)
    SELECT stage_id, currency, 0, deals, value_minor FROM stage_totals;
DROP TABLE stage_totals;
ALTER TABLE stage_totals_sharded RENAME TO stage_totals;

-- +goose Down
CREATE TABLE stage_totals_single (
    stage_id    TEXT NOT NULL REFERENCES stages (id) ON DELETE CASCADE,
    currency    TEXT NOT NULL,
    deals       BIGINT NOT NULL DEFAULT 0,
    value_minor BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (stage_id, currency)
);
INSERT INTO stage_totals_single (stage_id, currency, deals, value_minor)
    SELECT stage_id, currency, SUM(deals), SUM(value_minor) FROM stage_totals GROUP BY stage_id, currency;
DROP TABLE stage_totals;
ALTER TABLE stage_totals_single RENAME TO stage_totals;
