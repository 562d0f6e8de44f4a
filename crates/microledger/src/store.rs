//! The storage seam: the [`LedgerStore`] trait a backend implements (memory here; SQLite and
//! PostgreSQL in the node), the persisted [`LedgerMeta`] and the [`WriteBatch`] that carries
//! everything one `create` or `commit` writes.
//!
//! # Contract
//!
//! A store holds **one** ledger: its metadata, its committed transactions by seqNo
//! (1-based, contiguous) and the hash of every *complete* perfect subtree of the committed
//! tree, keyed by [`NodeKey`] (level 0 = leaf hashes). Uncommitted transactions are never
//! stored (they are volatile, §5.5).
//!
//! * Reads are plain lookups; "absent" is `Ok(None)`, never an error.
//! * Every write goes through [`LedgerStore::apply`] with one [`WriteBatch`], which the
//!   backend must apply **atomically** (one database transaction: all of it or none of it),
//!   and only if the stored size still equals [`WriteBatch::expected_size`] (`None`: no ledger
//!   may exist yet) — otherwise [`StoreError::Conflict`] and nothing is written.
//! * Batches only append: transactions `expected_size+1 ..= meta.size`, and nodes that did not
//!   exist before. A backend may therefore use plain `INSERT`s plus one `UPDATE` of the metadata.
//! * After a successful `apply`, the reads must return the batch's data.
//!
//! The node can compute a commit's batch without writing it with
//! [`crate::Microledger::prepare_commit`].

use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::hash::Hash;
use crate::transaction::Transaction;
use crate::tree::NodeKey;

/// The persisted description of a ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerMeta {
    /// Ledger name (used verbatim in consensus, §5.8).
    pub name: String,
    /// Number of committed transactions.
    pub size: u64,
    /// Root of the committed tree (checked against the stored subtrees when opening).
    pub root_hash: Hash,
}

/// Everything one `create` or `commit` writes; to be applied atomically.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteBatch {
    /// The committed size the store must have before the write (`None`: a new ledger).
    pub expected_size: Option<u64>,
    /// The metadata after the write.
    pub meta: LedgerMeta,
    /// New committed transactions with their seqNos, in increasing seqNo order.
    pub transactions: Vec<(u64, Transaction)>,
    /// New perfect-subtree hashes (leaves included), in the order they were completed.
    pub nodes: Vec<(NodeKey, Hash)>,
}

/// Synchronous storage of one ledger; see the module documentation for the contract.
pub trait LedgerStore {
    /// The ledger's metadata, or `None` if no ledger was created in this store.
    fn meta(&self) -> Result<Option<LedgerMeta>, StoreError>;

    /// The committed transaction with this seqNo (1-based), if stored.
    fn transaction(&self, seq_no: u64) -> Result<Option<Transaction>, StoreError>;

    /// The hash of the perfect subtree `key`, if stored.
    fn node(&self, key: NodeKey) -> Result<Option<Hash>, StoreError>;

    /// Applies a batch atomically, after checking [`WriteBatch::expected_size`].
    fn apply(&mut self, batch: &WriteBatch) -> Result<(), StoreError>;

    /// The committed transactions `first..=last` (1-based). The default calls
    /// [`LedgerStore::transaction`] per seqNo; backends may override with a range query.
    fn transactions(&self, first: u64, last: u64) -> Result<Vec<Transaction>, StoreError> {
        let mut out = Vec::new();
        for seq_no in first..=last {
            match self.transaction(seq_no)? {
                Some(txn) => out.push(txn),
                None => {
                    return Err(StoreError::Corrupt(format!(
                        "transaction {seq_no} is missing"
                    )))
                }
            }
        }
        Ok(out)
    }
}

impl<S: LedgerStore + ?Sized> LedgerStore for &mut S {
    fn meta(&self) -> Result<Option<LedgerMeta>, StoreError> {
        (**self).meta()
    }
    fn transaction(&self, seq_no: u64) -> Result<Option<Transaction>, StoreError> {
        (**self).transaction(seq_no)
    }
    fn node(&self, key: NodeKey) -> Result<Option<Hash>, StoreError> {
        (**self).node(key)
    }
    fn apply(&mut self, batch: &WriteBatch) -> Result<(), StoreError> {
        (**self).apply(batch)
    }
    fn transactions(&self, first: u64, last: u64) -> Result<Vec<Transaction>, StoreError> {
        (**self).transactions(first, last)
    }
}

impl<S: LedgerStore + ?Sized> LedgerStore for Box<S> {
    fn meta(&self) -> Result<Option<LedgerMeta>, StoreError> {
        (**self).meta()
    }
    fn transaction(&self, seq_no: u64) -> Result<Option<Transaction>, StoreError> {
        (**self).transaction(seq_no)
    }
    fn node(&self, key: NodeKey) -> Result<Option<Hash>, StoreError> {
        (**self).node(key)
    }
    fn apply(&mut self, batch: &WriteBatch) -> Result<(), StoreError> {
        (**self).apply(batch)
    }
    fn transactions(&self, first: u64, last: u64) -> Result<Vec<Transaction>, StoreError> {
        (**self).transactions(first, last)
    }
}
