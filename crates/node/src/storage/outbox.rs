//! The durable outbox: [`OutboxStore`] for [`Database`] (the inbound de-duplication record
//! is `dedup.rs`). Enqueueing inside a larger unit of work is
//! [`super::Tx::enqueue_outbox`]; this is the stand-alone form the transport uses. Every
//! write here except `enqueue` goes through the relaxed pool (module docs of `storage`,
//! "Bookkeeping writes"); deletions of delivered entries wait for the next write
//! (`delivered.rs`).

use super::row::Cols;
use super::{Database, StorageError};
use crate::ports::{NewOutgoing, OutboxEntry, OutboxStore, StoreFailure};

/// Longest `last_error` kept (in characters); the rest is cut.
const MAX_ERROR_CHARS: usize = 1000;

impl OutboxStore for Database {
    async fn enqueue(&self, messages: Vec<NewOutgoing>) -> Result<Vec<i64>, StoreFailure> {
        let mut tx = self.begin().await?;
        let ids = tx.enqueue_outbox(&messages).await?;
        tx.commit().await?;
        Ok(ids)
    }

    async fn due(&self, now_ms: i64, limit: usize) -> Result<Vec<OutboxEntry>, StoreFailure> {
        self.flush_delivered().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let entries = on_pool!(self, |pool| {
            let rows = sqlx::query(
                "SELECT id, recipient_did, endpoint, body, attempts, next_attempt_at_ms, \
                 expires_at_ms FROM outbox WHERE next_attempt_at_ms <= $1 \
                 AND expires_at_ms >= $1 ORDER BY id LIMIT $2",
            )
            .bind(now_ms)
            .bind(limit)
            .fetch_all(pool)
            .await
            .map_err(StorageError::from)?;
            rows.iter()
                .map(decode_entry)
                .collect::<Result<Vec<_>, _>>()?
        });
        // Delivered entries whose deletion is in a unit of work not ended yet.
        Ok(entries
            .into_iter()
            .filter(|e| !self.delivered_in_flight(e.id))
            .collect())
    }

    async fn delivered(&self, id: i64) -> Result<(), StoreFailure> {
        self.defer_delivered(&[id]).await
    }

    /// Deferred: see `delivered.rs`.
    async fn delivered_many(&self, ids: &[i64]) -> Result<(), StoreFailure> {
        self.defer_delivered(ids).await
    }

    async fn retry_later(
        &self,
        id: i64,
        attempts: u32,
        next_attempt_at_ms: i64,
        last_error: &str,
    ) -> Result<(), StoreFailure> {
        let error: String = last_error
            .chars()
            .filter(|c| *c != '\0')
            .take(MAX_ERROR_CHARS)
            .collect();
        let _turn = self.write_turn().await;
        on_relaxed_pool!(self, |pool| {
            sqlx::query(
                "UPDATE outbox SET attempts = $1, next_attempt_at_ms = $2, last_error = $3 \
                 WHERE id = $4",
            )
            .bind(i64::from(attempts))
            .bind(next_attempt_at_ms)
            .bind(&error)
            .bind(id)
            .execute(pool)
            .await
            .map_err(StorageError::from)?;
        });
        Ok(())
    }

    async fn expire(&self, now_ms: i64) -> Result<u64, StoreFailure> {
        let _turn = self.write_turn().await;
        let dropped = on_relaxed_pool!(self, |pool| {
            sqlx::query("DELETE FROM outbox WHERE expires_at_ms < $1")
                .bind(now_ms)
                .execute(pool)
                .await
                .map_err(StorageError::from)?
                .rows_affected()
        });
        Ok(dropped)
    }

    async fn depth(&self) -> Result<u64, StoreFailure> {
        self.flush_delivered().await?;
        let count: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
                .fetch_one(pool)
                .await
                .map_err(StorageError::from)?
        });
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

fn decode_entry(row: &impl Cols) -> Result<OutboxEntry, StorageError> {
    Ok(OutboxEntry {
        id: row.int("id")?,
        recipient_did: row.text("recipient_did")?,
        endpoint: row.text("endpoint")?,
        body: row.bytes("body")?,
        attempts: u32::try_from(row.int("attempts")?)
            .map_err(|_| StorageError::Corrupt("outbox attempts out of range".into()))?,
        next_attempt_at_ms: row.int("next_attempt_at_ms")?,
        expires_at_ms: row.int("expires_at_ms")?,
    })
}
