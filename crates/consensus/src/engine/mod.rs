//! The per-node engine: routes events to rounds by thread id, owns the per-ledger locks, the
//! record of used thread ids and of finished rounds (to answer retransmissions), and turns round
//! results into commands. The node persists it after every event (in the same DB transaction as
//! the ledger effects) and resumes after a restart with [`Event::Restarted`]: the small core
//! (locks, settings) is serialised whole (`Serialize` of [`Engine`]); rounds in progress (with
//! a commit round's unchanging part in a row of its own), finished rounds and used thread ids
//! are rows written only when they change (see `persist`).
//!
//! Submodules: `api` (public types), `lead` (starting actor rounds), `inbound` (received
//! messages: routing, retransmission answers, new participant rounds), `threads` (used thread
//! ids and their retention), `persist` (the split persisted form and its changes), `expiry`
//! (when kept records expire, in time order).

mod api;
mod expiry;
mod inbound;
mod lead;
mod persist;
mod threads;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tmtm_wire::keys::{Did, KeyPair, Verkey};

use crate::actor::ActorRound;
use crate::apart::Apart;
use crate::ledger::LedgerAccess;
use crate::participant::ParticipantRound;
use crate::problem::{ProblemReport, REQUEST_NOT_ACCEPTED};
use crate::round::{Env, Status};
use expiry::ExpiryIndex;

