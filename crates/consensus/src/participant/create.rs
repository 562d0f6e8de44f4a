//! Participant of the ledger-creation flow (`initialize-*`, §6.4.3). Unlike the SDK it never
//! deletes a ledger it did not create in this round, and binds every signature to the verkey of
//! the participant it is attributed to.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use tmtm_microledger::Transaction;
use tmtm_wire::keys::Did;

use crate::hashes::ledger_hash;
use crate::problem::{Outcome, ProblemReport, REQUEST_NOT_ACCEPTED, REQUEST_PROCESSING_ERROR};
use crate::round::{parse_participants, same_set, Core, Env, Status};
use crate::sig::{sign_value, verify_bound};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Stage {
    AwaitCommitRequest,
    AwaitFinalAck,
}

/// The participant of a ledger-creation round.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ParticipantCreate {
    pub(crate) core: Core,
    pub(crate) name: String,
    ledger_hash: Value,
    stage: Stage,
    last_reply: Value,
}

fn rna(explain: impl Into<String>) -> ProblemReport {
    ProblemReport::new(REQUEST_NOT_ACCEPTED, explain)
}

impl ParticipantCreate {
    pub(crate) fn start(
        env: &mut Env<'_>,
        core: &mut Core,
        msg: &Value,
        busy: &dyn Fn(&[String]) -> Option<ProblemReport>,
    ) -> Result<Self, ProblemReport> {
        let ledger = msg
            .get("ledger")
            .filter(|l| l.is_object())
            .ok_or_else(|| rna("Stage-1: ledger is missing"))?;
        let name = ledger
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if name.is_empty() {
            return Err(ProblemReport::new(
                REQUEST_PROCESSING_ERROR,
                "Ledger name is Empty!",
            ));
        }
        let root = ledger
            .get("root_hash")
            .and_then(Value::as_str)
            .ok_or_else(|| rna("Stage-1: ledger.root_hash is missing"))?;
        let genesis = ledger
            .get("genesis")
            .and_then(Value::as_array)
            .ok_or_else(|| rna("Stage-1: ledger.genesis is missing"))?;
        let lhash = msg
            .get("ledger~hash")
            .cloned()
            .ok_or_else(|| rna("Stage-1: ledger~hash is missing"))?;
        if lhash.get("func").is_none() || lhash.get("base58").is_none() {
            return Err(rna("Stage-1: ledger~hash is malformed"));
        }
        if ledger_hash(ledger).ok().as_ref() != Some(&lhash) {
            return Err(rna("Stage-1: ledger~hash does not match the ledger"));
        }
        let actor_vk = env
            .verkey_of(&core.actor)
            .ok_or_else(|| rna("Stage-1: unknown actor"))?;
        let sigs = msg
            .get("signatures")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let actor_sigs: Vec<&Value> = sigs
            .iter()
            .filter(|e| e.get("participant").and_then(Value::as_str) == Some(core.actor.as_str()))
            .collect();
        if actor_sigs.is_empty() {
            return Err(rna("Stage-1: the actor's signature is missing"));
        }
        for e in actor_sigs {
            let ok = e.get("signature").map(|s| verify_bound(s, &actor_vk));
            if !matches!(ok, Some(Ok(ref v)) if *v == lhash) {
                return Err(rna("Stage-1: the actor's signature is invalid"));
            }
        }
        // The lock first (§6.3): a ledger another round is creating is reported as locked.
        if let Some(report) = busy(std::slice::from_ref(&name)) {
            return Err(report);
        }
        if env.ledgers.exists(&name) {
            // Never overwrite or delete an existing ledger (the SDK deletes it, §9.6).
            return Err(rna(format!(
                "Stage-1: Ledger with name {name} already exists"
            )));
        }
        let mut txns = Vec::with_capacity(genesis.len());
        for t in genesis {
            let mut t = t
                .as_object()
                .cloned()
                .ok_or_else(|| rna("Stage-1: bad genesis transaction"))?;
            t.remove("txnMetadata"); // the ledger assigns seqNo 1..N itself (Q2)
            txns.push(
                Transaction::from_map(t)
                    .map_err(|e| rna(format!("Stage-1: bad genesis transaction: {e}")))?,
            );
        }
        let (state, _) = env
            .ledgers
            .create(&name, txns)
            .map_err(|e| ProblemReport::new(REQUEST_PROCESSING_ERROR, format!("Stage-1: {e}")))?;
        if state.root_hash != root {
            let _ = env.ledgers.delete(&name);
            return Err(ProblemReport::new(
                REQUEST_PROCESSING_ERROR,
                "Stage-1: Non-consistent Root Hash",
            ));
        }
        let sig = match sign_value(env.keys, &lhash, env.ts()) {
            Ok(s) => s,
            Err(e) => {
                let _ = env.ledgers.delete(&name);
                return Err(ProblemReport::new(REQUEST_PROCESSING_ERROR, e.to_string()));
            }
        };
        let mut new_sigs: Vec<Value> = sigs
            .into_iter()
            .filter(|e| e.get("participant").and_then(Value::as_str) != Some(core.me.as_str()))
            .collect();
        new_sigs.push(json!({"participant": core.me.as_str(), "signature": sig}));
        let mut body: Vec<(&str, Value)> = Vec::new();
        let copied: Map<String, Value> = msg.as_object().cloned().unwrap_or_default();
        for (k, v) in &copied {
            if k == "@id" || k == "@type" || k.starts_with('~') || k == "signatures" {
                continue;
            }
            body.push((k.as_str(), v.clone()));
        }
        body.push(("signatures", Value::Array(new_sigs)));
        let reply = core.message("initialize-response", body);
        env.send(vec![core.actor.clone()], reply.clone());
        Ok(ParticipantCreate {
            core: core.clone(),
            name,
            ledger_hash: lhash,
            stage: Stage::AwaitCommitRequest,
            last_reply: reply,
        })
    }

