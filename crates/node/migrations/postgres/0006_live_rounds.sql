-- TMTM node storage, schema version 6 (PostgreSQL dialect): the consensus engine's rounds in
-- progress as rows, written only when a step starts, advances or ends them (a round carries
-- its proposal with every transaction; the engine_state row keeps only the small core: locks
-- and settings). Kept in step with ../sqlite/0006_live_rounds.sql. A checkpoint from before
-- this version still holds its rounds inline; the node moves them here with its next step.

-- A round in progress: its JSON state, deleted when the round ends.
CREATE TABLE consensus_live_rounds (
    thid TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
