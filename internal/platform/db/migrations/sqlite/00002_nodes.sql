-- +goose Up
-- Running Kite processes and their heartbeats: a job left running by a
-- process that stopped beating is given back to the queue.
CREATE TABLE kite_nodes (
    id         TEXT PRIMARY KEY,
    hostname   TEXT NOT NULL,
    version    TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    seen_at    TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE kite_nodes;
