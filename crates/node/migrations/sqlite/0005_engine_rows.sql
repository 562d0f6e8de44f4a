-- TMTM node storage, schema version 5 (SQLite dialect): the consensus engine's finished rounds
-- and used thread ids as rows, written only when they change (the engine_state row keeps the small
-- core: rounds in progress, locks, settings). Kept in step with ../postgres/0005_engine_rows.sql.
-- A checkpoint from before this version still holds both inline; the node moves them into
-- these tables with its next consensus step.

-- A finished round kept to answer retransmissions: its JSON record, deleted after expires_ms.
CREATE TABLE consensus_finished (
    thid       TEXT    PRIMARY KEY,
    body       TEXT    NOT NULL,
    expires_ms INTEGER NOT NULL
);

-- A thread id this node took part in (replays are refused), remembered until until_ms
-- (the largest 64-bit signed value while its round runs).
CREATE TABLE consensus_threads (
    thid     TEXT    PRIMARY KEY,
    until_ms INTEGER NOT NULL
);
