//! The `gu_deliveries` table (migration 0004): application-level delivery of this node's own
//! GU-11 / GU-12 records. One row per (record `@id`, recipient DID), written in the same
//! transaction as the record and its outbox rows; it stays pending (re-sent on a doubling
//! schedule by the driver) until the recipient's `notification/1.0/ack` arrives or it expires.

use serde_json::Value;

use super::error::check_text;
use super::row::Cols;
use super::tx::on_tx;
use super::{Database, GuKind, StorageError};
use crate::ports::NewOutgoing;

/// The delivery state of one own record at one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuDelivery {
    pub message_id: String,
    pub recipient_did: String,
    /// Re-sends made so far (the first send is not counted).
    pub attempts: i64,
    pub next_attempt_ms: i64,
    pub expires_at_ms: i64,
    /// When the recipient's ack arrived; `None` while pending.
    pub acked_at_ms: Option<i64>,
}

/// A pending delivery that is due for a re-send, with the record to send.
#[derive(Clone, Debug, PartialEq)]
pub struct DueGu {
    pub delivery: GuDelivery,
    /// The stored record (JSON object, without `~please_ack`).
    pub payload: Value,
}

const COLUMNS: &str = "d.message_id, d.recipient_did, d.attempts, d.next_attempt_ms, \
                       d.expires_at_ms, COALESCE(d.acked_at_ms, -1) AS acked";

impl Database {
    /// Stores an own GU record and, if it is new, one pending delivery per outbox row in
    /// `sends` (its `recipient_did`) plus the outbox rows themselves — all in one
    /// transaction. `true` if the record was inserted, `false` for a duplicate `@id` (then
    /// nothing is written).
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_own_gu(
        &self,
        kind: GuKind,
        payload: &Value,
        sender_did: &str,
        message_id: &str,
        now_ms: i64,
        sends: &[NewOutgoing],
        first_retry_at_ms: i64,
    ) -> Result<bool, StorageError> {
        check_text("sender DID", sender_did)?;
        check_text("message id", message_id)?;
        let text = serde_json::to_string(payload)
            .map_err(|e| StorageError::Invalid(format!("GU payload: {e}")))?;
        check_text("GU payload", &text)?;
        let mut tx = self.begin().await?;
        let inserted = on_tx!(tx, |conn| {
            let n = sqlx::query(
                "INSERT INTO gu_records (kind, payload, sender_did, message_id, received_at_ms) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sender_did, message_id) DO NOTHING",
            )
            .bind(kind.as_str())
            .bind(&text)
            .bind(sender_did)
            .bind(message_id)
            .bind(now_ms)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if n == 1 {
                for s in sends {
                    sqlx::query(
                        "INSERT INTO gu_deliveries (message_id, recipient_did, attempts, \
                         next_attempt_ms, expires_at_ms) VALUES ($1, $2, 0, $3, $4) \
                         ON CONFLICT (message_id, recipient_did) DO NOTHING",
                    )
                    .bind(message_id)
                    .bind(&s.recipient_did)
                    .bind(first_retry_at_ms)
                    .bind(s.expires_at_ms)
                    .execute(&mut *conn)
                    .await?;
                }
            }
            n == 1
        });
        if inserted {
            tx.enqueue_outbox(sends).await?;
        }
        tx.commit().await?;
        Ok(inserted)
    }

    /// Pending, unexpired deliveries of records sent by `sender_did` whose re-send is due.
    pub async fn due_gu_deliveries(
        &self,
        sender_did: &str,
        now_ms: i64,
        limit: i64,
    ) -> Result<Vec<DueGu>, StorageError> {
        let sql = format!(
            "SELECT {COLUMNS}, r.payload FROM gu_deliveries d JOIN gu_records r \
             ON r.sender_did = $1 AND r.message_id = d.message_id \
             WHERE d.acked_at_ms IS NULL AND d.next_attempt_ms <= $2 AND d.expires_at_ms > $2 \
             ORDER BY d.next_attempt_ms LIMIT $3"
        );
        on_pool!(self, |pool| {
            let rows = sqlx::query(&sql)
                .bind(sender_did)
                .bind(now_ms)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|row| {
                    let payload = serde_json::from_str(&row.text("payload")?)
                        .map_err(|e| StorageError::Corrupt(format!("GU payload: {e}")))?;
                    Ok(DueGu {
                        delivery: decode(row)?,
                        payload,
                    })
                })
                .collect()
        })
    }

    /// Records a re-send of a pending delivery and when the next one is due.
    pub async fn reschedule_gu_delivery(
        &self,
        message_id: &str,
        recipient_did: &str,
        attempts: i64,
        next_attempt_ms: i64,
    ) -> Result<(), StorageError> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE gu_deliveries SET attempts = $3, next_attempt_ms = $4 \
                 WHERE message_id = $1 AND recipient_did = $2 AND acked_at_ms IS NULL",
            )
            .bind(message_id)
            .bind(recipient_did)
            .bind(attempts)
            .bind(next_attempt_ms)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Marks the delivery of record `message_id` to `recipient_did` acknowledged; `true` if
    /// a pending row of exactly that pair existed (unknown ids and other senders: `false`).
    pub async fn ack_gu_delivery(
        &self,
        message_id: &str,
        recipient_did: &str,
        now_ms: i64,
    ) -> Result<bool, StorageError> {
        on_pool!(self, |pool| {
            let n = sqlx::query(
                "UPDATE gu_deliveries SET acked_at_ms = $3 \
                 WHERE message_id = $1 AND recipient_did = $2 AND acked_at_ms IS NULL",
            )
            .bind(message_id)
            .bind(recipient_did)
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    /// Every delivery row of one own record, by recipient DID.
    pub async fn gu_deliveries(&self, message_id: &str) -> Result<Vec<GuDelivery>, StorageError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM gu_deliveries d WHERE d.message_id = $1 \
             ORDER BY d.recipient_did"
        );
        on_pool!(self, |pool| {
            let rows = sqlx::query(&sql).bind(message_id).fetch_all(pool).await?;
            rows.iter().map(decode).collect()
        })
    }
}

fn decode(row: &impl Cols) -> Result<GuDelivery, StorageError> {
    let acked = row.int("acked")?;
    Ok(GuDelivery {
        message_id: row.text("message_id")?,
        recipient_did: row.text("recipient_did")?,
        attempts: row.int("attempts")?,
        next_attempt_ms: row.int("next_attempt_ms")?,
        expires_at_ms: row.int("expires_at_ms")?,
        acked_at_ms: (acked >= 0).then_some(acked),
    })
}
