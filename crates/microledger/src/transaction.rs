//! The [`Transaction`] model (§5.2): an arbitrary JSON object whose reserved key `txnMetadata`
//! is absent or an object, the metadata the ledger writes (`txnTime`, `seqNo`), and the leaf
//! data/hash of a transaction (§5.3), including the one place where open question Q1 is decided.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::LedgerError;
use crate::hash::Hash;

/// Reserved key of the ledger-written metadata.
pub const TXN_METADATA: &str = "txnMetadata";
/// Metadata key of the 1-based position in the ledger.
pub const SEQ_NO: &str = "seqNo";
/// Metadata key of the time given to `append`.
pub const TXN_TIME: &str = "txnTime";

/// A ledger transaction: a JSON object; `txnMetadata`, if present, is an object.
///
/// The invariant is checked on construction ([`Transaction::from_value`], deserialisation)
/// and cannot be broken afterwards (no mutable access to the map).
///
/// The object is shared (`Arc`): a transaction travels through a round's proposal, the
/// staged and committed ledger, the write batch and the ledger cache, and each of those
/// holds it, so a clone is a reference count, not a copy of the JSON. The ledger's own
/// metadata writes copy it only if it is shared at that moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction(Arc<Map<String, Value>>);

impl Serialize for Transaction {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl Transaction {
    /// Checks that `value` is an object whose `txnMetadata` is absent or an object.
    pub fn from_value(value: Value) -> Result<Self, LedgerError> {
        match value {
            Value::Object(map) => Self::from_map(map),
            _ => Err(LedgerError::TransactionNotObject),
        }
    }

    /// Checks that `txnMetadata` is absent or an object.
    pub fn from_map(map: Map<String, Value>) -> Result<Self, LedgerError> {
        match map.get(TXN_METADATA) {
            None | Some(Value::Object(_)) => Ok(Transaction(Arc::new(map))),
            Some(_) => Err(LedgerError::MetadataNotObject),
        }
    }

    /// The JSON object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The JSON object, owned.
    pub fn into_map(self) -> Map<String, Value> {
        Arc::try_unwrap(self.0).unwrap_or_else(|shared| (*shared).clone())
    }

    /// The transaction as a JSON value (always an object).
    pub fn into_value(self) -> Value {
        Value::Object(self.into_map())
    }

    /// The `txnMetadata` object, if present.
    pub fn metadata(&self) -> Option<&Map<String, Value>> {
        self.0.get(TXN_METADATA).and_then(Value::as_object)
    }

    /// `txnMetadata.seqNo`, if present and a non-negative integer.
    pub fn seq_no(&self) -> Option<u64> {
        self.metadata()?.get(SEQ_NO)?.as_u64()
    }

    /// `txnMetadata.txnTime`, if present (stored verbatim: string, integer, …).
    pub fn txn_time(&self) -> Option<&Value> {
        self.metadata()?.get(TXN_TIME)
    }

    /// Writes the ledger metadata as Plenum's `append_txns_metadata` does (§5.2): `txnTime`
    /// only when `txn_time` is given and not null (an existing one is otherwise kept), then
    /// `seqNo`, overwriting any existing value. When a time is written, `seqNo` is (re)inserted
    /// after it, so the metadata reads `{…, "txnTime": …, "seqNo": …}` in insertion order.
    pub(crate) fn assign_metadata(&mut self, seq_no: u64, txn_time: Option<&Value>) {
        let slot = Arc::make_mut(&mut self.0)
            .entry(TXN_METADATA)
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            // Unreachable by the type invariant; repaired rather than panicking.
            *slot = Value::Object(Map::new());
        }
        if let Value::Object(meta) = slot {
            if let Some(time) = txn_time.filter(|t| !t.is_null()) {
                meta.shift_remove(SEQ_NO);
                meta.insert(TXN_TIME.to_owned(), time.clone());
            }
            meta.insert(SEQ_NO.to_owned(), Value::from(seq_no));
        }
    }
}

impl TryFrom<Value> for Transaction {
    type Error = LedgerError;
    fn try_from(value: Value) -> Result<Self, Self::Error> {
        Transaction::from_value(value)
    }
}

impl From<Transaction> for Value {
    fn from(txn: Transaction) -> Self {
        txn.into_value()
    }
}

impl<'de> Deserialize<'de> for Transaction {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Transaction::from_value(value).map_err(serde::de::Error::custom)
    }
}

