-- +goose Up
-- Board versions: a counter per pipeline, and one per org for the names a
-- card shows (contact, company, owner). Every write that can change a
-- board's pipeline, stages or cards adds to them in its own transaction, so
-- a process may keep those in memory and reuse them while the sum it read
-- is unchanged.
-- Triggers keep the counters: no write path, bulk update or foreign-key
-- action can forget them. SQLite has one writer and uses shard 0 only.
CREATE TABLE board_versions (
    scope TEXT NOT NULL, -- a pipeline id, or 'names:' || an org id
    shard INTEGER NOT NULL DEFAULT 0,
    n     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, shard)
);

-- +goose StatementBegin
CREATE TRIGGER deals_board_insert AFTER INSERT ON deals BEGIN
    INSERT INTO board_versions (scope, shard, n) VALUES (new.pipeline_id, 0, 1)
        ON CONFLICT (scope, shard) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER deals_board_update AFTER UPDATE ON deals BEGIN
    INSERT INTO board_versions (scope, shard, n)
        SELECT p, 0, 1 FROM (SELECT new.pipeline_id AS p UNION SELECT old.pipeline_id) WHERE true
        ON CONFLICT (scope, shard) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER deals_board_delete AFTER DELETE ON deals BEGIN
    INSERT INTO board_versions (scope, shard, n) VALUES (old.pipeline_id, 0, 1)
        ON CONFLICT (scope, shard) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER pipelines_board_update AFTER UPDATE ON pipelines BEGIN
    INSERT INTO board_versions (scope, shard, n) VALUES (new.id, 0, 1)
        ON CONFLICT (scope, shard) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER pipelines_board_delete AFTER DELETE ON pipelines BEGIN
    INSERT INTO board_versions (scope, shard, n) VALUES (old.id, 0, 1)
        ON CONFLICT (scope, shard) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER stages_board_insert AFTER INSERT ON stages BEGIN
    INSERT INTO board_versions (scope, shard, n) VALUES (new.pipeline_id, 0, 1)
        ON CONFLICT (scope, shard) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER stages_board_update AFTER UPDATE ON stages BEGIN
    INSERT INTO board_versions (scope, shard, n) VALUES (new.pipeline_id, 0, 1)
        ON CONFLICT (scope, shard) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER stages_board_delete AFTER DELETE ON stages BEGIN
    INSERT INTO board_versions (scope, shard, n) VALUES (old.pipeline_id, 0, 1)
        ON CONFLICT (scope, shard) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_board_rename AFTER UPDATE OF first_name, last_name ON contacts
WHEN old.first_name IS NOT new.first_name OR old.last_name IS NOT new.last_name BEGIN
    INSERT INTO board_versions (scope, shard, n) VALUES ('names:' || new.org_id, 0, 1)
        ON CONFLICT (scope, shard) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_board_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO board_versions (scope, shard, n) VALUES ('names:' || old.org_id, 0, 1)
        ON CONFLICT (scope, shard) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER companies_board_rename AFTER UPDATE OF name ON companies
WHEN old.name IS NOT new.name BEGIN
    INSERT INTO board_versions (scope, shard, n) VALUES ('names:' || new.org_id, 0, 1)
        ON CONFLICT (scope, shard) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER companies_board_delete AFTER DELETE ON companies BEGIN
    INSERT INTO board_versions (scope, shard, n) VALUES ('names:' || old.org_id, 0, 1)
        ON CONFLICT (scope, shard) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_board_rename AFTER UPDATE OF name ON users
WHEN old.name IS NOT new.name BEGIN
    INSERT INTO board_versions (scope, shard, n)
        SELECT 'names:' || org_id, 0, 1 FROM memberships WHERE user_id = new.id
        ON CONFLICT (scope, shard) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER users_board_rename;
DROP TRIGGER companies_board_delete;
DROP TRIGGER companies_board_rename;
DROP TRIGGER contacts_board_delete;
DROP TRIGGER contacts_board_rename;
DROP TRIGGER stages_board_delete;
DROP TRIGGER stages_board_update;
DROP TRIGGER stages_board_insert;
DROP TRIGGER pipelines_board_delete;
DROP TRIGGER pipelines_board_update;
DROP TRIGGER deals_board_delete;
DROP TRIGGER deals_board_update;
DROP TRIGGER deals_board_insert;
DROP TABLE board_versions;
