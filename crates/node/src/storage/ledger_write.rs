//! Ledger writes inside a [`Tx`]: a microledger [`WriteBatch`] (create or commit), checked
//! against the stored size so that of two writers on one ledger exactly one wins, and the
//! API metadata of a ledger.

use serde_json::Value;
use tmtm_microledger::WriteBatch;

use super::error::{check_text, to_i64};
use super::multirow;
use super::tx::on_tx;
use super::{StorageError, Tx};

impl Tx {
    /// Writes a microledger batch (from `Microledger::create` or `prepare_commit`) and
    /// returns the ledger's id. `now_ms` is the creation time of a new ledger and the commit
    /// time of the new transactions.
    ///
    /// [`StorageError::Conflict`] when the stored size is not `batch.expected_size` (another
    /// writer committed first, or the ledger already exists / does not exist), or when the
    /// batch does not continue the stored ledger; the `Tx` must then be dropped.
    pub async fn apply_ledger_batch(
        &mut self,
        batch: &WriteBatch,
        now_ms: i64,
    ) -> Result<i64, StorageError> {
        check_batch(batch)?;
        let name = batch.meta.name.as_str();
        let size = to_i64("ledger size", batch.meta.size)?;
        let root = batch.meta.root_hash.as_bytes().to_vec();
        let mut txns = Vec::with_capacity(batch.transactions.len());
        for (seq_no, txn) in &batch.transactions {
            let text = serde_json::to_string(txn)
                .map_err(|e| StorageError::Invalid(format!("transaction {seq_no}: {e}")))?;
            txns.push((to_i64("seqNo", *seq_no)?, text));
        }
        let mut nodes = Vec::with_capacity(batch.nodes.len());
        for (key, hash) in &batch.nodes {
            nodes.push((
                i64::from(key.level),
                to_i64("node index", key.index)?,
                hash.as_bytes().to_vec(),
            ));
        }
        on_tx!(self, |conn| {
            let id: Option<i64> = match batch.expected_size {
                None => {
                    sqlx::query_scalar(
                        "INSERT INTO ledgers (name, size, root_hash, created_at_ms, \
                         updated_at_ms) VALUES ($1, $2, $3, $4, $4) \
                         ON CONFLICT (name) DO NOTHING RETURNING id",
                    )
                    .bind(name)
                    .bind(size)
                    .bind(&root)
                    .bind(now_ms)
                    .fetch_optional(&mut *conn)
                    .await?
                }
                Some(expected) => {
                    sqlx::query_scalar(
                        "UPDATE ledgers SET size = $1, root_hash = $2, updated_at_ms = $3 \
                         WHERE name = $4 AND size = $5 RETURNING id",
                    )
                    .bind(size)
                    .bind(&root)
                    .bind(now_ms)
                    .bind(name)
                    .bind(to_i64("expected size", expected)?)
                    .fetch_optional(&mut *conn)
                    .await?
                }
            };
            let Some(id) = id else {
                return Err(StorageError::Conflict(match batch.expected_size {
                    None => format!("ledger {name:?} already exists"),
                    Some(n) => format!("ledger {name:?} is not at size {n}"),
                }));
            };
            let cols = 4;
            for chunk in txns.chunks(multirow::chunk_rows(cols)) {
                let sql = format!(
                    "INSERT INTO ledger_transactions (ledger_id, seq_no, txn, committed_at_ms) \
                     VALUES {}",
                    multirow::values(chunk.len(), cols)
                );
                let mut q = sqlx::query(&sql);
                for (seq_no, text) in chunk {
                    q = q.bind(id).bind(*seq_no).bind(text).bind(now_ms);
                }
                q.execute(&mut *conn).await?;
            }
            for chunk in nodes.chunks(multirow::chunk_rows(cols)) {
                let sql = format!(
                    "INSERT INTO merkle_nodes (ledger_id, level, idx, hash) VALUES {}",
                    multirow::values(chunk.len(), cols)
                );
                let mut q = sqlx::query(&sql);
                for (level, index, hash) in chunk {
                    q = q.bind(id).bind(*level).bind(*index).bind(hash);
                }
                q.execute(&mut *conn).await?;
            }
            Ok(id)
        })
    }

    /// Sets the API metadata of a ledger (`{actor, local_timestamp_utc, participants}`),
    /// stored as JSON text with its key order. [`StorageError::NotFound`] if no such ledger.
    pub async fn set_ledger_metadata(
        &mut self,
        name: &str,
        metadata: &Value,
    ) -> Result<(), StorageError> {
        check_text("ledger name", name)?;
        let text = serde_json::to_string(metadata)
            .map_err(|e| StorageError::Invalid(format!("ledger metadata: {e}")))?;
        let updated = on_tx!(self, |conn| {
            sqlx::query("UPDATE ledgers SET metadata = $1 WHERE name = $2")
                .bind(&text)
                .bind(name)
                .execute(&mut *conn)
                .await?
                .rows_affected()
        });
        if updated == 0 {
            return Err(StorageError::NotFound(format!("ledger {name:?}")));
        }
        Ok(())
    }
}

impl Tx {
    /// Deletes a ledger with its transactions and subtree hashes (a failed creation round
    /// removes the ledger it created); `true` if it existed.
    pub async fn delete_ledger(&mut self, name: &str) -> Result<bool, StorageError> {
        check_text("ledger name", name)?;
        let deleted = on_tx!(self, |conn| {
            sqlx::query("DELETE FROM ledgers WHERE name = $1")
                .bind(name)
                .execute(&mut *conn)
                .await?
                .rows_affected()
        });
        Ok(deleted == 1)
    }
}

/// The batch must continue the stored ledger: seqNos `expected+1..=meta.size` in order.
/// (Duplicate subtree keys are caught by the primary key, as a conflict.)
fn check_batch(batch: &WriteBatch) -> Result<(), StorageError> {
    check_text("ledger name", &batch.meta.name)?;
    let base = batch.expected_size.unwrap_or(0);
    for (i, (seq_no, _)) in (1u64..).zip(&batch.transactions) {
        if base.checked_add(i) != Some(*seq_no) {
            return Err(StorageError::Conflict(format!(
                "seqNo {seq_no} does not follow size {base}"
            )));
        }
    }
    let count = batch.transactions.len() as u64;
    if base.checked_add(count) != Some(batch.meta.size) {
        return Err(StorageError::Conflict(format!(
            "size {} does not match {base} + {count} transactions",
            batch.meta.size
        )));
    }
    if let Some((key, _)) = batch.nodes.iter().find(|(k, _)| k.level >= 64) {
        return Err(StorageError::Conflict(format!(
            "subtree level {} is too high",
            key.level
        )));
    }
    Ok(())
}