/// The bytes hashed into a transaction's Merkle leaf (§5.3): CJSON of the **whole**
/// transaction, `txnMetadata` included.
///
/// **Open question Q1 is decided here, and only here.** The Sirius cloud agent's tree
/// serializer is closed source; for non-ASCII text and `/` it might escape (`\uXXXX`, `\/`,
/// as `ujson` does). We use CJSON exactly as §1.2 defines it — raw UTF-8, `/` unescaped — as
/// the SDK's own client-side `leaf_hash` helper does; all published vectors are ASCII, so they
/// cannot tell the variants apart. If Q1 resolves otherwise, change this function alone.
pub fn leaf_data(txn: &Transaction) -> Result<Vec<u8>, LedgerError> {
    Ok(tmtm_wire::json::canonical_object(&txn.0)?)
}

/// Leaf hash of a transaction: SHA256(0x00 ‖ CJSON(txn)) (§5.3).
pub fn leaf_hash(txn: &Transaction) -> Result<Hash, LedgerError> {
    Ok(Hash::leaf(&leaf_data(txn)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn txn(v: Value) -> Transaction {
        Transaction::from_value(v).unwrap()
    }

    #[test]
    fn shape_is_checked() {
        assert!(matches!(
            Transaction::from_value(json!([1])),
            Err(LedgerError::TransactionNotObject)
        ));
        assert!(matches!(
            Transaction::from_value(json!({"txnMetadata": 1})),
            Err(LedgerError::MetadataNotObject)
        ));
        assert!(serde_json::from_str::<Transaction>(r#"{"txnMetadata":[]}"#).is_err());
        assert!(serde_json::from_str::<Transaction>(r#""x""#).is_err());
        let t: Transaction = serde_json::from_str(r#"{"a":1,"txnMetadata":{}}"#).unwrap();
        assert_eq!(t.seq_no(), None);
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"a":1,"txnMetadata":{}}"#
        );
    }

    #[test]
    fn metadata_time_before_seq_no_and_seq_no_overwritten() {
        let mut t = txn(json!({"op": "x", "txnMetadata": {"seqNo": 9}}));
        t.assign_metadata(3, Some(&json!("2020-09-04 17:31:18.355738")));
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"op":"x","txnMetadata":{"txnTime":"2020-09-04 17:31:18.355738","seqNo":3}}"#
        );
        assert_eq!(t.seq_no(), Some(3));
        assert_eq!(t.txn_time(), Some(&json!("2020-09-04 17:31:18.355738")));
        // A null time keeps the existing one and adds none.
        t.assign_metadata(4, Some(&Value::Null));
        assert_eq!(t.txn_time(), Some(&json!("2020-09-04 17:31:18.355738")));
        let mut u = txn(json!({"op": "y"}));
        u.assign_metadata(1, None);
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            r#"{"op":"y","txnMetadata":{"seqNo":1}}"#
        );
    }

    #[test]
    fn floats_are_a_typed_error() {
        let t = txn(json!({"amount": 1.5}));
        assert!(matches!(leaf_hash(&t), Err(LedgerError::Canonical(_))));
        assert_eq!(t, txn(json!({"amount": 1.5})), "unchanged by a failed hash");
    }

    #[test]
    fn hashing_keeps_the_key_order() {
        let t = txn(json!({"b": 1, "a": "é/", "txnMetadata": {"seqNo": 1}}));
        let h = leaf_hash(&t).unwrap();
        assert_eq!(
            h,
            Hash::leaf(&tmtm_wire::json::canonical(&t.clone().into_value()).unwrap())
        );
        assert_eq!(
            t.as_map().keys().collect::<Vec<_>>(),
            ["b", "a", "txnMetadata"]
        );
    }

    #[test]
    fn clones_share_the_object_but_never_each_others_changes() {
        let original = txn(json!({"no": "Ф-1", "txnMetadata": {"seqNo": 1}}));
        let mut copy = original.clone();
        copy.assign_metadata(7, Some(&json!("2026-11-28")));
        assert_eq!(
            original.seq_no(),
            Some(1),
            "the original keeps its metadata"
        );
        assert_eq!(copy.seq_no(), Some(7));
        assert_eq!(copy.txn_time(), Some(&json!("2026-11-28")));
        let shared = original.clone();
        assert_eq!(shared.clone().into_map(), *original.as_map());
        assert_eq!(
            leaf_data(&original).unwrap(),
            tmtm_wire::json::canonical(&original.clone().into_value()).unwrap(),
            "the leaf is the CJSON of the whole object"
        );
    }
}
