//! Actor of the ledger-creation flow (`initialize-*`, §6.4).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tmtm_microledger::Transaction;
use tmtm_wire::keys::Did;

use crate::hashes::ledger_hash;
use crate::problem::{
    Outcome, ProblemReport, REQUEST_NOT_ACCEPTED, REQUEST_PROCESSING_ERROR, RESPONSE_NOT_ACCEPTED,
    RESPONSE_PROCESSING_ERROR,
};
use crate::round::{Core, Env, Status};
use crate::sig::{sign_value, verify_bound};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Stage {
    Responses,
    Acks,
}

/// The actor of a ledger-creation round.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ActorCreate {
    pub(crate) core: Core,
    pub(crate) name: String,
    ledger: Value,
    ledger_hash: Value,
    ttl: u64,
    my_entry: Value,
    stage: Stage,
    current: Value,
    responses: BTreeMap<Did, Value>,
    acks: BTreeSet<Did>,
    pub(crate) final_reply: Option<Value>,
}

impl ActorCreate {
    pub(crate) fn start(
        env: &mut Env<'_>,
        mut core: Core,
        name: String,
        genesis: Vec<Transaction>,
        ttl: u64,
    ) -> Result<Self, ProblemReport> {
        if name.is_empty() {
            return Err(ProblemReport::new(
                REQUEST_PROCESSING_ERROR,
                "Ledger name is Empty!",
            ));
        }
        if env.ledgers.exists(&name) {
            return Err(ProblemReport::new(
                REQUEST_NOT_ACCEPTED,
                format!("Ledger with name {name} already exists"),
            ));
        }
        if genesis
            .iter()
            .any(|t| t.metadata().is_some_and(|m| !m.is_empty()))
        {
            return Err(ProblemReport::new(
                REQUEST_NOT_ACCEPTED,
                "Transaction has metadata",
            ));
        }
        let perr = |e: crate::ConsensusError| {
            ProblemReport::new(REQUEST_PROCESSING_ERROR, format!("Preparing: {e}"))
        };
        let (state, txns) = env.ledgers.create(&name, genesis).map_err(perr)?;
        let ledger = json!({"name": name, "root_hash": state.root_hash, "genesis": txns});
        let built =
            ledger_hash(&ledger).and_then(|h| sign_value(env.keys, &h, env.ts()).map(|s| (h, s)));
        let (lhash, sig) = match built {
            Ok(x) => x,
            Err(e) => {
                let _ = env.ledgers.delete(&name);
                return Err(perr(e));
            }
        };
        let my_entry = json!({"participant": core.me.as_str(), "signature": sig});
        let participants: Vec<Value> = core
            .participants
            .iter()
            .map(|d| json!(d.as_str()))
            .collect();
        let request = core.message(
            "initialize-request",
            vec![
                ("participants", Value::Array(participants)),
                ("ledger", ledger.clone()),
                ("ledger~hash", lhash.clone()),
                ("timeout_sec", json!(ttl)),
                ("signatures", json!([my_entry.clone()])),
            ],
        );
        env.send(core.others(), request.clone());
        env.progress(
            &core.thid,
            20,
            "Stage-1: initialize-request sent, awaiting responses",
        );
        Ok(ActorCreate {
            core,
            name,
            ledger,
            ledger_hash: lhash,
            ttl,
            my_entry,
            stage: Stage::Responses,
            current: request,
            responses: BTreeMap::new(),
            acks: BTreeSet::new(),
            final_reply: None,
        })
    }

    fn fail(&mut self, env: &mut Env<'_>, report: ProblemReport, except: Option<&Did>) -> Status {
        // The ledger was created by this round and nobody confirmed it yet: remove it.
        let _ = env.ledgers.delete(&self.name);
        self.final_reply = Some(super::announce_failure(
            &mut self.core,
            env,
            &report,
            except,
        ));
        Status::Done(Err(report))
    }

