//! Actor of the commit flows: one ledger (`stage-*`, §6.5) or several (`stage-*-parallel`, §6.6),
//! in both wire dialects. This module owns the round's state, failure, timers and restart;
//! `propose` builds the proposal, `replies` checks the participants' answers and finishes.

mod propose;
mod replies;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tmtm_microledger::Transaction;
use tmtm_wire::keys::Did;

use crate::apart::Apart;
use crate::problem::{ProblemReport, REQUEST_PROCESSING_ERROR, RESPONSE_NOT_ACCEPTED};
use crate::round::{Core, Env, Status};
use crate::staging::{discard_staged, restage};

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

/// A local failure while preparing or committing (`request_processing_error`, "Preparing: …").
fn lerr(e: impl std::fmt::Display) -> ProblemReport {
    ProblemReport::new(REQUEST_PROCESSING_ERROR, format!("Preparing: {e}"))
}

impl ActorCommit {
    /// Takes out the part that never changes once the round started: the appended
    /// transactions and, while the round waits for pre-commits, the `stage-propose` that it
    /// re-sends (later `current` is the small `stage-commit`, which stays).
    pub(crate) fn take_apart(&mut self) -> Apart {
        let propose = match self.stage {
            Stage::PreCommit => Some(std::mem::take(&mut self.current)),
            Stage::PostCommit => None,
        };
        Apart {
            txns: std::mem::take(&mut self.appended),
            propose,
        }
    }

    /// Puts back what [`Self::take_apart`] took out. A part the round still holds (a round
    /// stored before rounds were stored in two rows) is kept.
    pub(crate) fn put_apart(&mut self, apart: Apart) {
        if self.appended.is_empty() {
            self.appended = apart.txns;
        }
        if let (Stage::PreCommit, Value::Null, Some(propose)) =
            (self.stage, &self.current, apart.propose)
        {
            self.current = propose;
        }
    }

    /// Discard what we staged, tell every participant (except `except`) and end the round.
    fn fail(&mut self, env: &mut Env<'_>, report: ProblemReport, except: Option<&Did>) -> Status {
        discard_staged(env, &self.appended);
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
            Stage::PreCommit => self.on_pre_commit(env, from, &verkey, name, msg),
            Stage::PostCommit => self.on_post_commit(env, from, &verkey, name, msg),
        }
    }

    /// Participants that have not answered the current stage yet.
    fn waiting(&self) -> Vec<Did> {
        self.core
            .others()
            .into_iter()
            .filter(|p| match self.stage {
                Stage::PreCommit => !self.pre_commits.contains_key(p),
                Stage::PostCommit => !self.post_commits.contains_key(p),
            })
            .collect()
    }

    pub(crate) fn on_timer(&mut self, env: &mut Env<'_>) -> Status {
        if env.now_ms >= self.core.deadline_ms {
            let stage_no: u8 = match self.stage {
                Stage::PreCommit => 1,
                Stage::PostCommit => 2,
            };
            let missing: Vec<String> = self.waiting().iter().map(|d| d.to_string()).collect();
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
            let waiting = self.waiting();
            env.send(waiting, self.current.clone());
        }
        Status::Continue
    }

    /// After a restart the uncommitted transactions are gone: re-stage them and check that the
    /// state hash we signed is reproduced; otherwise abort.
    pub(crate) fn on_restart(&mut self, env: &mut Env<'_>) -> Status {
        let hash = match restage(env, self.parallel, &self.appended) {
            Ok(h) => h,
            Err(e) => return self.fail(env, lerr(e), None),
        };
        if hash.as_deref() != Some(self.hash.as_str()) {
            let report = ProblemReport::new(
                REQUEST_PROCESSING_ERROR,
                "Restart: ledger state could not be restored",
            );
            return self.fail(env, report, None);
        }
        self.on_timer(env)
    }
}
