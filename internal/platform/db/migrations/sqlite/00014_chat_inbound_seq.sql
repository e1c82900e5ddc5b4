-- +goose Up
-- The highest number the channel gave a message received in the chat, so
-- that a message delivered after a later one is noticed without a query.
ALTER TABLE chats ADD COLUMN last_inbound_seq BIGINT;

-- +goose Down
ALTER TABLE chats DROP COLUMN last_inbound_seq;
