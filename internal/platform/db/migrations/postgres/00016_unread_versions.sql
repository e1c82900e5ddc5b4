-- +goose Up
-- A member's unread counts change only with their unread totals (both are
-- written in the same transactions), so each totals row also counts its
-- changes. The sum of a member's versions grows with every change to their
-- unread counts, and a process may keep the encoded counts while it reads
-- the same sum.
ALTER TABLE chat_unread_totals ADD COLUMN version BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE chat_unread_totals DROP COLUMN version;
