-- +goose Up
-- Board versions: a counter per pipeline, and one per org for the names a
-- card shows (contact, company, owner). Every write that can change a
-- board's pipeline, stages or cards adds to them in its own transaction, so
-- a replica may keep those in memory and reuse them while the sum it read
-- is unchanged.
-- Triggers keep the counters: no write path, bulk update or foreign-key
-- action can forget them.
--
-- The triggers are deferred to the commit: a counter row stays locked from
-- its update to the commit, and taken earlier it made every concurrent
-- move in a pipeline wait for the others' whole transactions. A
-- transaction also adds to one of 8 shards, picked by its id, so two
-- commits rarely wait for each other.
CREATE TABLE board_versions (
    scope TEXT NOT NULL, -- a pipeline id, or 'names:' || an org id
    shard INTEGER NOT NULL DEFAULT 0,
    n     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, shard)
);

-- +goose StatementBegin
CREATE FUNCTION board_bump(target TEXT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO board_versions (scope, shard, n) VALUES (target, (txid_current() % 8)::int, 1)
    ON CONFLICT (scope, shard) DO UPDATE SET n = board_versions.n + 1;
$$;
-- +goose StatementEnd
-- A deal or a stage: a row with the pipeline_id of the board it is on.
-- +goose StatementBegin
CREATE FUNCTION pipeline_row_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM board_bump(OLD.pipeline_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.pipeline_id IS DISTINCT FROM OLD.pipeline_id) THEN
        PERFORM board_bump(NEW.pipeline_id);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION pipelines_board_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM board_bump(OLD.id);
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION names_board_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM board_bump('names:' || OLD.org_id);
    ELSE
        PERFORM board_bump('names:' || NEW.org_id);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION users_board_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM board_bump('names:' || org_id) FROM memberships WHERE user_id = NEW.id;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER deals_board AFTER INSERT OR UPDATE OR DELETE ON deals
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION pipeline_row_changed();
CREATE CONSTRAINT TRIGGER pipelines_board AFTER UPDATE OR DELETE ON pipelines
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION pipelines_board_changed();
CREATE CONSTRAINT TRIGGER stages_board AFTER INSERT OR UPDATE OR DELETE ON stages
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION pipeline_row_changed();
CREATE CONSTRAINT TRIGGER contacts_board_rename AFTER UPDATE OF first_name, last_name ON contacts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.first_name IS DISTINCT FROM NEW.first_name OR OLD.last_name IS DISTINCT FROM NEW.last_name)
    EXECUTE FUNCTION names_board_changed();
CREATE CONSTRAINT TRIGGER contacts_board_delete AFTER DELETE ON contacts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION names_board_changed();
CREATE CONSTRAINT TRIGGER companies_board_rename AFTER UPDATE OF name ON companies
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION names_board_changed();
CREATE CONSTRAINT TRIGGER companies_board_delete AFTER DELETE ON companies
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION names_board_changed();
CREATE CONSTRAINT TRIGGER users_board_rename AFTER UPDATE OF name ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION users_board_renamed();

-- +goose Down
DROP TRIGGER users_board_rename ON users;
DROP TRIGGER companies_board_delete ON companies;
DROP TRIGGER companies_board_rename ON companies;
DROP TRIGGER contacts_board_delete ON contacts;
DROP TRIGGER contacts_board_rename ON contacts;
DROP TRIGGER stages_board ON stages;
DROP TRIGGER pipelines_board ON pipelines;
DROP TRIGGER deals_board ON deals;
DROP FUNCTION users_board_renamed();
DROP FUNCTION names_board_changed();
DROP FUNCTION pipelines_board_changed();
DROP FUNCTION pipeline_row_changed();
DROP FUNCTION board_bump(TEXT);
DROP TABLE board_versions;
