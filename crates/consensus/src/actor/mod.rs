//! The actor (leader) side of the three flows.

mod commit;
mod create;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tmtm_wire::keys::Did;

use crate::engine::{StartFlow, StartRequest};
use crate::problem::ProblemReport;
use crate::round::{Core, Env, Status};

pub use commit::ActorCommit;
pub use create::ActorCreate;

/// The common end of a failed actor round (every flow): sends the round's problem report to
/// every participant but me and `except`, reports 100 % "Failed", and returns the message so
/// the round can repeat it to a participant that asks again.
fn announce_failure(
    core: &mut Core,
    env: &mut Env<'_>,
    report: &ProblemReport,
    except: Option<&Did>,
) -> Value {
    let msg = core.report(report);
    let to: Vec<Did> = core
        .others()
        .into_iter()
        .filter(|d| Some(d) != except)
        .collect();
    env.send(to, msg.clone());
    env.progress(&core.thid, 100, format!("Failed: {report}"));
    msg
}

/// An actor round of any flow.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum ActorRound {
    Create(ActorCreate),
    Commit(ActorCommit),
}

impl ActorRound {
    pub(crate) fn start(
        env: &mut Env<'_>,
        thid: String,
        me: Did,
        req: StartRequest,
    ) -> Result<Self, ProblemReport> {
        let ttl = req
            .ttl_sec
            .unwrap_or(env.config.default_ttl_sec)
            .clamp(1, env.config.max_ttl_sec);
        let mut participants = vec![me.clone()];
        participants.extend(req.participants.iter().cloned());
        let participants = crate::round::dedup(participants);
        let core = Core::new(
            thid,
            env.config.dialect,
            match req.flow {
                StartFlow::Create { .. } => crate::Flow::Create,
                StartFlow::Commit { .. } => crate::Flow::Commit,
                StartFlow::Parallel { .. } => crate::Flow::Parallel,
            },
            me.clone(),
            me.clone(),
            participants,
            env.now_ms,
            ttl,
            env.config.retry_divisor,
        );
        crate::round::check_participants(&core.participants, &me, env)?;
        match req.flow {
            StartFlow::Create { name, genesis } => {
                ActorCreate::start(env, core, name, genesis, ttl).map(ActorRound::Create)
            }
            StartFlow::Commit {
                ledger,
                transactions,
            } => ActorCommit::start(
                env,
                core,
                vec![ledger],
                transactions,
                req.txn_time,
                ttl,
                false,
            )
            .map(ActorRound::Commit),
            StartFlow::Parallel {
                ledgers,
                transactions,
            } => ActorCommit::start(env, core, ledgers, transactions, req.txn_time, ttl, true)
                .map(ActorRound::Commit),
        }
    }

    pub(crate) fn core(&self) -> &Core {
        match self {
            ActorRound::Create(r) => &r.core,
            ActorRound::Commit(r) => &r.core,
        }
    }

    pub(crate) fn ledgers(&self) -> Vec<String> {
        match self {
            ActorRound::Create(r) => vec![r.name.clone()],
            ActorRound::Commit(r) => r.ledgers.clone(),
        }
    }

    pub(crate) fn final_reply(&self) -> Option<Value> {
        match self {
            ActorRound::Create(r) => r.final_reply.clone(),
            ActorRound::Commit(r) => r.final_reply.clone(),
        }
    }

    pub(crate) fn on_message(
        &mut self,
        env: &mut Env<'_>,
        from: &Did,
        name: &str,
        msg: &Value,
    ) -> Status {
        if from == &self.core().me || !self.core().is_participant(from) {
            return Status::Continue; // only the round's participants may speak in it
        }
        match self {
            ActorRound::Create(r) => r.on_message(env, from, name, msg),
            ActorRound::Commit(r) => r.on_message(env, from, name, msg),
        }
    }

    pub(crate) fn on_timer(&mut self, env: &mut Env<'_>) -> Status {
        match self {
            ActorRound::Create(r) => r.on_timer(env),
            ActorRound::Commit(r) => r.on_timer(env),
        }
    }

    pub(crate) fn on_restart(&mut self, env: &mut Env<'_>) -> Status {
        match self {
            ActorRound::Create(r) => r.on_timer(env),
            ActorRound::Commit(r) => r.on_restart(env),
        }
    }
}
