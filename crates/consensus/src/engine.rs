//! The per-node engine: routes events to rounds by thread id, owns the per-ledger locks, the
//! record of used thread ids and of finished rounds (to answer retransmissions), and turns round
//! results into commands. The whole engine is `Serialize + Deserialize` so the node can persist
//! it after every event (in the same DB transaction as the ledger effects) and resume after a
//! restart with [`Event::Restarted`].

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tmtm_microledger::Transaction;
use tmtm_wire::keys::{Did, KeyPair, Verkey};

use crate::actor::ActorRound;
use crate::dialect::{consensus_name, thread_id, Dialect, Flow};
use crate::ledger::LedgerAccess;
use crate::participant::ParticipantRound;
use crate::problem::{Outcome, ProblemReport, REQUEST_NOT_ACCEPTED};
use crate::round::{Env, Status};

/// Per-node settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// Dialect used when this node leads (default 1.0.25, what TMTM deployed).
    pub dialect: Dialect,
    /// Time to live when the caller gives none and a proposal carries no `timeout_sec` (60 s, as the SDK).
    pub default_ttl_sec: u64,
    /// Upper bound for a proposal's `timeout_sec`, so a peer cannot make us wait (and lock) forever.
    pub max_ttl_sec: u64,
    /// Retransmission interval = ttl / this.
    pub retry_divisor: u64,
    /// Accept a repeated `stage-pre-commit-parallel` as the stage-3 answer in the 1.0.25 parallel
    /// flow (what 1.0.25 participants send, §6.6.2). Needed to interoperate with them, but it cannot
    /// be told apart from a network duplicate, so a network of our own nodes turns it off.
    pub tolerate_v1_precommit_echo: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            dialect: Dialect::V1_0_25,
            default_ttl_sec: 60,
            max_ttl_sec: 600,
            retry_divisor: 6,
            tolerate_v1_precommit_echo: true,
        }
    }
}

/// What the actor is asked to do.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum StartFlow {
    /// Create ledger `name` with `genesis` (transactions without metadata).
    Create {
        name: String,
        genesis: Vec<Transaction>,
    },
    /// Commit `transactions` (without metadata) to `ledger`.
    Commit {
        ledger: String,
        transactions: Vec<Transaction>,
    },
    /// Commit the same `transactions` to every ledger of `ledgers`.
    Parallel {
        ledgers: Vec<String>,
        transactions: Vec<Transaction>,
    },
}

/// A request to lead a round.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StartRequest {
    /// 32 lowercase hex chars (random, chosen by the caller); the dialect's prefix is added.
    pub thread_hex: String,
    pub flow: StartFlow,
    /// The other participants (our own DID is added).
    pub participants: Vec<Did>,
    /// Time to live in seconds (None → `Config::default_ttl_sec`).
    pub ttl_sec: Option<u64>,
    /// `txnTime` for the new transactions, e.g. [`crate::hashes::format_txn_time`].
    pub txn_time: String,
}

/// Input of the engine.
#[derive(Clone, Debug)]
pub enum Event {
    /// Lead a new round.
    Start(StartRequest),
    /// A message arrived, authcrypted by `from` (the node drops anoncrypted consensus messages).
    Received { from: Did, message: Value },
    /// A timer set with [`Command::SetTimer`] fired (spurious firings are harmless).
    Timer,
    /// The node restarted: engine reloaded from its last persisted state, ledgers hold only
    /// committed data. Rounds re-stage their transactions and resume, or abort.
    Restarted,
}

/// Who we are in a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Actor,
    Participant,
}

/// Output of the engine.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Authcrypt `message` (PyJSON) to each DID.
    Send { to: Vec<Did>, message: Value },
    /// Ledgers locked by a round (informational; the engine enforces locks itself).
    Lock { thid: String, ledgers: Vec<String> },
    /// Locks released.
    Unlock { thid: String, ledgers: Vec<String> },
    /// Call `handle(Event::Timer)` at (or after) this time; replaces earlier timers.
    SetTimer { at_ms: u64 },
    /// Actor progress for the client (percent 0..=100).
    Progress {
        thid: String,
        percent: u8,
        message: String,
    },
    /// A round ended.
    Finished {
        thid: String,
        role: Role,
        flow: Flow,
        result: Result<Outcome, ProblemReport>,
    },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[allow(clippy::large_enum_variant)] // rounds live in a map, one per thread; boxing buys nothing
