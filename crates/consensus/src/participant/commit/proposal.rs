//! Validating and staging a received `stage-propose[-parallel]` (both dialects): parse the
//! transactions and proposed states, compare them with our ledgers, stage, and answer with our
//! signed pre-commit only if our own hash equals the proposal's.

use serde_json::{json, Value};
use tmtm_microledger::{LedgerState, Transaction};

use super::{ParticipantCommit, Stage};
use crate::hashes::{parallel_hash, state_value_hash};
use crate::problem::{
    ProblemReport, REQUEST_NOT_ACCEPTED, REQUEST_PROCESSING_ERROR, RESPONSE_NOT_ACCEPTED,
};
use crate::round::{Core, Env};
use crate::sig::sign_value;
use crate::staging::{discard_staged, round_hash, sfx};

/// Per ledger: its name, the transactions to stage and the proposed state (absent in the
/// flat 2.x parallel format).
type Plan = Vec<(String, Vec<Transaction>, Option<LedgerState>)>;

fn rna(explain: impl Into<String>) -> ProblemReport {
    ProblemReport::new(RESPONSE_NOT_ACCEPTED, explain)
}

fn parse_txns(v: Option<&Value>) -> Result<Vec<Transaction>, ProblemReport> {
    let list = v
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| rna("Stage-1: transactions are empty"))?;
    let mut out = Vec::with_capacity(list.len());
    for t in list {
        let has_meta = t
            .get("txnMetadata")
            .and_then(Value::as_object)
            .is_some_and(|m| !m.is_empty());
        if !has_meta {
            return Err(ProblemReport::new(
                REQUEST_NOT_ACCEPTED,
                "Transaction has not metadata",
            ));
        }
        out.push(
            Transaction::from_value(t.clone())
                .map_err(|e| rna(format!("Stage-1: bad transaction: {e}")))?,
        );
    }
    Ok(out)
}

/// A state object with the six keys; returns it and the object as received.
fn parse_state(v: Option<&Value>) -> Result<(LedgerState, Value), ProblemReport> {
    let v = v.ok_or_else(|| rna("Stage-1: state is missing"))?;
    let st: LedgerState =
        serde_json::from_value(v.clone()).map_err(|e| rna(format!("Stage-1: bad state: {e}")))?;
    Ok((st, v.clone()))
}

/// Batches with states (single-ledger, or 1.0.25 parallel): the hash must match the states.
fn plan_with_states(msg: &Value, parallel: bool, hash: &str) -> Result<Plan, ProblemReport> {
    let batches: Vec<Value> = if parallel {
        msg.get("transactions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    } else {
        vec![json!({"transactions": msg.get("transactions"), "state": msg.get("state")})]
    };
    if batches.is_empty() {
        return Err(rna("Stage-1: transactions are empty"));
    }
    let mut plan = Plan::new();
    let mut states = Vec::new();
    for b in &batches {
        let txns = parse_txns(b.get("transactions"))?;
        let (st, raw) = parse_state(b.get("state"))?;
        if !parallel && state_value_hash(&raw).ok().as_deref() != Some(hash) {
            return Err(rna("Stage-1: hash does not match the proposed state"));
        }
        states.push(st.clone());
        plan.push((st.name.clone(), txns, Some(st)));
    }
    if parallel && parallel_hash(&states).ok().as_deref() != Some(hash) {
        return Err(rna(
            "Stage-1: hash does not match the proposed states (parallel mode)",
        ));
    }
    Ok(plan)
}

/// The flat 2.x parallel format: one transaction list for every ledger of `ledgers`.
fn plan_flat(msg: &Value) -> Result<Plan, ProblemReport> {
    let txns = parse_txns(msg.get("transactions"))?;
    let names = msg
        .get("ledgers")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| rna("Stage-1: ledgers are empty (parallel mode)"))?;
    let mut plan = Plan::new();
    for n in names {
        let n = n
            .as_str()
            .ok_or_else(|| rna("Stage-1: bad ledger name (parallel mode)"))?;
        plan.push((n.to_string(), txns.clone(), None));
    }
    Ok(plan)
}

