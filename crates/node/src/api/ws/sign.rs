//! Business-transaction signing: before a transaction goes to consensus the node signs it
//! with its own key as `msg~sig` (`tmtm_wire::signature::sign`, keeping `sig_data`) over the
//! transaction WITHOUT `msg~sig` and WITHOUT `txnMetadata` — exactly what the REST
//! `signature_verified` check ([`crate::api::view::accepted_signer`]) verifies.

use serde_json::{Map, Value};
use tmtm_microledger::transaction::TXN_METADATA;
use tmtm_microledger::Transaction;
use tmtm_wire::keys::KeyPair;
use tmtm_wire::signature::sign;

use super::validate::Problem;
use crate::api::view::MSG_SIG;

/// Signs `txn` at `ts` (Unix seconds): drops any client `msg~sig` and `txnMetadata`, then
/// appends the node's `msg~sig`.
pub fn sign_transaction(
    keys: &KeyPair,
    mut txn: Map<String, Value>,
    ts: u64,
) -> Result<Transaction, Problem> {
    txn.shift_remove(MSG_SIG);
    txn.shift_remove(TXN_METADATA);
    let decorator = sign(keys, &Value::Object(txn.clone()), ts)
        .map_err(|e| Problem::processing(format!("cannot sign the transaction: {e}")))?;
    let decorator = serde_json::to_value(decorator)
        .map_err(|e| Problem::processing(format!("cannot sign the transaction: {e}")))?;
    txn.insert(MSG_SIG.to_owned(), decorator);
    Transaction::from_map(txn).map_err(|e| Problem::request(format!("Transaction: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn signed_transactions_verify_and_client_signatures_are_replaced() {
        let keys = KeyPair::from_seed(&[7u8; 32]);
        let txn = json!({"@id": "1", "no": "Ф-1", "msg~sig": {"signer": "forged"},
                         "txnMetadata": {"seqNo": 9}});
        let Value::Object(txn) = txn else { panic!() };
        let signed = sign_transaction(&keys, txn, 1_700_000_000).unwrap();
        let map = signed.as_map();
        assert!(map.get(TXN_METADATA).is_none());
        let sig = map.get(MSG_SIG).unwrap();
        assert_eq!(sig["signer"], json!(keys.verkey().to_base58()));
        assert!(sig.get("sig_data").is_some());
        // Verifies through the REST check when the signer is on the roster.
        let decorator: tmtm_wire::signature::SignatureDecorator =
            serde_json::from_value(sig.clone()).unwrap();
        let signed_value = tmtm_wire::signature::verify_from(&decorator, &keys.verkey()).unwrap();
        let mut expected = map.clone();
        expected.shift_remove(MSG_SIG);
        assert_eq!(signed_value.value, Value::Object(expected));
    }
}
