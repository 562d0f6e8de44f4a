//! The durable outbox and the inbound de-duplication record: [`OutboxStore`] and
//! [`InboxDedup`] for [`Database`]. Enqueueing inside a larger unit of work is
//! [`super::Tx::enqueue_outbox`]; this is the stand-alone form the transport uses. Every
//! write here except `enqueue` goes through the relaxed pool (module docs of `storage`,
//! "Bookkeeping writes").

use super::row::Cols;
use super::{Database, StorageError, Tx};
use crate::ports::{InboxDedup, NewOutgoing, OutboxEntry, OutboxStore, StoreFailure};

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
        Ok(entries)
    }

    async fn delivered(&self, id: i64) -> Result<(), StoreFailure> {
        let _turn = self.write_turn().await;
        on_relaxed_pool!(self, |pool| {
            sqlx::query("DELETE FROM outbox WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await
                .map_err(StorageError::from)?;
        });
        Ok(())
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
        let count: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
                .fetch_one(pool)
                .await
                .map_err(StorageError::from)?
        });
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

impl InboxDedup for Database {
    async fn first_seen(
        &self,
        sender_verkey: &str,
        message_id: &str,
        now_ms: i64,
    ) -> Result<bool, StoreFailure> {
        let mut tx = Tx::begin_relaxed(self).await?;
        let new = tx.first_seen(sender_verkey, message_id, now_ms).await?;
        tx.commit().await?;
        Ok(new)
    }

    async fn prune(&self, before_ms: i64) -> Result<u64, StoreFailure> {
        let _turn = self.write_turn().await;
        let removed = on_relaxed_pool!(self, |pool| {
            sqlx::query("DELETE FROM inbox_seen WHERE seen_at_ms < $1")
                .bind(before_ms)
                .execute(pool)
                .await
                .map_err(StorageError::from)?
                .rows_affected()
        });
        Ok(removed)
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
