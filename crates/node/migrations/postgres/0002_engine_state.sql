-- TMTM node storage, schema version 2 (PostgreSQL dialect): the consensus engine checkpoint.
-- Kept in step with ../sqlite/0002_engine_state.sql.
CREATE TABLE engine_state (
    id            BIGINT PRIMARY KEY CHECK (id = 1),
    state         TEXT   NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
