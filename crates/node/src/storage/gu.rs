//! The `gu_records` table (migration 0003): GU-11 / GU-12 shipping-plan records, this node's
//! own and those received from other participants, each with its sender DID and message
//! `@id`. A record is stored once per (sender, `@id`): a re-delivered message is dropped.

use serde_json::Value;

use super::error::{check_text, to_i64, to_u64};
use super::row::Cols;
use super::{Database, Page, StorageError};

/// Which register a record belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuKind {
    /// ГУ-11: monthly shipping plan with decades.
    Gu11,
    /// ГУ-12: shipping request.
    Gu12,
}

impl GuKind {
    /// The stored name (`gu-11` / `gu-12`), also the message type's last segment.
    pub fn as_str(self) -> &'static str {
        match self {
            GuKind::Gu11 => "gu-11",
            GuKind::Gu12 => "gu-12",
        }
    }
}

/// A stored GU record.
#[derive(Clone, Debug, PartialEq)]
pub struct GuRecord {
    pub id: i64,
    pub kind: GuKind,
    /// The message as received or sent (JSON object).
    pub payload: Value,
    pub sender_did: String,
    /// The message `@id`.
    pub message_id: String,
    pub received_at_ms: i64,
}

impl Database {
    /// Stores a GU record unless one from the same sender with the same `@id` exists;
    /// `true` if it was inserted, `false` for a duplicate.
    pub async fn insert_gu(
        &self,
        kind: GuKind,
        payload: &Value,
        sender_did: &str,
        message_id: &str,
        now_ms: i64,
    ) -> Result<bool, StorageError> {
        check_text("sender DID", sender_did)?;
        check_text("message id", message_id)?;
        let text = serde_json::to_string(payload)
            .map_err(|e| StorageError::Invalid(format!("GU payload: {e}")))?;
        check_text("GU payload", &text)?;
        on_pool!(self, |pool| {
            let n = sqlx::query(
                "INSERT INTO gu_records (kind, payload, sender_did, message_id, received_at_ms) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sender_did, message_id) DO NOTHING",
            )
            .bind(kind.as_str())
            .bind(&text)
            .bind(sender_did)
            .bind(message_id)
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected();
            Ok(n == 1)
        })
    }

    /// GU records of one kind, newest first.
    pub async fn list_gu(
        &self,
        kind: GuKind,
        offset: u64,
        limit: u64,
    ) -> Result<Page<GuRecord>, StorageError> {
        let (offset, limit) = (to_i64("offset", offset)?, to_i64("limit", limit)?);
        on_pool!(self, |pool| {
            let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM gu_records WHERE kind = $1")
                .bind(kind.as_str())
                .fetch_one(pool)
                .await?;
            let rows = sqlx::query(
                "SELECT id, kind, payload, sender_did, message_id, received_at_ms \
                 FROM gu_records WHERE kind = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
            )
            .bind(kind.as_str())
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?;
            Ok(Page {
                total: to_u64("count", total)?,
                items: rows.iter().map(decode_gu).collect::<Result<_, _>>()?,
            })
        })
    }

    /// The GU record of this kind with this id.
    pub async fn gu_record(&self, kind: GuKind, id: i64) -> Result<Option<GuRecord>, StorageError> {
        on_pool!(self, |pool| {
            let row = sqlx::query(
                "SELECT id, kind, payload, sender_did, message_id, received_at_ms \
                 FROM gu_records WHERE kind = $1 AND id = $2",
            )
            .bind(kind.as_str())
            .bind(id)
            .fetch_optional(pool)
            .await?;
            row.as_ref().map(decode_gu).transpose()
        })
    }
}

fn decode_gu(row: &impl Cols) -> Result<GuRecord, StorageError> {
    let kind = match row.text("kind")?.as_str() {
        "gu-11" => GuKind::Gu11,
        "gu-12" => GuKind::Gu12,
        other => return Err(StorageError::Corrupt(format!("unknown GU kind {other:?}"))),
    };
    let payload = serde_json::from_str(&row.text("payload")?)
        .map_err(|e| StorageError::Corrupt(format!("GU payload: {e}")))?;
    Ok(GuRecord {
        id: row.int("id")?,
        kind,
        payload,
        sender_did: row.text("sender_did")?,
        message_id: row.text("message_id")?,
        received_at_ms: row.int("received_at_ms")?,
    })
}
