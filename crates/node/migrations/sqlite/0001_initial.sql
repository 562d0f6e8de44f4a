-- TMTM node storage, schema version 1 (SQLite dialect).
-- Kept in step with ../postgres/0001_initial.sql: same tables, columns and meaning.
-- Never edit a migration once released: sqlx checks the checksum of applied migrations.

-- One row per container ledger; its committed size and root (the microledger's LedgerMeta)
-- plus what the API shows. `metadata` is JSON text (key order kept), NULL until set.
CREATE TABLE ledgers (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL UNIQUE,
    size          INTEGER NOT NULL CHECK (size >= 0),
    root_hash     BLOB    NOT NULL CHECK (length(root_hash) = 32),
    metadata      TEXT,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
CREATE INDEX ledgers_newest ON ledgers (created_at_ms DESC, id DESC);

-- Committed transactions, as the JSON text the ledger holds (seqNo 1-based, contiguous).
CREATE TABLE ledger_transactions (
    ledger_id       INTEGER NOT NULL REFERENCES ledgers (id) ON DELETE CASCADE,
    seq_no          INTEGER NOT NULL CHECK (seq_no >= 1),
    txn             TEXT    NOT NULL,
    committed_at_ms INTEGER NOT NULL,
    PRIMARY KEY (ledger_id, seq_no)
);

-- Hash of every complete perfect subtree of the committed tree (level 0 = leaves).
CREATE TABLE merkle_nodes (
    ledger_id INTEGER NOT NULL REFERENCES ledgers (id) ON DELETE CASCADE,
    level     INTEGER NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx       INTEGER NOT NULL CHECK (idx >= 0),
    hash      BLOB    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (ledger_id, level, idx)
);

-- Consensus rounds in progress, by thread id; `state` is the machine's JSON checkpoint.
CREATE TABLE consensus_rounds (
    thread_id     TEXT    PRIMARY KEY,
    role          TEXT    NOT NULL,
    ledger_names  TEXT    NOT NULL,
    state         TEXT    NOT NULL,
    deadline_ms   INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
CREATE INDEX consensus_rounds_deadline ON consensus_rounds (deadline_ms);

-- Durable outbox: packed envelopes waiting for delivery. AUTOINCREMENT: ids never reused.
CREATE TABLE outbox (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient_did      TEXT    NOT NULL,
    endpoint           TEXT    NOT NULL,
    body               BLOB    NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms INTEGER NOT NULL,
    expires_at_ms      INTEGER NOT NULL,
    last_error         TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at_ms);
CREATE INDEX outbox_expiry ON outbox (expires_at_ms);

-- Inbound de-duplication by sender verkey and message @id.
CREATE TABLE inbox_seen (
    sender_verkey TEXT    NOT NULL,
    message_id    TEXT    NOT NULL,
    seen_at_ms    INTEGER NOT NULL,
    PRIMARY KEY (sender_verkey, message_id)
);
CREATE INDEX inbox_seen_age ON inbox_seen (seen_at_ms);
