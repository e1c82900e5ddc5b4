-- +goose Up
-- Set in the same transaction as a keyed request's write: a key whose
-- write committed is never run again, even when its answer was lost.
ALTER TABLE idempotency_keys ADD COLUMN committed_at TIMESTAMP;

-- +goose Down
ALTER TABLE idempotency_keys DROP COLUMN committed_at;
