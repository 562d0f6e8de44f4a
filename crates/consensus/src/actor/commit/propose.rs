//! Starting an actor commit round: check and stage the transactions on every ledger, sign our
//! own pre-commit and send `stage-propose[-parallel]` in the dialect of the network.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use tmtm_microledger::{LedgerState, Transaction};

use super::{lerr, ActorCommit, Stage};
use crate::dialect::Dialect;
use crate::hashes::state_value;
use crate::problem::{
    ProblemReport, REQUEST_NOT_ACCEPTED, REQUEST_PROCESSING_ERROR, RESPONSE_NOT_ACCEPTED,
};
use crate::round::{Core, Env};
use crate::sig::sign_value;
use crate::staging::{discard_staged, round_hash, sfx};

/// Refuse empty requests, transactions with metadata and ledgers that are missing or hold
/// uncommitted transactions. Returns the sorted, deduplicated ledger names.
fn check_request(
    env: &Env<'_>,
    ledgers: &[String],
    transactions: &[Transaction],
) -> Result<Vec<String>, ProblemReport> {
    let mut names = ledgers.to_vec();
    names.sort();
    names.dedup();
    if names.is_empty() || transactions.is_empty() {
        return Err(ProblemReport::new(
            REQUEST_NOT_ACCEPTED,
            "Preparing: nothing to commit",
        ));
    }
    if transactions
        .iter()
        .any(|t| t.metadata().is_some_and(|m| !m.is_empty()))
    {
        return Err(ProblemReport::new(
            REQUEST_NOT_ACCEPTED,
            "Transaction has metadata",
        ));
    }
    for n in &names {
        let st = env.ledgers.state(n).map_err(|_| {
            ProblemReport::new(
                RESPONSE_NOT_ACCEPTED,
                format!("Stage-1: Ledger with name {n} does not exists"),
            )
        })?;
        if st.uncommitted_size != st.size {
            return Err(ProblemReport::new(
                REQUEST_PROCESSING_ERROR,
                format!("Preparing: ledger {n} has uncommitted transactions"),
            ));
        }
    }
    Ok(names)
}

/// The body of the proposal after `participants`: transactions (and states) in the dialect's
/// format, the hash, the time to live and (2.x parallel) the ledger names.
#[allow(clippy::too_many_arguments)]
fn proposal_body(
    core: &Core,
    parallel: bool,
    names: &[String],
    appended: &[(String, Vec<Transaction>)],
    states: &[LedgerState],
    transactions: &[Transaction],
    txn_time: &str,
    hash: &str,
    ttl: u64,
) -> Vec<(&'static str, Value)> {
    let participants: Vec<Value> = core
        .participants
        .iter()
        .map(|d| json!(d.as_str()))
        .collect();
    let mut body = vec![("participants", Value::Array(participants))];
    if !parallel {
        let txns = appended.first().map(|(_, t)| json!(t)).unwrap_or(json!([]));
        let state = states.first().map(state_value).unwrap_or(Value::Null);
        body.push(("transactions", txns));
        body.push(("state", state));
    } else if core.dialect == Dialect::V1_0_25 {
        let batches: Vec<Value> = appended
            .iter()
            .zip(states)
            .map(|((_, txns), st)| json!({"transactions": txns, "state": state_value(st)}))
            .collect();
        body.push(("transactions", Value::Array(batches)));
    } else {
        let flat: Vec<Value> = transactions
            .iter()
            .map(|t| {
                let mut m = t.as_map().clone();
                m.insert("txnMetadata".into(), json!({"txnTime": txn_time}));
                Value::Object(m)
            })
            .collect();
        body.push(("transactions", Value::Array(flat)));
    }
    body.push(("hash", Value::String(hash.to_string())));
    body.push(("timeout_sec", json!(ttl)));
    if parallel && core.dialect == Dialect::V2 {
        body.push(("ledgers", json!(names)));
    }
    body
}

impl ActorCommit {
    pub(crate) fn start(
        env: &mut Env<'_>,
        mut core: Core,
        ledgers: Vec<String>,
        transactions: Vec<Transaction>,
        txn_time: String,
        ttl: u64,
        parallel: bool,
    ) -> Result<Self, ProblemReport> {
        let names = check_request(env, &ledgers, &transactions)?;
        let mut appended = Vec::new();
        let mut states: Vec<LedgerState> = Vec::new();
        for n in &names {
            match env.ledgers.append(
                n,
                transactions.clone(),
                Some(Value::String(txn_time.clone())),
            ) {
                Ok((st, txns)) => {
                    states.push(st);
                    appended.push((n.clone(), txns));
                }
                Err(e) => {
                    discard_staged(env, &appended);
                    return Err(lerr(e));
                }
            }
        }
        let signed = round_hash(parallel, &states).and_then(|h| {
            sign_value(env.keys, &Value::String(h.clone()), env.ts()).map(|sig| (h, sig))
        });
        let (hash, my_pre) = match signed {
            Ok(x) => x,
            Err(e) => {
                discard_staged(env, &appended);
                return Err(lerr(e));
            }
        };
        let body = proposal_body(
            &core,
            parallel,
            &names,
            &appended,
            &states,
            &transactions,
            &txn_time,
            &hash,
            ttl,
        );
        let propose = core.message(&sfx(parallel, "stage-propose"), body);
        let mut pre_commits = BTreeMap::new();
        pre_commits.insert(core.me.clone(), my_pre);
        env.send(core.others(), propose.clone());
        env.progress(
            &core.thid,
            20,
            "Stage-1: proposal sent, awaiting pre-commits",
        );
        Ok(ActorCommit {
            core,
            parallel,
            ledgers: names,
            appended,
            hash,
            stage: Stage::PreCommit,
            current: propose,
            pre_commits,
            commit_msg: None,
            my_commit: None,
            post_commits: BTreeMap::new(),
            final_reply: None,
        })
    }
}
