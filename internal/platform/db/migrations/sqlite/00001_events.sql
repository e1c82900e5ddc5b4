-- +goose Up
-- Domain events: the transactional outbox. Written in the business
-- transaction, delivered to subscribers by a job, kept for replay.
CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    type        TEXT NOT NULL,
    subject_id  TEXT NOT NULL DEFAULT '',
    actor       TEXT NOT NULL DEFAULT '',
    payload     TEXT NOT NULL DEFAULT '{}',
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX events_org_id_id ON events (org_id, id);

-- One row per (event, subscriber) once that subscriber has handled it, so a
-- retried dispatch never delivers twice to a subscriber that succeeded.
CREATE TABLE event_deliveries (
    event_id     TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    subscriber   TEXT NOT NULL,
    delivered_at TIMESTAMP NOT NULL,
    PRIMARY KEY (event_id, subscriber)
);

-- +goose Down
DROP TABLE event_deliveries;
DROP TABLE events;
