-- +goose Up
-- The inbox: channels (connected bots and mailboxes), their chats and
-- messages, each member's unread counts, and the keys that make inbound
-- delivery exactly-once.
CREATE TABLE channels (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,              -- telegram | email
    name          TEXT NOT NULL,
    external_id   TEXT NOT NULL,              -- telegram: the bot's user id
    username      TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'active', -- active | broken | disconnected
    status_reason TEXT NOT NULL DEFAULT '',
    secret_sealed TEXT NOT NULL DEFAULT '',   -- the credential, sealed with the app key
    -- SHA-256 of the webhook's secret token: the webhook finds its bot by it.
    webhook_key   TEXT,
    delivery      TEXT NOT NULL DEFAULT 'polling', -- webhook | polling
    poll_offset   BIGINT NOT NULL DEFAULT 0,
    created_by    TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX channels_org ON channels (org_id, created_at, id);
-- A bot serves one organization at a time.
CREATE UNIQUE INDEX channels_live_external ON channels (kind, external_id) WHERE status <> 'disconnected';
CREATE UNIQUE INDEX channels_webhook_key ON channels (webhook_key);

-- Which replica runs a channel's long poll and sender, until expires_at.
CREATE TABLE channel_leases (
    channel_id TEXT PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
    holder     TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

-- Inbound deliveries already stored (telegram: "update:<update_id>"): the
-- key is inserted in the transaction that stores what the delivery brings.
CREATE TABLE inbound_keys (
    channel_id TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel_id, key)
);
CREATE INDEX inbound_keys_created ON inbound_keys (created_at);

-- A person's address on a channel kind (telegram user id) known to be a contact.
CREATE TABLE contact_handles (
    org_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    handle     TEXT NOT NULL,
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    PRIMARY KEY (org_id, kind, handle)
);

CREATE TABLE chats (
    id                   TEXT PRIMARY KEY,
    org_id               TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    channel_id           TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    channel_kind         TEXT NOT NULL,
    external_id          TEXT NOT NULL,      -- telegram: chat id
    kind                 TEXT NOT NULL,      -- private | group
    title                TEXT NOT NULL DEFAULT '',
    contact_id           TEXT REFERENCES contacts (id) ON DELETE SET NULL,
    assignee_id          TEXT,
    status               TEXT NOT NULL DEFAULT 'open',
    blocked              BOOLEAN NOT NULL DEFAULT FALSE,
    last_message_at      TIMESTAMPTZ,
    last_message_preview TEXT NOT NULL DEFAULT '',
    -- The list's order: the last message's time, or creation for a chat without one.
    sort_at              TIMESTAMPTZ NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX chats_channel_external ON chats (channel_id, external_id);
CREATE INDEX chats_org_recent ON chats (org_id, sort_at, id);
CREATE INDEX chats_org_status ON chats (org_id, status, sort_at, id);
CREATE INDEX chats_org_assignee ON chats (org_id, assignee_id, sort_at, id);
CREATE INDEX chats_org_channel ON chats (org_id, channel_id, sort_at, id);
CREATE INDEX chats_org_contact ON chats (org_id, contact_id);

CREATE TABLE messages (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    chat_id     TEXT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    channel_id  TEXT NOT NULL,
    direction   TEXT NOT NULL,               -- in | out
    sender_kind TEXT NOT NULL,               -- contact | user | agent | campaign
    sender_id   TEXT NOT NULL DEFAULT '',
    sender_name TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL DEFAULT '',
    search_text TEXT NOT NULL DEFAULT '',
    attachments TEXT NOT NULL DEFAULT '[]',
    reply_to_id TEXT,
    status      TEXT NOT NULL,               -- queued | sent | failed | received
    error       TEXT NOT NULL DEFAULT '',
    external_id TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    edited_at   TIMESTAMPTZ,
    sent_at     TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX messages_chat ON messages (chat_id, created_at, id);
CREATE UNIQUE INDEX messages_chat_external ON messages (chat_id, external_id);
-- The sender's queue: what each channel still has to send, oldest first.
CREATE INDEX messages_queued ON messages (channel_id, created_at, id) WHERE status = 'queued';

-- Unread inbound messages per member and chat; a row exists only while
-- there is something unread, so the caller's unread counts read only the
-- caller's rows, latest first, from one index that also holds the counts.
CREATE TABLE chat_unread (
    user_id TEXT NOT NULL,
    chat_id TEXT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    org_id  TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    count   INTEGER NOT NULL,
    last_at TIMESTAMPTZ NOT NULL, -- the latest unread message's arrival
    PRIMARY KEY (user_id, chat_id)
);
CREATE INDEX chat_unread_user_org ON chat_unread (user_id, org_id, last_at, chat_id, count);
-- Each member's unread total, kept in step with chat_unread, so the total
-- is a few rows' sum rather than a sum over every unread chat. It is split
-- in shards (by chat) so that messages arriving in many chats at once do
-- not all wait for one row's lock.
CREATE TABLE chat_unread_totals (
    user_id TEXT NOT NULL,
    org_id  TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    shard   INTEGER NOT NULL,
    total   INTEGER NOT NULL,
    PRIMARY KEY (user_id, org_id, shard)
);

-- Files received in conversations; the bytes live in the blob directory.
CREATE TABLE files (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name       TEXT NOT NULL DEFAULT '',
    mime       TEXT NOT NULL DEFAULT 'application/octet-stream',
    size       BIGINT NOT NULL,
    sha256     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Full-text search over message text (folded like the CRM's search text).
ALTER TABLE messages ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED;
CREATE INDEX messages_search ON messages USING GIN (search_tsv);

-- +goose Down
DROP TABLE files;
DROP TABLE chat_unread_totals;
DROP TABLE chat_unread;
DROP TABLE messages;
DROP TABLE chats;
DROP TABLE contact_handles;
DROP TABLE inbound_keys;
DROP TABLE channel_leases;
DROP TABLE channels;
