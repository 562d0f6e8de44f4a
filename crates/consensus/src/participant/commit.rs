//! Participant of the commit flows (`stage-*`, §6.5.6; `stage-*-parallel`, §6.6), both dialects.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tmtm_microledger::{LedgerState, Transaction};
use tmtm_wire::keys::Did;

use crate::dialect::Dialect;
use crate::hashes::{parallel_hash, state_hash, state_value_hash};
use crate::problem::{
    Outcome, ProblemReport, REQUEST_NOT_ACCEPTED, REQUEST_PROCESSING_ERROR, RESPONSE_NOT_ACCEPTED,
};
use crate::round::{parse_participants, same_set, Core, Env, Status};
use crate::sig::{sign_value, strip_decorators, verify_bound};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Stage {
    AwaitCommit,
    AwaitFinal,
}

/// The participant of a (parallel) commit round.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ParticipantCommit {
    pub(crate) core: Core,
    parallel: bool,
    /// Per ledger, the transactions as received (re-staged after a restart).
    pub(crate) staged: Vec<(String, Vec<Transaction>)>,
    proposal_id: Option<String>,
    my_hash: String,
    stage: Stage,
    last_reply: Value,
    commit_msg: Option<Value>,
}

fn sfx(parallel: bool, name: &str) -> String {
    if parallel {
        format!("{name}-parallel")
    } else {
        name.to_string()
    }
}

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

