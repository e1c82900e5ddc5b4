-- +goose Up
-- Idempotency keys of API writes: the first answer to a write, kept for a
-- day so that a client retrying with the same Idempotency-Key gets it again
-- instead of the write happening twice.
CREATE TABLE idempotency_keys (
    -- Who sent the write: the org and the user or API key acting in it.
    scope        TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    -- SHA-256 of the method, path, query and body: the same key with
    -- another request is refused.
    fingerprint  TEXT NOT NULL,
    -- 0 while the first request runs.
    status       INTEGER NOT NULL DEFAULT 0,
    content_type TEXT NOT NULL DEFAULT '',
    location     TEXT NOT NULL DEFAULT '',
    body         BYTEA,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
