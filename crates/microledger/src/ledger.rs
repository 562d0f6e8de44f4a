//! [`Microledger`]: one named ledger over a [`LedgerStore`], with the committed/uncommitted
//! staging of §5.5 (create, append, commit, discard, reset) and its [`LedgerState`].
//!
//! Committed data lives in the store; the uncommitted tail (volatile, §5.5) lives here in
//! memory with its leaf hashes. Two [`Frontier`]s — committed, and committed + uncommitted —
//! give both roots without any store lookup, so append is O(1) amortised per transaction,
//! commit writes O(count + log n) rows, and discard is O(remaining uncommitted + log n).
//! Reads and proofs are in `reads.rs`.

use serde_json::Value;

use crate::error::{LedgerError, StoreError};
use crate::hash::Hash;
use crate::state::{Appended, Committed, LedgerState};
use crate::store::{LedgerMeta, LedgerStore, WriteBatch};
use crate::transaction::{leaf_hash, Transaction};
use crate::tree::{Frontier, NodeKey, Nodes};

/// One ledger: committed transactions in `S`, uncommitted ones in memory.
#[derive(Debug)]
pub struct Microledger<S: LedgerStore> {
    pub(crate) name: String,
    pub(crate) store: S,
    /// Compact tree of the committed leaves.
    pub(crate) committed: Frontier,
    /// Cached `committed.root()`.
    pub(crate) root: Hash,
    pub(crate) uncommitted: Vec<Transaction>,
    pub(crate) uncommitted_leaves: Vec<Hash>,
    /// Compact tree of committed + uncommitted leaves.
    tip: Frontier,
    /// Cached `tip.root()`.
    uncommitted_root: Hash,
}

/// Reads stored subtree hashes; a missing one means the store is corrupt.
pub(crate) struct StoreNodes<'a, S: ?Sized>(pub(crate) &'a S);

impl<S: LedgerStore + ?Sized> Nodes for StoreNodes<'_, S> {
    fn node(&self, key: NodeKey) -> Result<Hash, LedgerError> {
        self.0.node(key)?.ok_or_else(|| {
            StoreError::Corrupt(format!(
                "subtree hash {}/{} is missing",
                key.level, key.index
            ))
            .into()
        })
    }
}

impl<S: LedgerStore> Microledger<S> {
    /// Creates ledger `name` in an empty store with `genesis` committed (§5.8 `initialize`).
    /// seqNos are overwritten with 1..=N (open question Q2: we always overwrite); no `txnTime`
    /// is added. Returns the ledger and the genesis transactions with their metadata.
    pub fn create(
        name: &str,
        genesis: Vec<Transaction>,
        mut store: S,
    ) -> Result<(Self, Vec<Transaction>), LedgerError> {
        if let Some(meta) = store.meta()? {
            return Err(LedgerError::AlreadyExists(meta.name));
        }
        let mut frontier = Frontier::default();
        let mut nodes = Vec::new();
        let mut transactions = Vec::with_capacity(genesis.len());
        for mut txn in genesis {
            let seq_no = frontier.size() + 1;
            txn.assign_metadata(seq_no, None);
            let leaf = leaf_hash(&txn)?;
            frontier.push(leaf, |key, hash| nodes.push((key, hash)));
            transactions.push((seq_no, txn));
        }
        let batch = WriteBatch {
            expected_size: None,
            meta: LedgerMeta {
                name: name.to_owned(),
                size: frontier.size(),
                root_hash: frontier.root(),
            },
            transactions,
            nodes,
        };
        store.apply(&batch)?;
        let txns = batch.transactions.into_iter().map(|(_, t)| t).collect();
        Ok((Self::with_committed(name, store, frontier), txns))
    }

    /// Opens the ledger `name` held by `store`, checking the stored root against the stored
    /// subtree hashes (O(log n) lookups). Nothing is uncommitted after opening.
    pub fn open(name: &str, store: S) -> Result<Self, LedgerError> {
        let meta = store
            .meta()?
            .ok_or_else(|| LedgerError::NotFound(name.to_owned()))?;
        if meta.name != name {
            return Err(LedgerError::NameMismatch {
                expected: name.to_owned(),
                found: meta.name,
            });
        }
        let frontier = Frontier::load(&StoreNodes(&store), meta.size)?;
        if frontier.root() != meta.root_hash {
            return Err(StoreError::Corrupt(format!(
                "stored root {} differs from the root of the stored subtrees {}",
                meta.root_hash,
                frontier.root()
            ))
            .into());
        }
        Ok(Self::with_committed(name, store, frontier))
    }

    fn with_committed(name: &str, store: S, committed: Frontier) -> Self {
        let root = committed.root();
        Microledger {
            name: name.to_owned(),
            store,
            tip: committed.clone(),
            committed,
            root,
            uncommitted: Vec::new(),
            uncommitted_leaves: Vec::new(),
            uncommitted_root: root,
        }
    }

    /// Ledger name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The store (read access, e.g. for a backend's own queries).
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Gives the store back (uncommitted transactions are dropped, as on a restart).
    pub fn into_store(self) -> S {
        self.store
    }

