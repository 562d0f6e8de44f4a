//! Actor of the commit flows: one ledger (`stage-*`, §6.5) or several (`stage-*-parallel`, §6.6),
//! in both wire dialects.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tmtm_microledger::{LedgerState, Transaction};
use tmtm_wire::keys::Did;

use crate::dialect::Dialect;
use crate::hashes::{parallel_hash, state_hash, state_value};
use crate::problem::{
    Outcome, ProblemReport, REQUEST_NOT_ACCEPTED, REQUEST_PROCESSING_ERROR, RESPONSE_NOT_ACCEPTED,
};
use crate::round::{Core, Env, Status};
use crate::sig::{sign_value, strip_decorators, verify_bound};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Stage {
    PreCommit,
    PostCommit,
}

/// The actor of a (parallel) commit round.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ActorCommit {
    pub(crate) core: Core,
    parallel: bool,
    pub(crate) ledgers: Vec<String>,
    /// Per ledger, the transactions as appended (with metadata), to re-stage after a restart.
    appended: Vec<(String, Vec<Transaction>)>,
    hash: String,
    stage: Stage,
    current: Value,
    pre_commits: BTreeMap<Did, Value>,
    commit_msg: Option<Value>,
    my_commit: Option<Value>,
    post_commits: BTreeMap<Did, Vec<Value>>,
    pub(crate) final_reply: Option<Value>,
}

fn sfx(parallel: bool, name: &str) -> String {
    if parallel {
        format!("{name}-parallel")
    } else {
        name.to_string()
    }
}