enum Round {
    Actor(ActorRound),
    Participant(ParticipantRound),
}

impl Round {
    fn core(&self) -> &crate::round::Core {
        match self {
            Round::Actor(r) => r.core(),
            Round::Participant(r) => r.core(),
        }
    }
}

/// A finished round kept for a while to answer retransmissions.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct FinishedRound {
    expires_ms: u64,
    role: Role,
    participants: Vec<Did>,
    /// The message to re-send to a participant that still asks (actor: final message or report).
    reply: Option<Value>,
    /// `@id`s sent by that round (2.x threading).
    sent_ids: Vec<String>,
}

/// The consensus engine of one node.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Engine {
    me: Did,
    peers: BTreeMap<Did, Verkey>,
    config: Config,
    rounds: BTreeMap<String, Round>,
    finished: BTreeMap<String, FinishedRound>,
    used_thids: BTreeSet<String>,
    locks: BTreeMap<String, String>,
}

impl Engine {
    /// An engine for `me` with the verkeys of its pairwise peers.
    pub fn new(me: Did, peers: BTreeMap<Did, Verkey>, config: Config) -> Self {
        Engine {
            me,
            peers,
            config,
            rounds: BTreeMap::new(),
            finished: BTreeMap::new(),
            used_thids: BTreeSet::new(),
            locks: BTreeMap::new(),
        }
    }

    /// The node's settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Our DID.
    pub fn me(&self) -> &Did {
        &self.me
    }

    /// Thread ids of the rounds in progress.
    pub fn active_rounds(&self) -> Vec<String> {
        self.rounds.keys().cloned().collect()
    }

    /// Deadline of an active round.
    pub fn deadline_of(&self, thid: &str) -> Option<u64> {
        self.rounds.get(thid).map(|r| r.core().deadline_ms)
    }

    /// Ledger names currently locked.
    pub fn locked_ledgers(&self) -> Vec<String> {
        self.locks.keys().cloned().collect()
    }

    /// Process one event at `now_ms`; ledger effects happen through `ledgers`.
    pub fn handle<L: LedgerAccess>(
        &mut self,
        event: Event,
        now_ms: u64,
        keys: &KeyPair,
        ledgers: &mut L,
    ) -> Vec<Command> {
        let mut out = Vec::new();
        match event {
            Event::Start(req) => self.start(req, now_ms, keys, ledgers, &mut out),
            Event::Received { from, message } => {
                self.received(from, message, now_ms, keys, ledgers, &mut out)
            }
            Event::Timer => self.timer(now_ms, keys, ledgers, &mut out),
            Event::Restarted => self.restarted(now_ms, keys, ledgers, &mut out),
        }
        self.finished.retain(|_, f| f.expires_ms > now_ms);
        let next = self
            .rounds
            .values()
            .map(|r| r.core().next_wakeup())
            .chain(self.finished.values().map(|f| f.expires_ms))
            .min();
        if let Some(at_ms) = next {
            out.push(Command::SetTimer { at_ms });
        }
        out
    }

