//! The values ledger operations return: [`LedgerState`] (the MicroLedgerState of §5.4/§6.2),
//! [`Appended`]/[`Committed`] (`(start, end, txns)` of §5.5) and the proofs of §5.6
//! ([`MerkleInfo`], [`AuditProof`]) in their wire shape.

use serde::{Deserialize, Serialize};

use crate::hash::Hash;
use crate::transaction::Transaction;

/// MicroLedgerState (§5.4, §6.2): hashed by consensus, so field names and types are exact.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct LedgerState {
    /// Ledger name.
    pub name: String,
    /// Number of committed transactions (= `size`).
    pub seq_no: u64,
    /// Number of committed transactions.
    pub size: u64,
    /// Committed + uncommitted transactions.
    pub uncommitted_size: u64,
    /// Base58 root of the committed tree.
    pub root_hash: String,
    /// Base58 root of committed + uncommitted; equals `root_hash` when nothing is uncommitted.
    pub uncommitted_root_hash: String,
}

/// Result of `append`: seqNos `start..=end` and the transactions with their metadata.
/// For an empty append, `start == end ==` the uncommitted size before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    /// First seqNo assigned.
    pub start: u64,
    /// Last seqNo assigned.
    pub end: u64,
    /// The appended transactions, metadata included.
    pub txns: Vec<Transaction>,
}

/// Result of `commit`: `start = size_before + 1`, `end = size_before + count`, and the
/// transactions now committed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Committed {
    /// First committed seqNo.
    pub start: u64,
    /// Last committed seqNo.
    pub end: u64,
    /// The committed transactions.
    pub txns: Vec<Transaction>,
}

/// `merkle_info(seqNo)` (§5.6): root of the prefix tree of size seqNo and the path of leaf
/// seqNo in it. Serialises as `{"rootHash", "auditPath"}` with base58 entries.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct MerkleInfo {
    /// Root of the first seqNo leaves.
    #[serde(rename = "rootHash")]
    pub root_hash: Hash,
    /// Inclusion path, bottom-up.
    #[serde(rename = "auditPath")]
    pub audit_path: Vec<Hash>,
}

/// `audit_proof(seqNo)` (§5.6): inclusion path of leaf seqNo in the whole committed tree.
/// Serialises as `{"rootHash", "auditPath", "ledgerSize"}`.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct AuditProof {
    /// Committed root.
    #[serde(rename = "rootHash")]
    pub root_hash: Hash,
    /// Inclusion path, bottom-up.
    #[serde(rename = "auditPath")]
    pub audit_path: Vec<Hash>,
    /// Committed size (the tree size to verify against).
    #[serde(rename = "ledgerSize")]
    pub ledger_size: u64,
}
