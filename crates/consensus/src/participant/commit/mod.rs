//! Participant of the commit flows (`stage-*`, §6.5.6; `stage-*-parallel`, §6.6), both dialects.
//! This module owns the round's state and its reactions to the actor's messages, timers and a
//! restart; `proposal` validates and stages a proposal, `checks` verifies the actor's
//! `stage-commit` and final `stage-post-commit`.

mod checks;
mod proposal;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tmtm_microledger::Transaction;

use crate::apart::Apart;
use crate::problem::{Outcome, ProblemReport, REQUEST_NOT_ACCEPTED, REQUEST_PROCESSING_ERROR};
use crate::round::{Core, Env, Status};
use crate::sig::sign_value;
use crate::staging::{commit_staged, discard_staged, restage, sfx};

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

impl ParticipantCommit {
    /// Takes out the part that never changes once the round started: the staged
    /// transactions.
    pub(crate) fn take_apart(&mut self) -> Apart {
        Apart {
            txns: std::mem::take(&mut self.staged),
            propose: None,
        }
    }

    /// Puts back what [`Self::take_apart`] took out (a part the round still holds, from a
    /// round stored before rounds were stored in two rows, is kept).
    pub(crate) fn put_apart(&mut self, apart: Apart) {
        if self.staged.is_empty() {
            self.staged = apart.txns;
        }
    }

    /// Discard what we staged, tell the actor if `notify`, and end the round.
    fn fail(&mut self, env: &mut Env<'_>, report: ProblemReport, notify: bool) -> Status {
        discard_staged(env, &self.staged);
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
            Stage::AwaitCommit => self.on_commit(env, name, msg),
            Stage::AwaitFinal => self.on_final(env, name, msg),
        }
    }

    /// Stage 2: verify `stage-commit`, sign it and answer with our post-commit.
    fn on_commit(&mut self, env: &mut Env<'_>, name: &str, msg: &Value) -> Status {
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

    /// Stage 3: verify the final `stage-post-commit`, then commit what we staged.
    fn on_final(&mut self, env: &mut Env<'_>, name: &str, msg: &Value) -> Status {
        if name != sfx(self.parallel, "stage-post-commit") {
            return self.stage_error(env, 3, &format!("Unexpected message @type: {name}"));
        }
        if let Err(e) = self.check_final(env, msg) {
            return self.stage_error(env, 3, &e);
        }
        let states = match commit_staged(env, &self.staged) {
            Ok(s) => s,
            Err(e) => {
                return self.fail(
                    env,
                    ProblemReport::new(REQUEST_PROCESSING_ERROR, e.to_string()),
                    true,
                )
            }
        };
        let ledgers = self.staged.iter().map(|(n, _)| n.clone()).collect();
        Status::Done(Ok(Outcome { ledgers, states }))
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
        let h = match restage(env, self.parallel, &self.staged) {
            Ok(h) => h,
            Err(e) => {
                return self.fail(
                    env,
                    ProblemReport::new(REQUEST_PROCESSING_ERROR, e.to_string()),
                    true,
                )
            }
        };
        if h.as_deref() != Some(self.my_hash.as_str()) {
            let r = ProblemReport::new(
                REQUEST_PROCESSING_ERROR,
                "Restart: ledger state could not be restored",
            );
            return self.fail(env, r, true);
        }
        self.on_timer(env)
    }
}
