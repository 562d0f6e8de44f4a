//! Participant-side check of proposed business transactions: before a proposal
//! (`initialize-request`, `stage-propose`, `stage-propose-parallel`) reaches the engine, every
//! transaction in it must carry a `msg~sig` by the **proposer** that verifies
//! (`tmtm_wire::signature::verify_from`) over the transaction without `msg~sig` and
//! `txnMetadata` — the convention of [`crate::api::view::accepted_signer`], checked by the
//! same [`crate::api::view::signature_covers`]. With
//! [`SignaturePolicy::Legacy`] a `msg~sig` of the proposer without `sig_data` (the original's
//! unverifiable form) is accepted too. A refused proposal never reaches the engine; the
//! proposer gets a `request_not_accepted` problem report on the thread.

use serde_json::{Map, Value};
use tmtm_consensus::problem::REQUEST_NOT_ACCEPTED;
use tmtm_consensus::ProblemReport;
use tmtm_wire::keys::Verkey;

use crate::api::view::{signature_covers, signature_of};
use crate::config::SignaturePolicy;

/// The proposal names whose transactions are checked.
pub fn is_proposal(name: &str) -> bool {
    matches!(
        name,
        "initialize-request" | "stage-propose" | "stage-propose-parallel"
    )
}

/// Every transaction object in a proposal: `ledger.genesis`, `transactions` (a list of
/// transactions, or of `{transactions, state}` batches), always in the same order.
pub(super) fn transactions(message: &Map<String, Value>) -> Vec<&Map<String, Value>> {
    let mut out = Vec::new();
    let mut lists = Vec::new();
    if let Some(g) = message.get("ledger").and_then(|l| l.get("genesis")) {
        lists.push(g);
    }
    if let Some(t) = message.get("transactions") {
        lists.push(t);
    }
    while let Some(list) = lists.pop() {
        for item in list.as_array().into_iter().flatten() {
            match item {
                Value::Object(m) if m.contains_key("state") && m.contains_key("transactions") => {
                    if let Some(inner) = m.get("transactions") {
                        lists.push(inner);
                    }
                }
                Value::Object(m) => out.push(m),
                _ => {}
            }
        }
    }
    out
}

/// Whether `txn` is signed by `proposer` under `policy`.
pub fn signed_by(txn: &Map<String, Value>, proposer: &Verkey, policy: SignaturePolicy) -> bool {
    let Some(decorator) = signature_of(txn) else {
        return false;
    };
    if decorator.sig_data.is_none() {
        return policy == SignaturePolicy::Legacy
            && Verkey::from_base58(&decorator.signer).is_ok_and(|v| v == *proposer);
    }
    signature_covers(&decorator, proposer, txn)
}

/// The position of the first of `txns` not signed by `proposer`, if any.
pub(super) fn first_unsigned(
    txns: &[&Map<String, Value>],
    proposer: &Verkey,
    policy: SignaturePolicy,
) -> Option<usize> {
    txns.iter().position(|t| !signed_by(t, proposer, policy))
}

/// The problem report that refuses a proposal whose transaction `index` (in the order of
/// [`transactions`]) is not signed by its proposer.
pub(super) fn refusal(message: &Map<String, Value>, index: usize) -> Value {
    let thid = message
        .get("~thread")
        .and_then(|t| t.get("thid"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let report = ProblemReport::new(
        REQUEST_NOT_ACCEPTED,
        format!("Stage-1: transaction {index} is not signed by the proposer (msg~sig)"),
    );
    let id = format!("sig-{thid}");
    report.to_message(&id, thid)
}

/// The refusal of a proposal that carries a transaction not signed by its proposer, checked
/// in one piece; `None` when every transaction is signed. (`verify_stage.rs` checks large
/// proposals in parallel pieces.)
pub(super) fn refusal_of(
    message: &Map<String, Value>,
    proposer: &Verkey,
    policy: SignaturePolicy,
) -> Option<Value> {
    first_unsigned(&transactions(message), proposer, policy).map(|index| refusal(message, index))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::view::MSG_SIG;
    use serde_json::json;
    use tmtm_microledger::transaction::TXN_METADATA;
    use tmtm_wire::keys::KeyPair;
    use tmtm_wire::signature::sign;

    fn signed(keys: &KeyPair, mut txn: Map<String, Value>, detached: bool) -> Value {
        let mut d = sign(keys, &Value::Object(txn.clone()), 1_700_000_000).unwrap();
        if detached {
            d.sig_data = None;
        }
        txn.insert(MSG_SIG.into(), serde_json::to_value(d).unwrap());
        txn.insert(TXN_METADATA.into(), json!({"seqNo": 3}));
        Value::Object(txn)
    }

    fn check(
        name: &str,
        message: &Value,
        proposer: &Verkey,
        policy: SignaturePolicy,
    ) -> Result<(), Value> {
        if !is_proposal(name) {
            return Ok(());
        }
        refusal_of(message.as_object().unwrap(), proposer, policy).map_or(Ok(()), Err)
    }

    #[test]
    fn proposals_need_the_proposers_signature() {
        let a = KeyPair::from_seed(&[1u8; 32]);
        let b = KeyPair::from_seed(&[2u8; 32]);
        let Value::Object(t) = json!({"no": "Ф-1", "cargo": "уголь"}) else {
            panic!()
        };
        let good = signed(&a, t.clone(), false);
        let other = signed(&b, t.clone(), false);
        let detached = signed(&a, t.clone(), true);
        let mut tampered = good.clone();
        tampered["cargo"] = json!("золото");
        let thread = json!({"thid": "th-1"});
        let propose = |txns: Vec<Value>| json!({"transactions": txns, "~thread": thread});
        let strict = SignaturePolicy::Strict;
        let legacy = SignaturePolicy::Legacy;
        let vk = a.verkey();
        assert!(check("stage-propose", &propose(vec![good.clone()]), &vk, strict).is_ok());
        assert!(check("stage-propose", &propose(vec![other.clone()]), &vk, strict).is_err());
        assert!(check("stage-propose", &propose(vec![tampered]), &vk, legacy).is_err());
        assert!(check(
            "stage-propose",
            &propose(vec![Value::Object(t)]),
            &vk,
            legacy
        )
        .is_err());
        assert!(check(
            "stage-propose",
            &propose(vec![detached.clone()]),
            &vk,
            strict
        )
        .is_err());
        assert!(check(
            "stage-propose",
            &propose(vec![detached.clone()]),
            &vk,
            legacy
        )
        .is_ok());
        // Parallel batches and genesis are checked too; other messages are not.
        let batch = json!({"transactions": [{"transactions": [good.clone(), other.clone()],
                                             "state": {}}]});
        let report = check("stage-propose-parallel", &batch, &vk, strict).unwrap_err();
        assert_eq!(report["problem-code"], json!("request_not_accepted"));
        let init = json!({"ledger": {"name": "C", "genesis": [good, other]}});
        assert!(check("initialize-request", &init, &vk, strict).is_err());
        assert!(check("stage-commit", &init, &vk, strict).is_ok());
    }
}