    fn env<'a>(
        peers: &'a BTreeMap<Did, Verkey>,
        config: &'a Config,
        now_ms: u64,
        keys: &'a KeyPair,
        ledgers: &'a mut dyn LedgerAccess,
        out: &'a mut Vec<Command>,
    ) -> Env<'a> {
        Env {
            now_ms,
            keys,
            peers,
            config,
            ledgers,
            out,
        }
    }

    fn lock_busy(&self, names: &[String]) -> Option<ProblemReport> {
        let busy: Vec<&String> = names
            .iter()
            .filter(|n| self.locks.contains_key(*n))
            .collect();
        if busy.is_empty() {
            return None;
        }
        let list: Vec<String> = busy.iter().map(|n| format!("ledgers/{n}")).collect();
        Some(ProblemReport::new(
            REQUEST_NOT_ACCEPTED,
            format!(
                "Preparing: Ledgers [{}] are locked by other state-machine",
                list.join(", ")
            ),
        ))
    }

    fn start<L: LedgerAccess>(
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
            Some(ProblemReport::new(
                REQUEST_NOT_ACCEPTED,
                format!("thread id {thid} was already used"),
            ))
        } else {
            self.lock_busy(&names)
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
        self.used_thids.insert(thid.clone());
        let mut env = Self::env(&self.peers, &self.config, now_ms, keys, ledgers, out);
        match ActorRound::start(&mut env, thid.clone(), self.me.clone(), req) {
            Ok(round) => {
                let locked = round.ledgers();
                for n in &locked {
                    self.locks.insert(n.clone(), thid.clone());
                }
                out.push(Command::Lock {
                    thid: thid.clone(),
                    ledgers: locked,
                });
                self.rounds.insert(thid, Round::Actor(round));
            }
            Err(report) => out.push(Command::Finished {
                thid,
                role: Role::Actor,
                flow,
                result: Err(report),
            }),
        }
    }

    /// Find the round a message belongs to: its thid, or (2.x) the `@id` of a message we sent.
    fn route(&self, thid: &str) -> Option<String> {
        if self.rounds.contains_key(thid) {
            return Some(thid.to_string());
        }
        self.rounds
            .iter()
            .find(|(_, r)| {
                matches!(r, Round::Actor(_)) && r.core().sent_ids.iter().any(|i| i == thid)
            })
            .map(|(k, _)| k.clone())
    }

    fn received<L: LedgerAccess>(
        &mut self,
        from: Did,
        message: Value,
        now_ms: u64,
        keys: &KeyPair,
        ledgers: &mut L,
        out: &mut Vec<Command>,
    ) {
        let Some(name) = consensus_name(&message).map(str::to_string) else {
            return;
        };
        let Some(thid) = thread_id(&message).map(str::to_string) else {
            return;
        };
        if let Some(key) = self.route(&thid) {
            let Some(mut round) = self.rounds.remove(&key) else {
                return;
            };
            let mut env = Self::env(&self.peers, &self.config, now_ms, keys, ledgers, out);
            let status = match &mut round {
                Round::Actor(r) => r.on_message(&mut env, &from, &name, &message),
                Round::Participant(r) => r.on_message(&mut env, &from, &name, &message),
            };
            self.after(key, round, status, now_ms, out);
            return;
        }
        let finished_key = if self.finished.contains_key(&thid) {
            Some(thid.clone())
        } else {
            self.finished
                .iter()
                .find(|(_, f)| f.role == Role::Actor && f.sent_ids.contains(&thid))
                .map(|(k, _)| k.clone())
        };
        if let Some(key) = finished_key {
            if let Some(f) = self.finished.get(&key) {
                if f.role == Role::Actor
                    && f.participants.contains(&from)
                    && name != "problem_report"
                {
                    if let Some(reply) = &f.reply {
                        out.push(Command::Send {
                            to: vec![from],
                            message: reply.clone(),
                        });
                    }
                }
            }
            return;
        }
        let is_proposal = matches!(
            name.as_str(),
            "initialize-request" | "stage-propose" | "stage-propose-parallel"
        );
        if !is_proposal || !self.peers.contains_key(&from) {
            return; // unknown thread or stranger: refuse silently
        }
        if self.used_thids.contains(&thid) {
            // A replayed proposal of an old round (§9.13): refuse, never re-commit.
            let report = ProblemReport::new(
                REQUEST_NOT_ACCEPTED,
                format!("thread id {thid} was already used"),
            );
            let msg = report.to_message(&format!("reused-{thid}"), &thid);
            out.push(Command::Send {
                to: vec![from],
                message: msg,
            });
            return;
        }
        self.used_thids.insert(thid.clone());
        let mut env = Self::env(&self.peers, &self.config, now_ms, keys, ledgers, out);
        let locks = &self.locks;
        let busy = |names: &[String]| -> Option<ProblemReport> {
            let busy: Vec<String> = names
                .iter()
                .filter(|n| locks.contains_key(*n))
                .map(|n| format!("ledgers/{n}"))
                .collect();
            (!busy.is_empty()).then(|| {
                ProblemReport::new(
                    REQUEST_NOT_ACCEPTED,
                    format!(
                        "Preparing: Ledgers [{}] are locked by other state-machine",
                        busy.join(", ")
                    ),
                )
            })
        };
        let started = ParticipantRound::start(
            &mut env,
            self.me.clone(),
            thid.clone(),
            &from,
            &name,
            &message,
            &busy,
        );
        match started {
            Ok(round) => {
                let locked = round.ledgers();
                for n in &locked {
                    self.locks.insert(n.clone(), thid.clone());
                }
                out.push(Command::Lock {
                    thid: thid.clone(),
                    ledgers: locked,
                });
                self.rounds.insert(thid, Round::Participant(round));
            }
            Err((flow, report)) => {
                out.push(Command::Finished {
                    thid,
                    role: Role::Participant,
                    flow,
                    result: Err(report),
                });
            }
        }
    }

    fn timer<L: LedgerAccess>(
        &mut self,
        now_ms: u64,
        keys: &KeyPair,
        ledgers: &mut L,
        out: &mut Vec<Command>,
    ) {
        let keys_due: Vec<String> = self
            .rounds
            .iter()
            .filter(|(_, r)| r.core().next_wakeup() <= now_ms)
            .map(|(k, _)| k.clone())
            .collect();
        for key in keys_due {
            let Some(mut round) = self.rounds.remove(&key) else {
                continue;
            };
            let mut env = Self::env(&self.peers, &self.config, now_ms, keys, ledgers, out);
            let status = match &mut round {
                Round::Actor(r) => r.on_timer(&mut env),
                Round::Participant(r) => r.on_timer(&mut env),
            };
            self.after(key, round, status, now_ms, out);
        }
    }

    fn restarted<L: LedgerAccess>(
        &mut self,
        now_ms: u64,
        keys: &KeyPair,
        ledgers: &mut L,
        out: &mut Vec<Command>,
    ) {
        let all: Vec<String> = self.rounds.keys().cloned().collect();
        for key in all {
            let Some(mut round) = self.rounds.remove(&key) else {
                continue;
            };
            let mut env = Self::env(&self.peers, &self.config, now_ms, keys, ledgers, out);
            let status = match &mut round {
                Round::Actor(r) => r.on_restart(&mut env),
                Round::Participant(r) => r.on_restart(&mut env),
            };
            self.after(key, round, status, now_ms, out);
        }
        self.timer(now_ms, keys, ledgers, out);
    }

    fn after(
        &mut self,
        key: String,
        round: Round,
        status: Status,
        now_ms: u64,
        out: &mut Vec<Command>,
    ) {
        match status {
            Status::Continue => {
                self.rounds.insert(key, round);
            }
            Status::Done(result) => {
                let core = round.core().clone();
                let (role, reply) = match &round {
                    Round::Actor(r) => (Role::Actor, r.final_reply()),
                    Round::Participant(_) => (Role::Participant, None),
                };
                let ledgers = match &round {
                    Round::Actor(r) => r.ledgers(),
                    Round::Participant(r) => r.ledgers(),
                };
                self.locks.retain(|_, t| *t != key);
                out.push(Command::Unlock {
                    thid: key.clone(),
                    ledgers,
                });
                let ttl = core
                    .deadline_ms
                    .saturating_sub(now_ms)
                    .max(core.retry_every_ms * 6);
                self.finished.insert(
                    key.clone(),
                    FinishedRound {
                        expires_ms: now_ms.saturating_add(ttl),
                        role,
                        participants: core.participants.clone(),
                        reply,
                        sent_ids: core.sent_ids.clone(),
                    },
                );
                out.push(Command::Finished {
                    thid: key,
                    role,
                    flow: core.flow,
                    result,
                });
            }
        }
    }
}