/// Every ledger exists and its committed part equals the proposed one.
fn check_ledgers(env: &Env<'_>, plan: &Plan) -> Result<(), ProblemReport> {
    for (name, _, proposed) in plan {
        let mine = env
            .ledgers
            .state(name)
            .map_err(|_| rna(format!("Stage-1: Ledger with name {name} does not exists")))?;
        if let Some(p) = proposed {
            if p.size != mine.size || p.root_hash != mine.root_hash {
                return Err(rna(format!(
                    "Stage-1: Non-consistent ledger state of {name}"
                )));
            }
        }
    }
    Ok(())
}

impl ParticipantCommit {
    pub(crate) fn start(
        env: &mut Env<'_>,
        core: &mut Core,
        msg: &Value,
        parallel: bool,
        busy: &dyn Fn(&[String]) -> Option<ProblemReport>,
    ) -> Result<Self, ProblemReport> {
        let hash = msg
            .get("hash")
            .and_then(Value::as_str)
            .filter(|h| !h.is_empty())
            .ok_or_else(|| rna("Stage-1: hash is empty"))?
            .to_string();
        let plan = if !parallel || msg.get("ledgers").is_none() {
            plan_with_states(msg, parallel, &hash)?
        } else {
            plan_flat(msg)?
        };
        let mut names: Vec<String> = plan.iter().map(|(n, _, _)| n.clone()).collect();
        names.sort();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return Err(rna("Stage-1: a ledger is listed twice"));
        }
        check_ledgers(env, &plan)?;
        // Locks before the check for uncommitted data: a ledger another round is staging on is
        // reported as locked (§6.3), not as holding uncommitted transactions.
        if let Some(report) = busy(&names) {
            return Err(report);
        }
        for name in &names {
            let mine = env.ledgers.state(name).map_err(|e| {
                ProblemReport::new(REQUEST_PROCESSING_ERROR, format!("Stage-1: {e}"))
            })?;
            if mine.uncommitted_size != mine.size {
                return Err(ProblemReport::new(
                    REQUEST_PROCESSING_ERROR,
                    format!("Stage-1: ledger {name} has uncommitted transactions"),
                ));
            }
        }
        let mut staged: Vec<(String, Vec<Transaction>)> = Vec::new();
        let mut states = Vec::new();
        for (name, txns, _) in plan {
            match env.ledgers.append(&name, txns.clone(), None) {
                Ok((st, _)) => {
                    states.push(st);
                    staged.push((name, txns));
                }
                Err(e) => {
                    discard_staged(env, &staged);
                    return Err(ProblemReport::new(
                        REQUEST_PROCESSING_ERROR,
                        format!("Stage-1: {e}"),
                    ));
                }
            }
        }
        let signed = round_hash(parallel, &states)
            .ok()
            .filter(|h| *h == hash)
            .map(|h| (sign_value(env.keys, &Value::String(h.clone()), env.ts()), h));
        let (sig, my_hash) = match signed {
            Some((Ok(sig), h)) => (sig, h),
            _ => {
                discard_staged(env, &staged);
                return Err(rna("Stage-1: Non-consistent ledger state"));
            }
        };
        let reply = core.message(
            &sfx(parallel, "stage-pre-commit"),
            vec![
                ("participants", json!([])),
                ("hash", Value::String(my_hash.clone())),
                ("hash~sig", sig),
            ],
        );
        env.send(vec![core.actor.clone()], reply.clone());
        Ok(ParticipantCommit {
            core: core.clone(),
            parallel,
            staged,
            proposal_id: msg.get("@id").and_then(Value::as_str).map(str::to_string),
            my_hash,
            stage: Stage::AwaitCommit,
            last_reply: reply,
            commit_msg: None,
        })
    }
}