pub use api::{Command, Config, Event, Role, StartFlow, StartRequest};
pub use persist::PersistChanges;
use threads::UsedThreads;
pub use threads::{retention_ms, USED_THREAD_RETENTION_TTLS};

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

    /// Whether the round has an unchanging part stored apart (a commit round).
    fn has_apart(&self) -> bool {
        matches!(
            self,
            Round::Actor(ActorRound::Commit(_)) | Round::Participant(ParticipantRound::Commit(_))
        )
    }

    /// The part of a commit round that never changes once it started, taken out (None for
    /// a creation round, which is small and stays whole).
    fn take_apart(&mut self) -> Option<Apart> {
        match self {
            Round::Actor(ActorRound::Commit(r)) => Some(r.take_apart()),
            Round::Participant(ParticipantRound::Commit(r)) => Some(r.take_apart()),
            _ => None,
        }
    }

    /// Puts back what [`Self::take_apart`] took out.
    fn put_apart(&mut self, apart: Apart) {
        match self {
            Round::Actor(ActorRound::Commit(r)) => r.put_apart(apart),
            Round::Participant(ParticipantRound::Commit(r)) => r.put_apart(apart),
            _ => {}
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
///
/// `Serialize` writes the core only; `finished` and `used_thids` are persisted as rows (see
/// [`Engine::take_changes`], [`Engine::restore`]). They are still read when present, so a
/// checkpoint written before the split loads (and is turned into rows by the next step).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Engine {
    me: Did,
    peers: BTreeMap<Did, Verkey>,
    config: Config,
    #[serde(default, skip_serializing)]
    rounds: BTreeMap<String, Round>,
    #[serde(default, skip_serializing)]
    finished: BTreeMap<String, FinishedRound>,
    #[serde(default, skip_serializing)]
    used_thids: UsedThreads,
    locks: BTreeMap<String, String>,
    /// Finished rounds added or forgotten since the last [`Engine::take_changes`].
    #[serde(skip)]
    finished_dirty: BTreeSet<String>,
    /// Rounds in progress started, advanced or ended since the last [`Engine::take_changes`].
    #[serde(skip)]
    rounds_dirty: BTreeSet<String>,
    /// Rounds in progress whose unchanging part ([`Apart`]) has been handed over as a row of
    /// its own (written once; the round's own row leaves it out).
    #[serde(skip)]
    apart_stored: HashSet<String>,
    /// When each finished round expires. Derived from `finished`: kept in step where that
    /// changes, rebuilt by [`Engine::restore`].
    #[serde(skip)]
    finished_expiry: ExpiryIndex,
    /// The `@id`s sent by the finished rounds we led → their thread id, so that a message
    /// that names none of our threads is not matched against every finished round's `@id`s
    /// (thousands at a few hundred rounds per second). Derived from `finished`: kept in step
    /// where that changes, rebuilt by [`Engine::restore`].
    #[serde(skip)]
    finished_sent: HashMap<String, String>,
}

/// The refusal for ledgers locked by another round (§6.3), or None if none of `names` is locked.
fn busy_report(locks: &BTreeMap<String, String>, names: &[String]) -> Option<ProblemReport> {
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
}

/// The refusal of a thread id seen before (§9.13).
fn reused_report(thid: &str) -> ProblemReport {
    ProblemReport::new(
        REQUEST_NOT_ACCEPTED,
        format!("thread id {thid} was already used"),
    )
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
            used_thids: UsedThreads::default(),
            locks: BTreeMap::new(),
            finished_dirty: BTreeSet::new(),
            rounds_dirty: BTreeSet::new(),
            apart_stored: HashSet::new(),
            finished_expiry: ExpiryIndex::default(),
            finished_sent: HashMap::new(),
        }
    }

    /// Adds a finished round's `@id`s to `finished_sent` (rounds we led only: the others are
    /// never found by an `@id`). Of two rounds that sent the same `@id` the smaller thread id
    /// wins, as a scan in key order would find it.
    fn index_finished(&mut self, thid: &str, f: &FinishedRound) {
        if f.role != Role::Actor {
            return;
        }
        for id in &f.sent_ids {
            self.finished_sent
                .entry(id.clone())
                .and_modify(|k| {
                    if thid < k.as_str() {
                        *k = thid.to_owned();
                    }
                })
                .or_insert_with(|| thid.to_owned());
        }
    }

    /// Rebuilds `finished_sent` and `finished_expiry` from `finished`.
    fn reindex_finished(&mut self) {
        self.finished_sent.clear();
        self.finished_expiry.clear();
        let finished = std::mem::take(&mut self.finished);
        for (thid, f) in &finished {
            self.index_finished(thid, f);
            self.finished_expiry.insert(f.expires_ms, thid);
        }
        self.finished = finished;
    }

    /// Forgets the finished rounds whose time has come.
    fn expire_finished(&mut self, now_ms: u64) {
        for thid in self.finished_expiry.take_due(now_ms) {
            let Some(f) = self.finished.remove(&thid) else {
                continue;
            };
            for id in &f.sent_ids {
                if self.finished_sent.get(id) == Some(&thid) {
                    self.finished_sent.remove(id);
                }
            }
            self.finished_dirty.insert(thid);
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

    /// Whether a proposal or start with this thread id would be refused as reused.
    pub fn remembers_thread(&self, thid: &str) -> bool {
        self.used_thids.contains(thid)
    }

    /// How many thread ids are remembered (running rounds and those within their retention).
    pub fn remembered_threads(&self) -> usize {
        self.used_thids.len()
    }

    /// How many finished rounds are kept to answer retransmissions.
    pub fn finished_rounds(&self) -> usize {
        self.finished.len()
    }

    /// Process one event at `now_ms`; ledger effects happen through `ledgers`.
    pub fn handle<L: LedgerAccess>(
        &mut self,
        event: Event,
        now_ms: u64,
        keys: &KeyPair,
        ledgers: &mut L,
    ) -> Vec<Command> {
        // Expired records are forgotten before the event is looked at, so that an event never
        // meets a record past its time (even if no timer fired in between).
        self.expire_finished(now_ms);
        self.used_thids.prune(now_ms);
        let mut out = Vec::new();
        match event {
            Event::Start(req) => self.start(req, now_ms, keys, ledgers, &mut out),
            Event::Received { from, message } => {
                self.received(from, message, now_ms, keys, ledgers, &mut out)
            }
            Event::Timer => self.timer(now_ms, keys, ledgers, &mut out),
            Event::Restarted => self.restarted(now_ms, keys, ledgers, &mut out),
        }
        let next = self
            .rounds
            .values()
            .map(|r| r.core().next_wakeup())
            .chain(self.finished_expiry.earliest())
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

    /// A round was refused or ended at `now_ms`: remember its thread id for the retention time.
    fn close_thread(&mut self, thid: &str, now_ms: u64) {
        let keep = retention_ms(self.config.max_ttl_sec);
        self.used_thids.close(thid, now_ms, keep);
    }

    /// A round started: hold its ledgers' locks and keep it.
    fn begin(&mut self, thid: String, round: Round, ledgers: Vec<String>, out: &mut Vec<Command>) {
        for n in &ledgers {
            self.locks.insert(n.clone(), thid.clone());
        }
        out.push(Command::Lock {
            thid: thid.clone(),
            ledgers,
        });
        self.rounds_dirty.insert(thid.clone());
        self.rounds.insert(thid, round);
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

    /// Keep a continuing round; for an ended one release its locks, keep a record to answer
    /// retransmissions, start its thread id's retention and report the result.
    fn after(
        &mut self,
        key: String,
        round: Round,
        status: Status,
        now_ms: u64,
        out: &mut Vec<Command>,
    ) {
        // Continuing or ended, the round's row changes (`persist.rs`).
        self.rounds_dirty.insert(key.clone());
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
                let expires_ms = now_ms.saturating_add(ttl);
                let finished = FinishedRound {
                    expires_ms,
                    role,
                    participants: core.participants.clone(),
                    reply,
                    sent_ids: core.sent_ids.clone(),
                };
                self.index_finished(&key, &finished);
                if let Some(old) = self.finished.insert(key.clone(), finished) {
                    self.finished_expiry.remove(old.expires_ms, &key);
                }
                self.finished_expiry.insert(expires_ms, &key);
                self.finished_dirty.insert(key.clone());
                self.close_thread(&key, now_ms);
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
