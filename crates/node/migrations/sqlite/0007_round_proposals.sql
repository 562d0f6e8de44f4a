-- TMTM node storage, schema version 7 (SQLite dialect): the unchanging part of a consensus
-- round in progress (its transactions, and the actor's stage-propose while it waits for
-- pre-commits), written once when the round starts; the round's row in
-- consensus_live_rounds, rewritten at every step that advances it, leaves it out. Both rows
-- are deleted when the round ends. Kept in step with ../postgres/0007_round_proposals.sql. A
-- round row from before this version still holds the part inline; the node splits it with
-- its next step.

CREATE TABLE consensus_round_proposals (
    thid TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