/// A state object with the six keys; returns it and the ledger name.
fn parse_state(v: Option<&Value>) -> Result<(LedgerState, Value), ProblemReport> {
    let v = v.ok_or_else(|| rna("Stage-1: state is missing"))?;
    let st: LedgerState =
        serde_json::from_value(v.clone()).map_err(|e| rna(format!("Stage-1: bad state: {e}")))?;
    Ok((st, v.clone()))
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
        // (ledger, txns, proposed state if any)
        let mut plan: Vec<(String, Vec<Transaction>, Option<LedgerState>)> = Vec::new();
        if !parallel || msg.get("ledgers").is_none() {
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
            let mut states = Vec::new();
            for b in &batches {
                let txns = parse_txns(b.get("transactions"))?;
                let (st, raw) = parse_state(b.get("state"))?;
                if !parallel && state_value_hash(&raw).ok().as_deref() != Some(hash.as_str()) {
                    return Err(rna("Stage-1: hash does not match the proposed state"));
                }
                states.push(st.clone());
                plan.push((st.name.clone(), txns, Some(st)));
            }
            if parallel && parallel_hash(&states).ok().as_deref() != Some(hash.as_str()) {
                return Err(rna(
                    "Stage-1: hash does not match the proposed states (parallel mode)",
                ));
            }
        } else {
            let txns = parse_txns(msg.get("transactions"))?;
            let names = msg
                .get("ledgers")
                .and_then(Value::as_array)
                .filter(|l| !l.is_empty())
                .ok_or_else(|| rna("Stage-1: ledgers are empty (parallel mode)"))?;
            for n in names {
                let n = n
                    .as_str()
                    .ok_or_else(|| rna("Stage-1: bad ledger name (parallel mode)"))?;
                plan.push((n.to_string(), txns.clone(), None));
            }
        }
        let mut names: Vec<String> = plan.iter().map(|(n, _, _)| n.clone()).collect();
        names.sort();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return Err(rna("Stage-1: a ledger is listed twice"));
        }
        for (name, _, proposed) in &plan {
            let mine = env
                .ledgers
                .state(name)
                .map_err(|_| rna(format!("Stage-1: Ledger with name {name} does not exists")))?;
            if mine.uncommitted_size != mine.size {
                return Err(ProblemReport::new(
                    REQUEST_PROCESSING_ERROR,
                    format!("Stage-1: ledger {name} has uncommitted transactions"),
                ));
            }
            if let Some(p) = proposed {
                if p.size != mine.size || p.root_hash != mine.root_hash {
                    return Err(rna(format!(
                        "Stage-1: Non-consistent ledger state of {name}"
                    )));
                }
            }
        }
        if let Some(report) = busy(&names) {
            return Err(report);
        }
        let mut staged: Vec<(String, Vec<Transaction>)> = Vec::new();
        let mut states = Vec::new();
        for (name, txns, _) in &plan {
            match env.ledgers.append(name, txns.clone(), None) {
                Ok((st, _)) => {
                    states.push(st);
                    staged.push((name.clone(), txns.clone()));
                }
                Err(e) => {
                    crate::actor::discard_staged(env, &staged);
                    return Err(ProblemReport::new(
                        REQUEST_PROCESSING_ERROR,
                        format!("Stage-1: {e}"),
                    ));
                }
            }
        }
        let my_hash = if parallel {
            parallel_hash(&states)
        } else {
            states
                .first()
                .map(state_hash)
                .unwrap_or_else(|| Ok(String::new()))
        };
        let signed = my_hash
            .ok()
            .filter(|h| *h == hash)
            .map(|h| (sign_value(env.keys, &Value::String(h.clone()), env.ts()), h));
        let (sig, my_hash) = match signed {
            Some((Ok(sig), h)) => (sig, h),
            _ => {
                crate::actor::discard_staged(env, &staged);
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

    fn fail(&mut self, env: &mut Env<'_>, report: ProblemReport, notify: bool) -> Status {
        crate::actor::discard_staged(env, &self.staged);
        if notify {
            let m = self.core.report(&report);
            env.send(vec![self.core.actor.clone()], m);
        }
        Status::Done(Err(report))
    }

    fn stage_error(&mut self, env: &mut Env<'_>, n: u8, e: &str) -> Status {
        let explain = format!("Stage-{n}: error for actor {}: \"{e}\"", self.core.actor);
        self.fail(env, ProblemReport::new(REQUEST_NOT_ACCEPTED, explain), true)
    }

    pub(crate) fn on_message(&mut self, env: &mut Env<'_>, name: &str, msg: &Value) -> Status {
        if name == "problem_report" {
            let r = ProblemReport::from_message(msg);
            return self.fail(env, r, false);
        }
        let is_dup = name == sfx(self.parallel, "stage-propose")
            || (self.stage == Stage::AwaitFinal && name == sfx(self.parallel, "stage-commit"));
        if is_dup {
            env.send(vec![self.core.actor.clone()], self.last_reply.clone());
            return Status::Continue;
        }
        match self.stage {
            Stage::AwaitCommit => {
                if name != sfx(self.parallel, "stage-commit") {
                    return self.stage_error(env, 2, &format!("Unexpected message @type: {name}"));
                }
                if let Err(e) = self.check_commit(env, msg) {
                    return self.stage_error(env, 2, &e);
                }
                let sig = match sign_value(env.keys, msg, env.ts()) {
                    Ok(s) => s,
                    Err(e) => return self.stage_error(env, 2, &e.to_string()),
                };
                let reply = self.core.message(
                    &sfx(self.parallel, "stage-post-commit"),
                    vec![("participants", json!([])), ("commits", json!([sig]))],
                );
                env.send(vec![self.core.actor.clone()], reply.clone());
                self.last_reply = reply;
                self.commit_msg = Some(msg.clone());
                self.stage = Stage::AwaitFinal;
                Status::Continue
            }
            Stage::AwaitFinal => {
                if name != sfx(self.parallel, "stage-post-commit") {
                    return self.stage_error(env, 3, &format!("Unexpected message @type: {name}"));
                }
                if let Err(e) = self.check_final(env, msg) {
                    return self.stage_error(env, 3, &e);
                }
                let mut states = Vec::new();
                for (name, txns) in &self.staged {
                    match env.ledgers.commit(name, txns.len() as u64) {
                        Ok(st) => states.push(st),
                        Err(e) => {
                            return self.fail(
                                env,
                                ProblemReport::new(REQUEST_PROCESSING_ERROR, e.to_string()),
                                true,
                            )
                        }
                    }
                }
                let ledgers = self.staged.iter().map(|(n, _)| n.clone()).collect();
                Status::Done(Ok(Outcome { ledgers, states }))
            }
        }
    }

    /// `stage-commit`: same participant set, one pre-commit per participant, each signed by
    /// that participant's own verkey over our own state hash.
    fn check_commit(&self, env: &Env<'_>, msg: &Value) -> Result<(), String> {
        let parts = parse_participants(msg).ok_or("Non-consistent participants")?;
        if !same_set(&parts, &self.core.participants) {
            return Err("Non-consistent participants".into());
        }
        let pcs = msg
            .get("pre_commits")
            .and_then(Value::as_object)
            .ok_or("pre_commits missing")?;
        if pcs.len() != parts.len() {
            return Err("pre_commits do not match the participants".into());
        }
        for p in &parts {
            let d = pcs
                .get(p.as_str())
                .ok_or_else(|| format!("Pre-commit for participant {p} is missing"))?;
            let vk = env
                .verkey_of(p)
                .ok_or_else(|| format!("Unknown participant {p}"))?;
            let v = verify_bound(d, &vk)
                .map_err(|_| format!("Error verifying pre_commit for participant: {p}"))?;
            if v != Value::String(self.my_hash.clone()) {
                return Err(format!(
                    "Ledger state for participant {p} is not consistent"
                ));
            }
        }
        Ok(())
    }

    /// Final `stage-post-commit`: every commit signature must verify under a participant's
    /// verkey and sign the commit message we accepted; every participant must have signed —
    /// except in the 1.0.25 parallel dialect, whose participants send no post-commit (§6.6.2),
    /// where the actor's signature is required.
    fn check_final(&self, env: &Env<'_>, msg: &Value) -> Result<(), String> {
        let commits = msg
            .get("commits")
            .and_then(Value::as_array)
            .filter(|c| !c.is_empty())
            .ok_or("commits are empty")?;
        let expected = self
            .commit_msg
            .as_ref()
            .map(strip_decorators)
            .ok_or("no commit accepted")?;
        let mut signed_by: Vec<Did> = Vec::new();
        for c in commits {
            let signer = crate::sig::signer_of(c).ok_or("commit signature without signer")?;
            let p = self
                .core
                .participants
                .iter()
                .find(|p| env.verkey_of(p).is_some_and(|vk| vk.to_base58() == signer))
                .ok_or_else(|| format!("commit signed by a non-participant key {signer}"))?;
            let vk = env.verkey_of(p).ok_or("unknown participant")?;
            let v = verify_bound(c, &vk)
                .map_err(|e| format!("commit signature of {p} invalid: {e}"))?;
            if strip_decorators(&v) != expected {
                return Err(format!("commit signature of {p} is over another message"));
            }
            signed_by.push(p.clone());
        }
        let lenient = self.parallel && self.core.dialect == Dialect::V1_0_25;
        let required: Vec<Did> = if lenient {
            vec![self.core.actor.clone()]
        } else {
            self.core.participants.clone()
        };
        for p in required {
            if !signed_by.contains(&p) {
                return Err(format!("commit signature of {p} is missing"));
            }
        }
        Ok(())
    }

    pub(crate) fn on_timer(&mut self, env: &mut Env<'_>) -> Status {
        if env.now_ms >= self.core.deadline_ms {
            let a = self.core.actor.clone();
            let explain = match self.stage {
                Stage::AwaitCommit => {
                    format!("Stage-1: Commit awaiting terminated by timeout for leader: {a}")
                }
                Stage::AwaitFinal => {
                    format!("Stage-3: Post-Commit awaiting terminated by timeout for leader: {a}")
                }
            };
            return self.fail(
                env,
                ProblemReport::new(REQUEST_PROCESSING_ERROR, explain),
                true,
            );
        }
        if self.core.retry_due(env.now_ms) {
            env.send(vec![self.core.actor.clone()], self.last_reply.clone());
        }
        Status::Continue
    }

    /// Re-stage the received transactions after a restart; resume only if our signed hash is
    /// reproduced exactly.
    pub(crate) fn on_restart(&mut self, env: &mut Env<'_>) -> Status {
        let mut states = Vec::new();
        for (name, txns) in &self.staged {
            match env.ledgers.append(name, txns.clone(), None) {
                Ok((st, _)) => states.push(st),
                Err(e) => {
                    return self.fail(
                        env,
                        ProblemReport::new(REQUEST_PROCESSING_ERROR, e.to_string()),
                        true,
                    )
                }
            }
        }
        let h = if self.parallel {
            parallel_hash(&states)
        } else {
            states
                .first()
                .map(state_hash)
                .unwrap_or_else(|| Ok(String::new()))
        };
        if h.ok().as_deref() != Some(self.my_hash.as_str()) {
            let r = ProblemReport::new(
                REQUEST_PROCESSING_ERROR,
                "Restart: ledger state could not be restored",
            );
            return self.fail(env, r, true);
        }
        let _ = &self.proposal_id;
        self.on_timer(env)
    }
}