fn lerr(e: impl std::fmt::Display) -> ProblemReport {
    ProblemReport::new(REQUEST_PROCESSING_ERROR, format!("Preparing: {e}"))
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
        let mut names = ledgers.clone();
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
        let hash = if parallel {
            parallel_hash(&states)
        } else {
            states
                .first()
                .map(state_hash)
                .unwrap_or_else(|| Ok(String::new()))
        };
        let hash = match hash {
            Ok(h) => h,
            Err(e) => {
                discard_staged(env, &appended);
                return Err(lerr(e));
            }
        };
        let my_pre = match sign_value(env.keys, &Value::String(hash.clone()), env.ts()) {
            Ok(s) => s,
            Err(e) => {
                discard_staged(env, &appended);
                return Err(lerr(e));
            }
        };
        let participants: Vec<Value> = core
            .participants
            .iter()
            .map(|d| json!(d.as_str()))
            .collect();
        let mut body = vec![("participants", Value::Array(participants))];
        if !parallel {
            let (_, txns) = &appended[0];
            body.push(("transactions", json!(txns)));
            body.push(("state", state_value(&states[0])));
        } else if core.dialect == Dialect::V1_0_25 {
            let batches: Vec<Value> = appended
                .iter()
                .zip(&states)
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
        body.push(("hash", Value::String(hash.clone())));
        body.push(("timeout_sec", json!(ttl)));
        if parallel && core.dialect == Dialect::V2 {
            body.push(("ledgers", json!(names)));
        }
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

    fn fail(&mut self, env: &mut Env<'_>, report: ProblemReport, except: Option<&Did>) -> Status {
        discard_staged(env, &self.appended);
        let msg = self.core.report(&report);
        let to: Vec<Did> = self
            .core
            .others()
            .into_iter()
            .filter(|d| Some(d) != except)
            .collect();
        env.send(to, msg.clone());
        self.final_reply = Some(msg);
        env.progress(&self.core.thid, 100, format!("Failed: {report}"));
        Status::Done(Err(report))
    }

    pub(crate) fn on_message(
        &mut self,
        env: &mut Env<'_>,
        from: &Did,
        name: &str,
        msg: &Value,
    ) -> Status {
        let stage_no = if self.stage == Stage::PreCommit { 1 } else { 2 };
        if name == "problem_report" {
            let r = ProblemReport::from_message(msg);
            let report = ProblemReport::new(
                RESPONSE_NOT_ACCEPTED,
                format!(
                    "Stage-{stage_no}: Problem report from participant {from} \"{}\"",
                    r.explain
                ),
            );
            return self.fail(env, report, Some(from));
        }
        let Some(verkey) = env.verkey_of(from) else {
            return Status::Continue;
        };
        match self.stage {
            Stage::PreCommit => {
                if name != sfx(self.parallel, "stage-pre-commit")
                    || self.pre_commits.contains_key(from)
                {
                    return Status::Continue;
                }
                let explain = if msg.get("hash").and_then(Value::as_str) != Some(self.hash.as_str())
                {
                    Some("Non-consistent ledger state".to_string())
                } else {
                    match msg.get("hash~sig").map(|d| verify_bound(d, &verkey)) {
                        Some(Ok(v)) if v == Value::String(self.hash.clone()) => None,
                        _ => Some(format!(
                            "Stage-1: Error verifying signed ledger state for participant {from}"
                        )),
                    }
                };
                if let Some(e) = explain {
                    let report = ProblemReport::new(
                        RESPONSE_NOT_ACCEPTED,
                        format!("Stage-1: Error for participant {from}: \"{e}\""),
                    );
                    return self.fail(env, report, None);
                }
                if let Some(sig) = msg.get("hash~sig") {
                    self.pre_commits.insert(from.clone(), sig.clone());
                }
                if self.pre_commits.len() == self.core.participants.len() {
                    return self.send_commit(env);
                }
                Status::Continue
            }
            Stage::PostCommit => {
                if self.post_commits.contains_key(from) {
                    return Status::Continue;
                }
                let echo = self.parallel
                    && self.core.dialect == Dialect::V1_0_25
                    && env.config.tolerate_v1_precommit_echo
                    && name == "stage-pre-commit-parallel";
                if echo {
                    let ok = matches!(msg.get("hash~sig").map(|d| verify_bound(d, &verkey)),
                        Some(Ok(v)) if v == Value::String(self.hash.clone()));
                    if ok {
                        self.post_commits.insert(from.clone(), Vec::new());
                    }
                } else if name == sfx(self.parallel, "stage-post-commit") {
                    let commits = msg
                        .get("commits")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    let expected = self.commit_msg.as_ref().map(strip_decorators);
                    let ok = commits.iter().any(|c| {
                        matches!(verify_bound(c, &verkey), Ok(v) if Some(strip_decorators(&v)) == expected)
                    });
                    if !ok {
                        let report = ProblemReport::new(
                            RESPONSE_NOT_ACCEPTED,
                            format!("Stage-2: Error for participant {from}: \"commit signature is missing or invalid\""),
                        );
                        return self.fail(env, report, None);
                    }
                    self.post_commits.insert(from.clone(), commits);
                } else {
                    return Status::Continue;
                }
                if self.post_commits.len() + 1 == self.core.participants.len() {
                    return self.finish(env);
                }
                Status::Continue
            }
        }
    }

    fn send_commit(&mut self, env: &mut Env<'_>) -> Status {
        let mut pcs = serde_json::Map::new();
        for p in &self.core.participants {
            if let Some(sig) = self.pre_commits.get(p) {
                pcs.insert(p.to_string(), sig.clone());
            }
        }
        let participants: Vec<Value> = self
            .core
            .participants
            .iter()
            .map(|d| json!(d.as_str()))
            .collect();
        let msg = self.core.message(
            &sfx(self.parallel, "stage-commit"),
            vec![
                ("participants", Value::Array(participants)),
                ("pre_commits", Value::Object(pcs)),
            ],
        );
        let mine = match sign_value(env.keys, &strip_decorators(&msg), env.ts()) {
            Ok(s) => s,
            Err(e) => return self.fail(env, lerr(e), None),
        };
        env.send(self.core.others(), msg.clone());
        self.my_commit = Some(mine);
        self.commit_msg = Some(msg.clone());
        self.current = msg;
        self.stage = Stage::PostCommit;
        env.progress(
            &self.core.thid,
            50,
            "Stage-2: pre-commits verified, commit sent",
        );
        Status::Continue
    }

    fn finish(&mut self, env: &mut Env<'_>) -> Status {
        if env.now_ms > self.core.decide_by_ms {
            let report = ProblemReport::new(
                REQUEST_PROCESSING_ERROR,
                "Stage-3: too late to commit within the time to live",
            );
            return self.fail(env, report, None);
        }
        let mut commits: Vec<Value> = self.my_commit.iter().cloned().collect();
        for p in &self.core.participants {
            if let Some(list) = self.post_commits.get(p) {
                commits.extend(list.iter().cloned());
            }
        }
        let mut states = Vec::new();
        for (name, txns) in &self.appended {
            match env.ledgers.commit(name, txns.len() as u64) {
                Ok(st) => states.push(st),
                Err(e) => return self.fail(env, lerr(e), None),
            }
        }
        let final_msg = self.core.message(
            &sfx(self.parallel, "stage-post-commit"),
            vec![
                ("participants", json!([])),
                ("commits", Value::Array(commits)),
            ],
        );
        env.send(self.core.others(), final_msg.clone());
        self.final_reply = Some(final_msg);
        env.progress(&self.core.thid, 100, "Stage-3: committed");
        Status::Done(Ok(Outcome {
            ledgers: self.ledgers.clone(),
            states,
        }))
    }

    pub(crate) fn on_timer(&mut self, env: &mut Env<'_>) -> Status {
        if env.now_ms >= self.core.deadline_ms {
            let (stage_no, missing): (u8, Vec<String>) = match self.stage {
                Stage::PreCommit => (
                    1,
                    self.core
                        .others()
                        .into_iter()
                        .filter(|p| !self.pre_commits.contains_key(p))
                        .map(|d| d.to_string())
                        .collect(),
                ),
                Stage::PostCommit => (
                    2,
                    self.core
                        .others()
                        .into_iter()
                        .filter(|p| !self.post_commits.contains_key(p))
                        .map(|d| d.to_string())
                        .collect(),
                ),
            };
            let report = ProblemReport::new(
                REQUEST_PROCESSING_ERROR,
                format!(
                    "Stage-{stage_no}: Participants [{}] unreachable",
                    missing.join(", ")
                ),
            );
            return self.fail(env, report, None);
        }
        if self.core.retry_due(env.now_ms) {
            let waiting: Vec<Did> = self
                .core
                .others()
                .into_iter()
                .filter(|p| match self.stage {
                    Stage::PreCommit => !self.pre_commits.contains_key(p),
                    Stage::PostCommit => !self.post_commits.contains_key(p),
                })
                .collect();
            env.send(waiting, self.current.clone());
        }
        Status::Continue
    }

    /// After a restart the uncommitted transactions are gone: re-stage them and check that the
    /// state hash we signed is reproduced; otherwise abort.
    pub(crate) fn on_restart(&mut self, env: &mut Env<'_>) -> Status {
        let mut states = Vec::new();
        for (name, txns) in &self.appended {
            match env.ledgers.append(name, txns.clone(), None) {
                Ok((st, _)) => states.push(st),
                Err(e) => return self.fail(env, lerr(e), None),
            }
        }
        let hash = if self.parallel {
            parallel_hash(&states)
        } else {
            states
                .first()
                .map(state_hash)
                .unwrap_or_else(|| Ok(String::new()))
        };
        if hash.ok().as_deref() != Some(self.hash.as_str()) {
            let report = ProblemReport::new(
                REQUEST_PROCESSING_ERROR,
                "Restart: ledger state could not be restored",
            );
            return self.fail(env, report, None);
        }
        self.on_timer(env)
    }
}

/// Drop exactly what this round staged (never more, never a committed transaction).
pub(crate) fn discard_staged(env: &mut Env<'_>, appended: &[(String, Vec<Transaction>)]) {
    for (name, txns) in appended {
        if let Ok(st) = env.ledgers.state(name) {
            let pending = st.uncommitted_size.saturating_sub(st.size);
            let n = (txns.len() as u64).min(pending);
            if n > 0 {
                let _ = env.ledgers.discard(name, n);
            }
        }
    }
}
