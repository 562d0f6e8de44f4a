//! [`MemoryStore`]: the in-memory [`LedgerStore`], for tests, benchmarks and ephemeral ledgers.
//! It checks every batch against the store contract before touching anything, so a rejected
//! batch leaves it unchanged.

use crate::error::StoreError;
use crate::hash::Hash;
use crate::store::{LedgerMeta, LedgerStore, WriteBatch};
use crate::transaction::Transaction;
use crate::tree::NodeKey;

/// A [`LedgerStore`] in memory: transactions and per-level subtree hashes in vectors.
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    meta: Option<LedgerMeta>,
    transactions: Vec<Transaction>,
    /// `levels[l][i]` = hash of [`NodeKey`] `{ level: l, index: i }`.
    levels: Vec<Vec<Hash>>,
}

impl MemoryStore {
    /// An empty store (no ledger yet).
    pub fn new() -> Self {
        Self::default()
    }

    fn check(&self, batch: &WriteBatch) -> Result<(), StoreError> {
        let current = self.meta.as_ref().map(|m| m.size);
        if current != batch.expected_size {
            return Err(StoreError::Conflict(format!(
                "expected size {:?}, store has {:?}",
                batch.expected_size, current
            )));
        }
        if let Some(meta) = &self.meta {
            if meta.name != batch.meta.name {
                return Err(StoreError::Conflict(format!(
                    "batch for ledger {:?}, store holds {:?}",
                    batch.meta.name, meta.name
                )));
            }
        }
        let base = self.transactions.len() as u64;
        for (i, (seq_no, _)) in batch.transactions.iter().enumerate() {
            if *seq_no != base + i as u64 + 1 {
                return Err(StoreError::Conflict(format!("seqNo {seq_no} out of order")));
            }
        }
        if batch.meta.size != base + batch.transactions.len() as u64 {
            return Err(StoreError::Conflict(
                "meta.size does not match the transactions".into(),
            ));
        }
        let mut next: Vec<u64> = self.levels.iter().map(|l| l.len() as u64).collect();
        for (key, _) in &batch.nodes {
            let level = key.level as usize;
            if level >= 64 {
                return Err(StoreError::Conflict(format!("node {key:?} is too high")));
            }
            if next.len() <= level {
                next.resize(level + 1, 0);
            }
            let slot = next
                .get_mut(level)
                .ok_or_else(|| StoreError::Conflict("level".into()))?;
            if key.index != *slot {
                return Err(StoreError::Conflict(format!("node {key:?} out of order")));
            }
            *slot += 1;
        }
        Ok(())
    }
}

impl LedgerStore for MemoryStore {
    fn meta(&self) -> Result<Option<LedgerMeta>, StoreError> {
        Ok(self.meta.clone())
    }

    fn transaction(&self, seq_no: u64) -> Result<Option<Transaction>, StoreError> {
        let Some(i) = seq_no.checked_sub(1).and_then(|i| usize::try_from(i).ok()) else {
            return Ok(None);
        };
        Ok(self.transactions.get(i).cloned())
    }

    fn node(&self, key: NodeKey) -> Result<Option<Hash>, StoreError> {
        let (Ok(level), Ok(index)) = (usize::try_from(key.level), usize::try_from(key.index))
        else {
            return Ok(None);
        };
        Ok(self.levels.get(level).and_then(|l| l.get(index)).copied())
    }

    fn apply(&mut self, batch: &WriteBatch) -> Result<(), StoreError> {
        self.check(batch)?;
        self.transactions
            .extend(batch.transactions.iter().map(|(_, t)| t.clone()));
        for (key, hash) in &batch.nodes {
            let level = key.level as usize;
            if self.levels.len() <= level {
                self.levels.resize_with(level + 1, Vec::new);
            }
            if let Some(l) = self.levels.get_mut(level) {
                l.push(*hash);
            }
        }
        self.meta = Some(batch.meta.clone());
        Ok(())
    }

    fn transactions(&self, first: u64, last: u64) -> Result<Vec<Transaction>, StoreError> {
        if first == 0 || last < first {
            return Ok(Vec::new());
        }
        let stored = self.transactions.len() as u64;
        if last > stored {
            return Err(StoreError::Corrupt(format!(
                "transaction {} is missing",
                stored.max(first - 1) + 1
            )));
        }
        let range = usize::try_from(first - 1).ok()..usize::try_from(last).ok();
        match range {
            std::ops::Range {
                start: Some(lo),
                end: Some(hi),
            } => Ok(self
                .transactions
                .get(lo..hi)
                .map(<[_]>::to_vec)
                .unwrap_or_default()),
            _ => Ok(Vec::new()),
        }
    }
}
