//! Ledger writes inside a [`Tx`] or a [`WritePlan`]: a microledger [`WriteBatch`] (create or commit), checked
//! against the stored size so that of two writers on one ledger exactly one wins, and the
//! API metadata of a ledger.

use serde_json::Value;
use tmtm_microledger::WriteBatch;

use super::error::{check_text, to_i64};
use super::plan::{Arg, Outcome};
use super::{StorageError, Tx, WritePlan};

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
        let mut plan = WritePlan::new();
        let id = plan.ledger_batch(batch, now_ms)?;
        Ok(self.run(plan).await?.slot(id))
    }

    /// Sets the API metadata of a ledger (`{actor, local_timestamp_utc, participants}`),
    /// stored as JSON text with its key order. [`StorageError::NotFound`] if no such ledger.
    pub async fn set_ledger_metadata(
        &mut self,
        name: &str,
        metadata: &Value,
    ) -> Result<(), StorageError> {
        let mut plan = WritePlan::new();
        plan.ledger_metadata(name, metadata)?;
        self.run(plan).await?;
        Ok(())
    }

    /// Deletes a ledger with its transactions and subtree hashes (a failed creation round
    /// removes the ledger it created); `true` if it existed.
    pub async fn delete_ledger(&mut self, name: &str) -> Result<bool, StorageError> {
        let mut plan = WritePlan::new();
        let deleted = plan.delete_ledger(name)?;
        Ok(self.run(plan).await?.slot(deleted) == 1)
    }
}

impl WritePlan {
    /// [`Tx::apply_ledger_batch`] as statements; returns the slot of the ledger's id.
    pub fn ledger_batch(&mut self, batch: &WriteBatch, now_ms: i64) -> Result<usize, StorageError> {
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
        let id = self.slot();
        match batch.expected_size {
            None => self.push(
                "INSERT INTO ledgers (name, size, root_hash, created_at_ms, updated_at_ms) \
                 VALUES ($1, $2, $3, $4, $4) ON CONFLICT (name) DO NOTHING RETURNING id"
                    .into(),
                vec![
                    Arg::Text(name.to_owned()),
                    Arg::Int(size),
                    Arg::Blob(root),
                    Arg::Int(now_ms),
                ],
                Outcome::ReturnOne {
                    slot: id,
                    missing: format!("ledger {name:?} already exists"),
                },
            ),
            Some(expected) => self.push(
                "UPDATE ledgers SET size = $1, root_hash = $2, updated_at_ms = $3 \
                 WHERE name = $4 AND size = $5 RETURNING id"
                    .into(),
                vec![
                    Arg::Int(size),
                    Arg::Blob(root),
                    Arg::Int(now_ms),
                    Arg::Text(name.to_owned()),
                    Arg::Int(to_i64("expected size", expected)?),
                ],
                Outcome::ReturnOne {
                    slot: id,
                    missing: format!("ledger {name:?} is not at size {expected}"),
                },
            ),
        }
        self.push_rows(
            "INSERT INTO ledger_transactions (ledger_id, seq_no, txn, committed_at_ms)",
            "",
            txns.into_iter()
                .map(|(seq_no, text)| {
                    [
                        Arg::Slot(id),
                        Arg::Int(seq_no),
                        Arg::Text(text),
                        Arg::Int(now_ms),
                    ]
                })
                .collect(),
            &Outcome::Exec,
        );
        self.push_rows(
            "INSERT INTO merkle_nodes (ledger_id, level, idx, hash)",
            "",
            nodes
                .into_iter()
                .map(|(level, index, hash)| {
                    [
                        Arg::Slot(id),
                        Arg::Int(level),
                        Arg::Int(index),
                        Arg::Blob(hash),
                    ]
                })
                .collect(),
            &Outcome::Exec,
        );
        Ok(id)
    }

    /// [`Tx::set_ledger_metadata`] as a statement.
    pub fn ledger_metadata(&mut self, name: &str, metadata: &Value) -> Result<(), StorageError> {
        check_text("ledger name", name)?;
        let text = serde_json::to_string(metadata)
            .map_err(|e| StorageError::Invalid(format!("ledger metadata: {e}")))?;
        self.push(
            "UPDATE ledgers SET metadata = $1 WHERE name = $2".into(),
            vec![Arg::Text(text), Arg::Text(name.to_owned())],
            Outcome::MustChange(format!("ledger {name:?}")),
        );
        Ok(())
    }

    /// [`Tx::delete_ledger`] as a statement; returns the slot of the number of ledgers
    /// deleted (0 or 1).
    pub fn delete_ledger(&mut self, name: &str) -> Result<usize, StorageError> {
        check_text("ledger name", name)?;
        let deleted = self.slot();
        self.push(
            "DELETE FROM ledgers WHERE name = $1".into(),
            vec![Arg::Text(name.to_owned())],
            Outcome::Count(deleted),
        );
        Ok(deleted)
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
