-- Application-level delivery of this node's own GU-11 / GU-12 records: one row per
-- (record @id, recipient DID), pending until the recipient's notification/1.0/ack arrives.
-- Kept in step with migrations/sqlite/0004_gu_deliveries.sql.
CREATE TABLE gu_deliveries (
    message_id      TEXT   NOT NULL,
    recipient_did   TEXT   NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL,
    expires_at_ms   BIGINT NOT NULL,
    acked_at_ms     BIGINT,
    PRIMARY KEY (message_id, recipient_did)
);
CREATE INDEX gu_deliveries_due ON gu_deliveries (acked_at_ms, next_attempt_ms);
