//! Starting a round this node leads ([`Event::Start`](super::Event::Start)): refuse a reused
//! thread id or locked ledgers without telling anyone (as the SDK does for a lock failure),
//! otherwise start the actor round and take its locks.

use tmtm_wire::keys::KeyPair;

use super::{busy_report, reused_report, Command, Engine, Role, Round, StartFlow, StartRequest};
use crate::actor::ActorRound;
use crate::dialect::Flow;
use crate::ledger::LedgerAccess;

impl Engine {
    pub(super) fn start<L: LedgerAccess>(
        &mut self,
        req: StartRequest,
        now_ms: u64,
        keys: &KeyPair,
        ledgers: &mut L,
        out: &mut Vec<Command>,
    ) {
        let flow = match &req.flow {
            StartFlow::Create { .. } => Flow::Create,
            StartFlow::Commit { .. } => Flow::Commit,
            StartFlow::Parallel { .. } => Flow::Parallel,
        };
        let thid = self.config.dialect.thread_id(flow, &req.thread_hex);
        let names = match &req.flow {
            StartFlow::Create { name, .. } => vec![name.clone()],
            StartFlow::Commit { ledger, .. } => vec![ledger.clone()],
            StartFlow::Parallel { ledgers, .. } => ledgers.clone(),
        };
        let refused = if self.used_thids.contains(&thid) {
            Some(reused_report(&thid))
        } else {
            busy_report(&self.locks, &names)
        };
        if let Some(report) = refused {
            // Like the SDK: a lock failure of the actor is not sent to anyone.
            out.push(Command::Finished {
                thid,
                role: Role::Actor,
                flow,
                result: Err(report),
            });
            return;
        }
        self.used_thids.open(&thid);
        let mut env = Self::env(&self.peers, &self.config, now_ms, keys, ledgers, out);
        match ActorRound::start(&mut env, thid.clone(), self.me.clone(), req) {
            Ok(round) => {
                let locked = round.ledgers();
                self.begin(thid, Round::Actor(round), locked, out);
            }
            Err(report) => {
                self.close_thread(&thid, now_ms);
                out.push(Command::Finished {
                    thid,
                    role: Role::Actor,
                    flow,
                    result: Err(report),
                })
            }
        }
    }
}
