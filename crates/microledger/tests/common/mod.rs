//! Shared test helpers: the shared vectors (read at test time; a missing file fails the test),
//! a naive recursive MTH to compare against, and a store wrapper that counts lookups.
#![allow(dead_code)]

use std::cell::Cell;
use std::path::PathBuf;

use serde_json::{json, Value};
use tmtm_microledger::{
    Hash, LedgerMeta, LedgerStore, MemoryStore, NodeKey, StoreError, Transaction, WriteBatch,
};

/// Reads `shared/vectors/<name>` relative to this crate; panics with a clear message if absent.
pub fn vector(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/vectors")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "test vector file {} is missing or unreadable ({e}); the shared/ folder must sit beside the repository",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

pub fn txn(v: Value) -> Transaction {
    Transaction::from_value(v).unwrap()
}

pub fn hash(s: &Value) -> Hash {
    Hash::from_base58(s.as_str().unwrap()).unwrap()
}

pub fn hashes(v: &Value) -> Vec<Hash> {
    v.as_array().unwrap().iter().map(hash).collect()
}

/// The test transaction `{"reqId": n, "identifier": I?, "op": "op<n>"}` of §5.7, from merkle.json,
/// with its `txnMetadata` removed (the ledger must assign it).
pub fn merkle_txns_without_metadata() -> Vec<Transaction> {
    let v = vector("merkle.json");
    v["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let mut t = t.clone();
            t.as_object_mut().unwrap().remove("txnMetadata");
            txn(t)
        })
        .collect()
}

/// A distinct small transaction for generated trees.
pub fn numbered(i: u64, salt: u64) -> Transaction {
    txn(json!({"i": i, "salt": salt, "op": "generated"}))
}

/// RFC 6962 MTH, written directly from the recursive definition (§5.3).
pub fn naive_mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Hash::empty(),
        1 => leaves[0],
        n => {
            let mut k = 1;
            while k * 2 < n {
                k *= 2;
            }
            Hash::children(&naive_mth(&leaves[..k]), &naive_mth(&leaves[k..]))
        }
    }
}

/// PATH(m, D[0:n]) of §5.6, written directly from the recursive definition.
pub fn naive_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    if m < k {
        let mut p = naive_path(m, &leaves[..k]);
        p.push(naive_mth(&leaves[k..]));
        p
    } else {
        let mut p = naive_path(m - k, &leaves[k..]);
        p.push(naive_mth(&leaves[..k]));
        p
    }
}

/// A store that counts reads, to check the O(log n) claims.
#[derive(Default)]
pub struct CountingStore {
    pub inner: MemoryStore,
    pub node_reads: Cell<u64>,
    pub txn_reads: Cell<u64>,
}

impl LedgerStore for CountingStore {
    fn meta(&self) -> Result<Option<LedgerMeta>, StoreError> {
        self.inner.meta()
    }
    fn transaction(&self, seq_no: u64) -> Result<Option<Transaction>, StoreError> {
        self.txn_reads.set(self.txn_reads.get() + 1);
        self.inner.transaction(seq_no)
    }
    fn node(&self, key: NodeKey) -> Result<Option<Hash>, StoreError> {
        self.node_reads.set(self.node_reads.get() + 1);
        self.inner.node(key)
    }
    fn apply(&mut self, batch: &WriteBatch) -> Result<(), StoreError> {
        self.inner.apply(batch)
    }
}
