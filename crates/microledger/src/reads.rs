//! Read operations of [`Microledger`]: transactions by seqNo (committed or uncommitted, §5.8)
//! and the proofs of §5.6 plus RFC 9162 consistency proofs, each from O(log n) stored
//! subtree hashes.

use crate::error::{LedgerError, StoreError};
use crate::hash::Hash;
use crate::ledger::{Microledger, StoreNodes};
use crate::state::{AuditProof, MerkleInfo};
use crate::store::LedgerStore;
use crate::transaction::Transaction;
use crate::tree;

impl<S: LedgerStore> Microledger<S> {
    /// The committed transaction `seq_no` (1-based).
    pub fn get(&self, seq_no: u64) -> Result<Transaction, LedgerError> {
        self.check_committed(seq_no)?;
        self.store
            .transaction(seq_no)?
            .ok_or_else(|| StoreError::Corrupt(format!("transaction {seq_no} is missing")).into())
    }

    /// Transaction `seq_no`, committed or uncommitted (§5.8 `get_by_seq_no_uncommitted`).
    pub fn get_uncommitted(&self, seq_no: u64) -> Result<Transaction, LedgerError> {
        if seq_no >= 1 && seq_no <= self.size() {
            return self.get(seq_no);
        }
        seq_no
            .checked_sub(self.size() + 1)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.uncommitted.get(i))
            .cloned()
            .ok_or(LedgerError::NoSuchSeqNo {
                seq_no,
                available: self.uncommitted_size(),
            })
    }

    /// The uncommitted transactions, in seqNo order.
    pub fn uncommitted_transactions(&self) -> Vec<Transaction> {
        self.uncommitted.clone()
    }

    /// All committed transactions (§5.8 `get_all_txns`; O(n), for small ledgers and tests).
    pub fn committed_transactions(&self) -> Result<Vec<Transaction>, LedgerError> {
        Ok(self.store.transactions(1, self.size())?)
    }

    /// The last transaction, uncommitted if any (§5.8 `get_last_txn`).
    pub fn last_transaction(&self) -> Result<Option<Transaction>, LedgerError> {
        match self.uncommitted.last() {
            Some(txn) => Ok(Some(txn.clone())),
            None => self.last_committed_transaction(),
        }
    }

    /// The last committed transaction (§5.8 `get_last_committed_txn`).
    pub fn last_committed_transaction(&self) -> Result<Option<Transaction>, LedgerError> {
        match self.size() {
            0 => Ok(None),
            n => self.get(n).map(Some),
        }
    }

    /// Root of the committed prefix of `size` leaves (`size <= self.size()`).
    pub fn root_hash_at(&self, size: u64) -> Result<Hash, LedgerError> {
        if size > self.size() {
            return Err(LedgerError::NoSuchSeqNo {
                seq_no: size,
                available: self.size(),
            });
        }
        tree::root(&StoreNodes(&self.store), size)
    }

    /// `merkle_info(seqNo)` (§5.6): root of the prefix tree of size seqNo and the path of
    /// leaf seqNo in it. Committed seqNos only.
    pub fn merkle_info(&self, seq_no: u64) -> Result<MerkleInfo, LedgerError> {
        self.check_committed(seq_no)?;
        let nodes = StoreNodes(&self.store);
        Ok(MerkleInfo {
            root_hash: tree::root(&nodes, seq_no)?,
            audit_path: tree::inclusion_path(&nodes, seq_no - 1, seq_no)?,
        })
    }

    /// `audit_proof(seqNo)` (§5.6): path of leaf seqNo in the committed tree.
    ///
    /// Open question Q7: for an uncommitted seqNo the cloud agent answers with a meaningless
    /// path; we return [`LedgerError::NoSuchSeqNo`] instead.
    pub fn audit_proof(&self, seq_no: u64) -> Result<AuditProof, LedgerError> {
        self.check_committed(seq_no)?;
        Ok(AuditProof {
            root_hash: self.root,
            audit_path: tree::inclusion_path(&StoreNodes(&self.store), seq_no - 1, self.size())?,
            ledger_size: self.size(),
        })
    }

    /// RFC 9162 consistency proof from committed size `old_size` to `new_size`
    /// (`old_size <= new_size <= size`); empty when `old_size` is 0 or equals `new_size`.
    pub fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<Vec<Hash>, LedgerError> {
        if old_size > new_size || new_size > self.size() {
            return Err(LedgerError::InvalidSizes {
                old_size,
                new_size,
                size: self.size(),
            });
        }
        if old_size == 0 {
            return Ok(Vec::new());
        }
        tree::consistency_path(&StoreNodes(&self.store), old_size, new_size)
    }

    fn check_committed(&self, seq_no: u64) -> Result<(), LedgerError> {
        if seq_no == 0 || seq_no > self.size() {
            return Err(LedgerError::NoSuchSeqNo {
                seq_no,
                available: self.size(),
            });
        }
        Ok(())
    }
}
