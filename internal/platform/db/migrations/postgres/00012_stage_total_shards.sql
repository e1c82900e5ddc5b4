-- +goose Up
-- Stage totals are kept in shards: every move into or out of a column
-- updated that column's one row and held it locked until commit, so
-- concurrent moves queued behind each other. A writer now adds to one of
-- several rows per stage and currency, and readers sum them.
ALTER TABLE stage_totals ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE stage_totals DROP CONSTRAINT stage_totals_pkey;
ALTER TABLE stage_totals ADD PRIMARY KEY (stage_id, currency, shard);

-- +goose Down
CREATE TABLE stage_totals_single AS
    SELECT stage_id, currency, SUM(deals)::BIGINT AS deals, SUM(value_minor)::BIGINT AS value_minor
    FROM stage_totals GROUP BY stage_id, currency;
DELETE FROM stage_totals;
ALTER TABLE stage_totals DROP CONSTRAINT stage_totals_pkey;
ALTER TABLE stage_totals DROP COLUMN shard;
ALTER TABLE stage_totals ADD PRIMARY KEY (stage_id, currency);
INSERT INTO stage_totals (stage_id, currency, deals, value_minor) SELECT * FROM stage_totals_single;
DROP TABLE stage_totals_single;