    /// MicroLedgerState (§5.4, §6.2).
    pub fn state(&self) -> LedgerState {
        LedgerState {
            name: self.name.clone(),
            seq_no: self.size(),
            size: self.size(),
            uncommitted_size: self.uncommitted_size(),
            root_hash: self.root.to_base58(),
            uncommitted_root_hash: self.uncommitted_root.to_base58(),
        }
    }

    /// Number of committed transactions.
    pub fn size(&self) -> u64 {
        self.committed.size()
    }

    /// Committed + uncommitted transactions.
    pub fn uncommitted_size(&self) -> u64 {
        self.tip.size()
    }

    /// Root of the committed tree.
    pub fn root_hash(&self) -> Hash {
        self.root
    }

    /// Root of committed + uncommitted (= [`Self::root_hash`] when nothing is uncommitted).
    pub fn uncommitted_root_hash(&self) -> Hash {
        self.uncommitted_root
    }

    /// Appends `txns` to the uncommitted tail (§5.5): writes `txnTime` when `txn_time` is
    /// given and not null, and seqNos after the uncommitted tail (overwriting any present).
    /// All transactions are hashed first: on error (e.g. a float) nothing is appended.
    pub fn append(
        &mut self,
        txns: Vec<Transaction>,
        txn_time: Option<Value>,
    ) -> Result<Appended, LedgerError> {
        let before = self.tip.size();
        let mut prepared = Vec::with_capacity(txns.len());
        for (seq_no, mut txn) in (before + 1..).zip(txns) {
            txn.assign_metadata(seq_no, txn_time.as_ref());
            let leaf = leaf_hash(&txn)?;
            prepared.push((txn, leaf));
        }
        let mut out = Vec::with_capacity(prepared.len());
        for (txn, leaf) in prepared {
            self.tip.push(leaf, |_, _| {});
            self.uncommitted_leaves.push(leaf);
            out.push(txn.clone());
            self.uncommitted.push(txn);
        }
        self.uncommitted_root = self.tip.root();
        let end = self.tip.size();
        let start = if end == before { before } else { before + 1 };
        Ok(Appended {
            start,
            end,
            txns: out,
        })
    }

    /// What `commit(count)` would write to the store, without writing it.
    pub fn prepare_commit(&self, count: u64) -> Result<WriteBatch, LedgerError> {
        Ok(self.plan_commit(count)?.0)
    }

    fn plan_commit(&self, count: u64) -> Result<(WriteBatch, Frontier), LedgerError> {
        let n = self.checked_count(count)?;
        let mut frontier = self.committed.clone();
        let mut nodes = Vec::new();
        let mut transactions = Vec::with_capacity(n);
        for (txn, leaf) in self
            .uncommitted
            .iter()
            .zip(&self.uncommitted_leaves)
            .take(n)
        {
            frontier.push(*leaf, |key, hash| nodes.push((key, hash)));
            transactions.push((frontier.size(), txn.clone()));
        }
        let batch = WriteBatch {
            expected_size: Some(self.committed.size()),
            meta: LedgerMeta {
                name: self.name.clone(),
                size: frontier.size(),
                root_hash: frontier.root(),
            },
            transactions,
            nodes,
        };
        Ok((batch, frontier))
    }

    /// Commits the **first** `count` uncommitted transactions in one store batch (§5.5).
    /// Error if `count` exceeds the uncommitted count (nothing is written then).
    pub fn commit(&mut self, count: u64) -> Result<Committed, LedgerError> {
        let (batch, frontier) = self.plan_commit(count)?;
        self.store.apply(&batch)?;
        let start = self.committed.size() + 1;
        let n = batch.transactions.len();
        self.committed = frontier;
        self.root = batch.meta.root_hash;
        self.uncommitted.drain(..n);
        self.uncommitted_leaves.drain(..n);
        Ok(Committed {
            start,
            end: self.committed.size(),
            txns: batch.transactions.into_iter().map(|(_, t)| t).collect(),
        })
    }

    /// Drops the **last** `count` uncommitted transactions (§5.5); error if `count` exceeds
    /// the uncommitted count.
    pub fn discard(&mut self, count: u64) -> Result<(), LedgerError> {
        let n = self.checked_count(count)?;
        let keep = self.uncommitted.len() - n;
        self.uncommitted.truncate(keep);
        self.uncommitted_leaves.truncate(keep);
        self.rebuild_tip();
        Ok(())
    }

    /// Drops every uncommitted transaction.
    pub fn reset_uncommitted(&mut self) -> Result<(), LedgerError> {
        self.uncommitted.clear();
        self.uncommitted_leaves.clear();
        self.rebuild_tip();
        Ok(())
    }

    fn rebuild_tip(&mut self) {
        let mut tip = self.committed.clone();
        for leaf in &self.uncommitted_leaves {
            tip.push(*leaf, |_, _| {});
        }
        self.uncommitted_root = tip.root();
        self.tip = tip;
    }

    /// `count` as an index, if at most the number of uncommitted transactions.
    fn checked_count(&self, count: u64) -> Result<usize, LedgerError> {
        let uncommitted = self.uncommitted.len();
        match usize::try_from(count) {
            Ok(n) if n <= uncommitted => Ok(n),
            _ => Err(LedgerError::CountTooLarge {
                count,
                uncommitted: uncommitted as u64,
            }),
        }
    }
}
