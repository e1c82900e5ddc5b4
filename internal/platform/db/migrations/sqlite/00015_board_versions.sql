-- +goose Up
-- Board versions: a counter per pipeline, and one per org for the names a
-- card shows (contact, company, owner). Every write that can change a
-- board's pipeline, stages or cards adds to them in its own transaction, so
-- a process may keep those in memory and reuse them while the sum it read
-- is unchanged.
-- Triggers keep the counters: no write path, bulk update or foreign-key
-- action can forget them. SQLite has one writer and uses shard 0 only.
--
-- A trigger adds to a counter by inserting its scope into board_bumps,
-- a view whose own trigger does the upsert, in one place.
CREATE TABLE board_versions (
    scope TEXT NOT NULL, -- a pipeline id, or 'names:' || an org id
    shard INTEGER NOT NULL DEFAULT 0,
    n     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, shard)
);

CREATE VIEW board_bumps (scope) AS SELECT scope FROM board_versions WHERE false;

-- +goose StatementBegin
CREATE TRIGGER board_bump INSTEAD OF INSERT ON board_bumps BEGIN
    INSERT INTO board_versions (scope, shard, n) VALUES (new.scope, 0, 1)
        ON CONFLICT (scope, shard) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER deals_board_insert AFTER INSERT ON deals BEGIN
    INSERT INTO board_bumps (scope) VALUES (new.pipeline_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER deals_board_update AFTER UPDATE ON deals BEGIN
    INSERT INTO board_bumps (scope) SELECT new.pipeline_id UNION SELECT old.pipeline_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER deals_board_delete AFTER DELETE ON deals BEGIN
    INSERT INTO board_bumps (scope) VALUES (old.pipeline_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER pipelines_board_update AFTER UPDATE ON pipelines BEGIN
    INSERT INTO board_bumps (scope) VALUES (new.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER pipelines_board_delete AFTER DELETE ON pipelines BEGIN
    INSERT INTO board_bumps (scope) VALUES (old.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER stages_board_insert AFTER INSERT ON stages BEGIN
    INSERT INTO board_bumps (scope) VALUES (new.pipeline_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER stages_board_update AFTER UPDATE ON stages BEGIN
    INSERT INTO board_bumps (scope) VALUES (new.pipeline_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER stages_board_delete AFTER DELETE ON stages BEGIN
    INSERT INTO board_bumps (scope) VALUES (old.pipeline_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_board_rename AFTER UPDATE OF first_name, last_name ON contacts
WHEN old.first_name IS NOT new.first_name OR old.last_name IS NOT new.last_name BEGIN
    INSERT INTO board_bumps (scope) VALUES ('names:' || new.org_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_board_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO board_bumps (scope) VALUES ('names:' || old.org_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER companies_board_rename AFTER UPDATE OF name ON companies
WHEN old.name IS NOT new.name BEGIN
    INSERT INTO board_bumps (scope) VALUES ('names:' || new.org_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER companies_board_delete AFTER DELETE ON companies BEGIN
    INSERT INTO board_bumps (scope) VALUES ('names:' || old.org_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_board_rename AFTER UPDATE OF name ON users
WHEN old.name IS NOT new.name BEGIN
    INSERT INTO board_bumps (scope) SELECT 'names:' || org_id FROM memberships WHERE user_id = new.id;
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
DROP TRIGGER board_bump;
DROP VIEW board_bumps;
DROP TABLE board_versions;