    pub(crate) fn on_message(
        &mut self,
        env: &mut Env<'_>,
        from: &Did,
        name: &str,
        msg: &Value,
    ) -> Status {
        let Some(verkey) = env.verkey_of(from) else {
            return Status::Continue;
        };
        match self.stage {
            Stage::Responses => {
                if name == "problem_report" {
                    let r = ProblemReport::from_message(msg);
                    return self.fail(env, ProblemReport::new(&r.code, r.explain), Some(from));
                }
                if name != "initialize-response" || self.responses.contains_key(from) {
                    return Status::Continue;
                }
                let entry = msg
                    .get("signatures")
                    .and_then(Value::as_array)
                    .and_then(|l| {
                        l.iter().find(|e| {
                            e.get("participant").and_then(Value::as_str) == Some(from.as_str())
                        })
                    })
                    .cloned();
                let ok = entry
                    .as_ref()
                    .and_then(|e| e.get("signature"))
                    .map(|s| verify_bound(s, &verkey));
                match (entry, ok) {
                    (Some(e), Some(Ok(v))) if v == self.ledger_hash => {
                        self.responses.insert(from.clone(), e);
                    }
                    _ => {
                        let report = ProblemReport::new(
                            RESPONSE_NOT_ACCEPTED,
                            format!("Stage-1: Error for participant {from}: \"signature of ledger~hash is missing or invalid\""),
                        );
                        return self.fail(env, report, None);
                    }
                }
                if self.responses.len() + 1 == self.core.participants.len() {
                    let mut sigs = vec![self.my_entry.clone()];
                    for p in self.core.participants.clone() {
                        if let Some(e) = self.responses.get(&p) {
                            sigs.push(e.clone());
                        }
                    }
                    let participants: Vec<Value> = self
                        .core
                        .participants
                        .iter()
                        .map(|d| json!(d.as_str()))
                        .collect();
                    let commit = self.core.message(
                        "initialize-response",
                        vec![
                            ("participants", Value::Array(participants)),
                            ("ledger", self.ledger.clone()),
                            ("ledger~hash", self.ledger_hash.clone()),
                            ("timeout_sec", json!(self.ttl)),
                            ("signatures", Value::Array(sigs)),
                        ],
                    );
                    env.send(self.core.others(), commit.clone());
                    self.current = commit;
                    self.stage = Stage::Acks;
                    env.progress(
                        &self.core.thid,
                        60,
                        "Stage-2: signatures collected, commit request sent",
                    );
                }
                Status::Continue
            }
            Stage::Acks => {
                if name == "problem_report" {
                    let r = ProblemReport::from_message(msg);
                    let report = ProblemReport::new(
                        RESPONSE_PROCESSING_ERROR,
                        format!(
                            "Participant DID: {from} declined operation with error: \"{}\"",
                            r.explain
                        ),
                    );
                    return self.fail(env, report, Some(from));
                }
                if name != "ack"
                    || msg
                        .get("status")
                        .and_then(Value::as_str)
                        .is_some_and(|s| s != "OK")
                {
                    return Status::Continue;
                }
                self.acks.insert(from.clone());
                if self.acks.len() + 1 == self.core.participants.len() {
                    if env.now_ms > self.core.decide_by_ms {
                        let report = ProblemReport::new(
                            REQUEST_PROCESSING_ERROR,
                            "Stage-3: too late to confirm within the time to live",
                        );
                        return self.fail(env, report, None);
                    }
                    let ack = self.core.ack();
                    env.send(self.core.others(), ack.clone());
                    self.final_reply = Some(ack);
                    env.progress(&self.core.thid, 100, "Stage-3: ledger created");
                    let states = env
                        .ledgers
                        .state(&self.name)
                        .map(|s| vec![s])
                        .unwrap_or_default();
                    return Status::Done(Ok(Outcome {
                        ledgers: vec![self.name.clone()],
                        states,
                    }));
                }
                Status::Continue
            }
        }
    }

    pub(crate) fn on_timer(&mut self, env: &mut Env<'_>) -> Status {
        if env.now_ms >= self.core.deadline_ms {
            let (n, missing): (u8, Vec<String>) = match self.stage {
                Stage::Responses => (
                    1,
                    self.core
                        .others()
                        .into_iter()
                        .filter(|p| !self.responses.contains_key(p))
                        .map(|d| d.to_string())
                        .collect(),
                ),
                Stage::Acks => (
                    2,
                    self.core
                        .others()
                        .into_iter()
                        .filter(|p| !self.acks.contains(p))
                        .map(|d| d.to_string())
                        .collect(),
                ),
            };
            let report = ProblemReport::new(
                REQUEST_PROCESSING_ERROR,
                format!(
                    "Stage-{n}: Participants [{}] unreachable",
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
                    Stage::Responses => !self.responses.contains_key(p),
                    Stage::Acks => !self.acks.contains(p),
                })
                .collect();
            env.send(waiting, self.current.clone());
        }
        Status::Continue
    }
}
