-- TMTM node storage, schema version 2 (SQLite dialect): the consensus engine checkpoint.
-- Kept in step with ../postgres/0002_engine_state.sql.
-- One row (id = 1): the whole serialised consensus engine (rounds in progress, locks, used
-- thread ids, finished rounds kept for retransmissions), written in the same transaction as
-- the ledger effects of every consensus step.
CREATE TABLE engine_state (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    state         TEXT    NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
