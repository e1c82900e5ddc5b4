-- +goose Up
-- Running Kite processes and their heartbeats: a job left running by a
-- process that stopped beating is given back to the queue.
CREATE TABLE kite_nodes (
    id         TEXT PRIMARY KEY,
    hostname   TEXT NOT NULL,
    version    TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    seen_at    TIMESTAMPTZ NOT NULL
);

-- Realtime messages too large for a NOTIFY payload travel through this table;
-- the notification carries only the row's id.
CREATE UNLOGGED TABLE realtime_payloads (
    id         TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE realtime_payloads;
DROP TABLE kite_nodes;