    fn fail(&mut self, env: &mut Env<'_>, report: ProblemReport, notify: bool) -> Status {
        let _ = env.ledgers.delete(&self.name); // created by this round only
        if notify {
            let m = self.core.report(&report);
            env.send(vec![self.core.actor.clone()], m);
        }
        Status::Done(Err(report))
    }

    fn check_commit_request(&self, env: &Env<'_>, msg: &Value) -> Result<(), String> {
        if msg.get("ledger~hash") != Some(&self.ledger_hash) {
            return Err(format!(
                "Stage-2: NonEqual Ledger hash with participant {}",
                self.core.actor
            ));
        }
        let parts = parse_participants(msg).ok_or("Stage-2: participants missing")?;
        if !same_set(&parts, &self.core.participants) {
            return Err("Stage-2: Set of signers differs from proposed participants set".into());
        }
        let sigs = msg
            .get("signatures")
            .and_then(Value::as_array)
            .ok_or("Stage-2: signatures missing")?;
        let mut signers: Vec<Did> = Vec::new();
        for e in sigs {
            let p = Did::new(e.get("participant").and_then(Value::as_str).unwrap_or(""));
            let vk = env
                .verkey_of(&p)
                .filter(|_| self.core.is_participant(&p))
                .ok_or("Stage-2: Set of signers differs from commit participants set")?;
            let ok = e.get("signature").map(|s| verify_bound(s, &vk));
            if !matches!(ok, Some(Ok(ref v)) if *v == self.ledger_hash) {
                return Err(format!(
                    "Stage-2: NonEqual Ledger hash with participant {p}"
                ));
            }
            signers.push(p);
        }
        if !same_set(&signers, &self.core.participants) {
            return Err("Stage-2: Set of signers differs from commit participants set".into());
        }
        Ok(())
    }

    pub(crate) fn on_message(&mut self, env: &mut Env<'_>, name: &str, msg: &Value) -> Status {
        if name == "problem_report" {
            return self.fail(env, ProblemReport::from_message(msg), false);
        }
        let dup = name == "initialize-request"
            || (self.stage == Stage::AwaitFinalAck && name == "initialize-response");
        if dup {
            env.send(vec![self.core.actor.clone()], self.last_reply.clone());
            return Status::Continue;
        }
        match self.stage {
            Stage::AwaitCommitRequest => {
                if name != "initialize-response" {
                    return self.fail(env, rna(format!("Unexpected message @type: {name}")), true);
                }
                if let Err(e) = self.check_commit_request(env, msg) {
                    return self.fail(env, rna(e), true);
                }
                let ack = self.core.ack();
                env.send(vec![self.core.actor.clone()], ack.clone());
                self.last_reply = ack;
                self.stage = Stage::AwaitFinalAck;
                Status::Continue
            }
            Stage::AwaitFinalAck => {
                if name != "ack" {
                    return Status::Continue;
                }
                if msg
                    .get("status")
                    .and_then(Value::as_str)
                    .is_some_and(|s| s != "OK")
                {
                    return self.fail(
                        env,
                        ProblemReport::new(
                            REQUEST_PROCESSING_ERROR,
                            "Stage-3: actor acknowledged with FAIL",
                        ),
                        false,
                    );
                }
                let states = env
                    .ledgers
                    .state(&self.name)
                    .map(|s| vec![s])
                    .unwrap_or_default();
                Status::Done(Ok(Outcome {
                    ledgers: vec![self.name.clone()],
                    states,
                }))
            }
        }
    }

    pub(crate) fn on_timer(&mut self, env: &mut Env<'_>) -> Status {
        if env.now_ms >= self.core.deadline_ms {
            let a = self.core.actor.clone();
            let explain = match self.stage {
                Stage::AwaitCommitRequest => format!(
                    "Stage-2: Commit response awaiting was terminated by timeout for actor: {a}"
                ),
                Stage::AwaitFinalAck => {
                    format!("Stage-3: Commit accepting was terminated by timeout for actor: {a}")
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

    pub(crate) fn on_restart(&mut self, env: &mut Env<'_>) -> Status {
        if !env.ledgers.exists(&self.name) {
            return self.fail(
                env,
                ProblemReport::new(REQUEST_PROCESSING_ERROR, "Restart: ledger lost"),
                true,
            );
        }
        self.on_timer(env)
    }
}
