-- TMTM node storage, schema version 3 (SQLite dialect): the wrapper API's own tables.
-- Kept in step with ../postgres/0003_api.sql: same tables, columns and meaning.

-- Users of this node (REST, dashboard, command WebSocket). `password_hash` is an Argon2id
-- PHC string; `disabled` is 0/1 (an integer on both backends, so rows decode the same way).
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'user')),
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);

-- Dashboard sessions: only the SHA-256 of the cookie value is stored.
CREATE TABLE sessions (
    token_hash    BLOB    PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at_ms);

-- Bearer tokens for the command WebSocket: SHA-256 only, expiring, revocable.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash    BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Uploaded files: metadata per upload; the bytes live once per SHA-256 under content/.
CREATE TABLE uploads (
    uid           TEXT    PRIMARY KEY,
    sha256        TEXT    NOT NULL CHECK (length(sha256) = 64),
    md5           TEXT    NOT NULL CHECK (length(md5) = 32),
    filename      TEXT    NOT NULL,
    mime_type     TEXT    NOT NULL,
    size          INTEGER NOT NULL CHECK (size >= 0),
    uploaded_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX uploads_sha256 ON uploads (sha256);

-- GU-11 / GU-12 records, own and received; duplicates dropped by (sender, message @id).
CREATE TABLE gu_records (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    kind           TEXT    NOT NULL CHECK (kind IN ('gu-11', 'gu-12')),
    payload        TEXT    NOT NULL,
    sender_did     TEXT    NOT NULL,
    message_id     TEXT    NOT NULL,
    received_at_ms INTEGER NOT NULL,
    UNIQUE (sender_did, message_id)
);
CREATE INDEX gu_records_kind ON gu_records (kind, id);
