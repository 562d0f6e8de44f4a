//! The transaction object of the REST API (`original-tmtm.md` §1.2) and the signature check
//! behind its `signature_verified`, `signer_label`, `signer_icon` and `status`.
//!
//! A `msg~sig` is **verified** when it carries `sig_data`, its `signer` is a participant's
//! roster verkey, the Ed25519 signature over `sig_data` is valid for that key
//! (`tmtm_wire::signature::verify_from`), and the signed value is this transaction: the
//! signed JSON equals the stored transaction once `msg~sig` and `txnMetadata` are removed
//! from both (so whoever signs must sign the transaction without its `msg~sig`; whether
//! `txnMetadata` was present, `{}` or absent at signing does not matter). A signature
//! without `sig_data` (the original's detached form) cannot be verified: with the `legacy`
//! signature policy its roster signer is still *accepted* for labels and status, with
//! `signature_verified: false`; with `strict` (default) it is not. An unaccepted signer
//! gives `signer_label`/`signer_icon`/`status` null, so a forged `signer` field moves nothing.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tmtm_microledger::transaction::TXN_METADATA;
use tmtm_wire::keys::{Did, Verkey};
use tmtm_wire::signature::{verify_from, SignatureDecorator};
use utoipa::ToSchema;

use super::route::{status_of, Status};
use crate::config::SignaturePolicy;
use crate::roster::{Network, Participant};
use crate::storage::TransactionRecord;

/// Key of the transaction signature decorator.
pub const MSG_SIG: &str = "msg~sig";

/// One transaction as the REST API shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TransactionObject {
    /// The stored transaction without `txnMetadata`.
    #[schema(value_type = Object)]
    pub txn: Value,
    pub seq_no: u64,
    /// The ledger's `txnMetadata` (`seqNo`, `txnTime`, …).
    #[schema(value_type = Object)]
    pub metadata: Value,
    /// `txn["~attach"]`, or `[]` when absent.
    #[schema(value_type = Vec<Object>)]
    pub attachments: Value,
    /// Logo of the accepted signer's organisation (`/static/logos/<file>` or a URL).
    pub signer_icon: Option<String>,
    /// The accepted signer's organisation.
    pub signer_label: Option<String>,
    /// `txn.date`.
    #[schema(value_type = Option<String>)]
    pub date: Value,
    pub status: Option<Status>,
    /// Whether `msg~sig` verified against the signer's roster key (see the module docs).
    pub signature_verified: bool,
}

/// A transaction object and the DID of its accepted signer.
pub struct Viewed {
    pub object: TransactionObject,
    pub signer: Option<Did>,
}

/// Who signed `txn`, if accepted, and whether the signature verified.
pub fn accepted_signer<'n>(
    txn: &Map<String, Value>,
    network: &'n Network,
    policy: SignaturePolicy,
) -> (Option<&'n Participant>, bool) {
    let Some(decorator) = signature_of(txn) else {
        return (None, false);
    };
    let Some(participant) = Verkey::from_base58(&decorator.signer)
        .ok()
        .and_then(|vk| network.participant_by_verkey(&vk))
    else {
        return (None, false);
    };
    if decorator.sig_data.is_none() {
        let accepted = policy == SignaturePolicy::Legacy;
        return (accepted.then_some(participant), false);
    }
    let verified = signature_covers(&decorator, &participant.verkey, txn);
    (verified.then_some(participant), verified)
}

/// The `msg~sig` decorator of `txn`, if it has one of the right shape.
pub fn signature_of(txn: &Map<String, Value>) -> Option<SignatureDecorator> {
    txn.get(MSG_SIG)
        .and_then(|v| SignatureDecorator::deserialize(v).ok())
}

/// Whether `decorator` (with `sig_data`) verifies under `verkey` and what it signed is `txn`
/// (the convention in the module documentation). Also the participants' check of proposed
/// transactions (`driver/verify.rs`).
pub fn signature_covers(
    decorator: &SignatureDecorator,
    verkey: &Verkey,
    txn: &Map<String, Value>,
) -> bool {
    verify_from(decorator, verkey)
        .ok()
        .and_then(|signed| match signed.value {
            Value::Object(signed) => Some(signed),
            _ => None,
        })
        .is_some_and(|signed| same_without_signature(&signed, txn))
}

/// Whether `a` and `b` hold the same members apart from `msg~sig` and `txnMetadata` (in any
/// order), compared in place: a proposal carries up to hundreds of transactions.
fn same_without_signature(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    let signed_member = |k: &String| k != MSG_SIG && k != TXN_METADATA;
    a.keys().filter(|k| signed_member(k)).count() == b.keys().filter(|k| signed_member(k)).count()
        && a.iter()
            .filter(|(k, _)| signed_member(k))
            .all(|(k, v)| b.get(k) == Some(v))
}

/// The logo as a URL: an http(s) URL as is, a file name under `/static/logos/`.
pub fn logo_url(logo: &str) -> String {
    if logo.starts_with("https://") || logo.starts_with("http://") {
        logo.to_owned()
    } else {
        format!("/static/logos/{logo}")
    }
}

/// Builds the transaction object of a stored transaction.
pub fn view(record: &TransactionRecord, network: &Network, policy: SignaturePolicy) -> Viewed {
    let map = record.txn.as_map();
    let (signer, verified) = accepted_signer(map, network, policy);
    let mut txn = map.clone();
    let metadata = txn
        .shift_remove(TXN_METADATA)
        .unwrap_or_else(|| Value::Object(Map::new()));
    let signer_did = signer.map(|p| p.did.clone());
    let object = TransactionObject {
        seq_no: record.seq_no,
        metadata,
        attachments: txn
            .get("~attach")
            .cloned()
            .unwrap_or_else(|| Value::Array(Vec::new())),
        signer_icon: signer.and_then(|p| p.logo.as_deref()).map(logo_url),
        signer_label: signer.map(|p| p.organization.clone()),
        date: txn.get("date").cloned().unwrap_or(Value::Null),
        status: status_of(network, signer_did.as_ref()),
        signature_verified: verified,
        txn: Value::Object(txn),
    };
    Viewed {
        object,
        signer: signer_did,
    }
}

/// `txn.date` as text, if it is a string.
pub fn date_text(object: &TransactionObject) -> Option<&str> {
    object.date.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn signed_content_must_match_member_for_member() {
        let Value::Object(signed) = json!({"a": 1, "b": [2], "msg~sig": {"x": 1}}) else {
            panic!()
        };
        let same = |v: Value| match v {
            Value::Object(m) => same_without_signature(&signed, &m),
            _ => false,
        };
        assert!(same(json!({"b": [2], "a": 1, "txnMetadata": {"seqNo": 9}})));
        assert!(same(json!({"a": 1, "b": [2], "msg~sig": {"y": 2}})));
        assert!(!same(json!({"a": 1})), "a member missing");
        assert!(!same(json!({"a": 1, "b": [2], "c": 3})), "a member added");
        assert!(!same(json!({"a": 1, "b": [3]})), "a member changed");
        assert!(!same(json!({"a": 1, "c": [2]})), "a member renamed");
    }
}
