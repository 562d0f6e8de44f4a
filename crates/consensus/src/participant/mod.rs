//! The participant side of the three flows. A round starts from a proposal received from a
//! known peer; its dialect is detected from the proposal.

mod commit;
mod create;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tmtm_wire::keys::Did;

use crate::dialect::{Dialect, Flow};
use crate::problem::ProblemReport;
use crate::round::{check_participants, parse_participants, Core, Env, Status};

pub use commit::ParticipantCommit;
pub use create::ParticipantCreate;

/// A participant round of any flow.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum ParticipantRound {
    Create(ParticipantCreate),
    Commit(ParticipantCommit),
}

type Busy<'b> = dyn Fn(&[String]) -> Option<ProblemReport> + 'b;

impl ParticipantRound {
    /// Validate a proposal and start the round. On refusal, a problem report has been sent to
    /// the actor (when the refusal is a protocol error) and the error is returned.
    pub(crate) fn start(
        env: &mut Env<'_>,
        me: Did,
        thid: String,
        from: &Did,
        name: &str,
        msg: &Value,
        busy: &Busy<'_>,
    ) -> Result<Self, (Flow, ProblemReport)> {
        let flow = match name {
            "initialize-request" => Flow::Create,
            "stage-propose" => Flow::Commit,
            _ => Flow::Parallel,
        };
        let dialect = Dialect::detect(msg);
        let ttl = msg
            .get("timeout_sec")
            .and_then(Value::as_u64)
            .filter(|t| *t > 0)
            .unwrap_or(env.config.default_ttl_sec)
            .min(env.config.max_ttl_sec);
        let participants = parse_participants(msg).unwrap_or_default();
        let mut core = Core::new(
            thid,
            dialect,
            flow,
            me.clone(),
            from.clone(),
            participants,
            env.now_ms,
            ttl,
            env.config.retry_divisor,
        );
        let checked = if core.is_participant(from) {
            check_participants(&core.participants, &me, env)
        } else {
            Err(ProblemReport::new(
                crate::problem::REQUEST_NOT_ACCEPTED,
                format!("Stage-1: sender {from} is not a participant"),
            ))
        };
        let result = checked.and_then(|()| match flow {
            Flow::Create => {
                ParticipantCreate::start(env, &mut core, msg, busy).map(ParticipantRound::Create)
            }
            _ => ParticipantCommit::start(env, &mut core, msg, flow == Flow::Parallel, busy)
                .map(ParticipantRound::Commit),
        });
        result.map_err(|report| {
            let m = core.report(&report);
            env.send(vec![from.clone()], m);
            (flow, report)
        })
    }

    pub(crate) fn core(&self) -> &Core {
        match self {
            ParticipantRound::Create(r) => &r.core,
            ParticipantRound::Commit(r) => &r.core,
        }
    }

    pub(crate) fn ledgers(&self) -> Vec<String> {
        match self {
            ParticipantRound::Create(r) => vec![r.name.clone()],
            ParticipantRound::Commit(r) => r.staged.iter().map(|(n, _)| n.clone()).collect(),
        }
    }

    pub(crate) fn on_message(
        &mut self,
        env: &mut Env<'_>,
        from: &Did,
        name: &str,
        msg: &Value,
    ) -> Status {
        if *from != self.core().actor {
            return Status::Continue; // actor-stage messages only from the actor (§9.13)
        }
        match self {
            ParticipantRound::Create(r) => r.on_message(env, name, msg),
            ParticipantRound::Commit(r) => r.on_message(env, name, msg),
        }
    }

    pub(crate) fn on_timer(&mut self, env: &mut Env<'_>) -> Status {
        match self {
            ParticipantRound::Create(r) => r.on_timer(env),
            ParticipantRound::Commit(r) => r.on_timer(env),
        }
    }

    pub(crate) fn on_restart(&mut self, env: &mut Env<'_>) -> Status {
        match self {
            ParticipantRound::Create(r) => r.on_restart(env),
            ParticipantRound::Commit(r) => r.on_restart(env),
        }
    }
}
