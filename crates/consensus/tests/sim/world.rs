//! The simulated world: N nodes, their commands, timers, crashes and restarts (engine reloaded
//! from its persisted split form, uncommitted ledger data dropped) and the event loop. The lossy,
//! duplicating, reordering network is in `network`, byzantine corruption in `byzantine`, the
//! per-step and end-of-run invariants in `checks`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};
use tmtm_consensus::{
    Command, Config, Dialect, Engine, Event, MemoryLedgers, Role, StartFlow, StartRequest,
};
use tmtm_microledger::Transaction;
use tmtm_wire::keys::{Did, KeyPair, Verkey};

use super::oracle::Oracle;
use super::rng::Rng;

pub const TTL_SEC: u64 = 10;

/// A model of the node's database: the engine core as JSON text and the rows, updated with
/// each step's [`tmtm_consensus::PersistChanges`] as the node's transaction would.
#[derive(Default)]
pub struct Persisted {
    core: String,
    finished: BTreeMap<String, String>,
    used: BTreeMap<String, u64>,
    live: BTreeMap<String, String>,
    proposals: BTreeMap<String, String>,
}

impl Persisted {
    /// Store the engine after a step: its core, and its row changes applied to the rows.
    fn save(&mut self, engine: &mut Engine) {
        self.core = engine.core_json().unwrap();
        let changes = engine.take_changes().unwrap();
        for (thid, body, _) in changes.finished_upserts {
            self.finished.insert(thid, body);
        }
        for thid in changes.finished_removed {
            assert!(
                self.finished.remove(&thid).is_some(),
                "removed twice: {thid}"
            );
        }
        for (thid, until) in changes.used_upserts {
            self.used.insert(thid, until);
        }
        for thid in changes.used_removed {
            assert!(self.used.remove(&thid).is_some(), "removed twice: {thid}");
        }
        for (thid, body) in changes.live_upserts {
            self.live.insert(thid, body);
        }
        for (thid, body) in changes.proposal_upserts {
            assert!(
                self.proposals.insert(thid.clone(), body).is_none(),
                "a round's unchanging part is written once: {thid}"
            );
        }
        for thid in changes.live_removed {
            // A round started and ended in one step was never written.
            self.live.remove(&thid);
            self.proposals.remove(&thid);
        }
        // Every change was handed over: the rows are exactly the engine's records.
        assert_eq!(self.used.len(), engine.remembered_threads());
        assert_eq!(self.finished.len(), engine.finished_rounds());
        assert_eq!(self.live.len(), engine.active_rounds().len());
        assert!(
            self.proposals.keys().all(|t| self.live.contains_key(t)),
            "no unchanging part outlives its round"
        );
    }

    /// The engine as the node would restore it.
    fn load(&self) -> Engine {
        let core: Value = serde_json::from_str(&self.core).unwrap();
        let finished = self.finished.iter().map(|(t, b)| (t.clone(), b.clone()));
        let used = self.used.iter().map(|(t, u)| (t.clone(), *u));
        let live = self.live.iter().map(|(t, b)| (t.clone(), b.clone()));
        let proposals = self.proposals.iter().map(|(t, b)| (t.clone(), b.clone()));
        Engine::restore(core, finished, used, live, proposals).unwrap()
    }
}

pub struct Node {
    pub keys: KeyPair,
    pub engine: Engine,
    pub persisted: Persisted,
    pub ledgers: MemoryLedgers,
    pub up: bool,
    pub byzantine: bool,
    pub timer: Option<u64>,
    pub confirmed: Vec<String>,
    /// thid -> Ok?
    pub results: BTreeMap<String, bool>,
    pub saved_sigs: Vec<Value>,
}

pub(super) struct Packet {
    pub(super) at: u64,
    pub(super) seq: u64,
    pub(super) from: usize,
    pub(super) to: usize,
    pub(super) msg: Value,
}

pub struct Faults {
    pub drop: u64,
    pub dup: u64,
    pub max_delay: u64,
    pub crash: u64,
    pub byz_mutate: u64,
}

pub struct World {
    pub rng: Rng,
    pub now: u64,
    pub nodes: Vec<Node>,
    pub(super) queue: Vec<Packet>,
    pub(super) seq: u64,
    pub faults: Faults,
    pub oracle: Oracle,
    /// thid -> (actor index, flow is create, ledger names)
    pub rounds: BTreeMap<String, (usize, bool, Vec<String>)>,
    /// (thid, node) pairs whose link lost a message or that crashed during the round
    pub tainted: BTreeSet<(String, usize)>,
    pub crashes: Vec<(u64, usize, u64)>,
    pub starts: Vec<(u64, usize, StartFlow)>,
}

pub(super) fn thid_of(m: &Value) -> String {
    m.get("~thread")
        .and_then(|t| t.get("thid"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

impl World {
    pub fn new(seed: u64) -> World {
        let mut rng = Rng::new(seed);
        let n = 2 + rng.below(6) as usize; // 2..=7
        let keys: Vec<KeyPair> = (0..n)
            .map(|i| {
                let mut s = [0u8; 32];
                s[..8].copy_from_slice(&seed.to_le_bytes());
                s[31] = i as u8;
                KeyPair::from_seed(&s)
            })
            .collect();
        let dialect = if rng.chance(500) {
            Dialect::V2
        } else {
            Dialect::V1_0_25
        };
        // max_ttl = the rounds' ttl, so that used thread ids are forgotten (after 2 ttl) within
        // a run and the retention is exercised.
        let config = Config {
            dialect,
            max_ttl_sec: TTL_SEC,
            tolerate_v1_precommit_echo: false,
            ..Config::default()
        };
        let byz = if n >= 3 && rng.chance(300) {
            Some(1 + rng.below(n as u64 - 1) as usize)
        } else {
            None
        };
        let nodes = (0..n)
            .map(|i| {
                let peers: BTreeMap<Did, Verkey> = keys
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, k)| (k.did(), k.verkey()))
                    .collect();
                let mut engine = Engine::new(keys[i].did(), peers, config.clone());
                let mut persisted = Persisted::default();
                persisted.save(&mut engine);
                Node {
                    keys: keys[i].clone(),
                    engine,
                    persisted,
                    ledgers: MemoryLedgers::new(),
                    up: true,
                    byzantine: byz == Some(i),
                    timer: None,
                    confirmed: Vec::new(),
                    results: BTreeMap::new(),
                    saved_sigs: Vec::new(),
                }
            })
            .collect();
        let faults = Faults {
            drop: rng.below(120),
            dup: rng.below(100),
            max_delay: 50 + rng.below(900),
            crash: rng.below(3),
            byz_mutate: 300 + rng.below(500),
        };
        World {
            rng,
            now: 1_700_000_000_000,
            nodes,
            queue: Vec::new(),
            seq: 0,
            faults,
            oracle: Oracle::default(),
            rounds: BTreeMap::new(),
            tainted: BTreeSet::new(),
            crashes: Vec::new(),
            starts: Vec::new(),
        }
    }

    pub fn honest(&self, i: usize) -> bool {
        !self.nodes[i].byzantine
    }

    pub fn dids(&self) -> Vec<Did> {
        self.nodes.iter().map(|n| n.keys.did()).collect()
    }

    fn index_of(&self, did: &Did) -> Option<usize> {
        self.nodes.iter().position(|n| n.keys.did() == *did)
    }

    /// Deliver an event to node i and process the commands.
    pub fn deliver(&mut self, i: usize, event: Event) {
        let now = self.now;
        let node = &mut self.nodes[i];
        let cmds = node
            .engine
            .handle(event, now, &node.keys, &mut node.ledgers);
        node.persisted.save(&mut node.engine);
        for c in cmds {
            self.command(i, c);
        }
    }

    fn command(&mut self, i: usize, c: Command) {
        match c {
            Command::Send { to, message } => {
                for d in to {
                    let Some(j) = self.index_of(&d) else { continue };
                    let mut msg = message.clone();
                    if self.nodes[i].byzantine && self.rng.chance(self.faults.byz_mutate) {
                        msg = self.mutate(i, msg);
                    }
                    self.enqueue(i, j, msg);
                }
            }
            Command::SetTimer { at_ms } => self.nodes[i].timer = Some(at_ms),
            Command::Finished {
                thid, role, result, ..
            } => {
                let ok = result.is_ok();
                if std::env::var("TMTM_SIM_DEBUG").is_ok() {
                    if let Err(e) = &result {
                        eprintln!("t={} node {i} {thid}: {e}", self.now);
                    }
                }
                if let (Ok(outcome), Some((_, true, _))) = (&result, self.rounds.get(&thid)) {
                    for l in &outcome.ledgers {
                        self.nodes[i].confirmed.push(l.clone());
                    }
                }
                if role == Role::Actor || self.rounds.contains_key(&thid) {
                    self.nodes[i].results.insert(thid, ok);
                }
            }
            Command::Lock { .. } | Command::Unlock { .. } | Command::Progress { .. } => {}
        }
    }

    pub fn crash(&mut self, i: usize) {
        self.nodes[i].up = false;
        for (t, (a, _, _)) in self.rounds.clone() {
            self.tainted.insert((t.clone(), i));
            if a == i {
                for j in 0..self.nodes.len() {
                    self.tainted.insert((t.clone(), j));
                }
            }
        }
    }

    pub fn restart(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        // the engine is rebuilt from its stored core and rows, as the node restores it
        node.engine = node.persisted.load();
        node.ledgers.drop_uncommitted().unwrap();
        node.up = true;
        node.timer = None;
        self.deliver(i, Event::Restarted);
    }

    pub fn start(&mut self, i: usize, flow: StartFlow) {
        let participants: Vec<Did> = self
            .dids()
            .into_iter()
            .filter(|d| *d != self.nodes[i].keys.did())
            .collect();
        let hex = self.rng.hex32();
        let txn_time = tmtm_consensus::format_txn_time(self.now * 1000 + 123);
        let req = StartRequest {
            thread_hex: hex.clone(),
            flow: flow.clone(),
            participants,
            ttl_sec: Some(TTL_SEC),
            txn_time,
        };
        let dialect = self.nodes[i].engine.config().dialect;
        let kind = match &flow {
            StartFlow::Create { .. } => tmtm_consensus::Flow::Create,
            StartFlow::Commit { .. } => tmtm_consensus::Flow::Commit,
            StartFlow::Parallel { .. } => tmtm_consensus::Flow::Parallel,
        };
        let thid = dialect.thread_id(kind, &hex);
        let names = match &flow {
            StartFlow::Create { name, .. } => vec![name.clone()],
            StartFlow::Commit { ledger, .. } => vec![ledger.clone()],
            StartFlow::Parallel { ledgers, .. } => ledgers.clone(),
        };
        self.rounds
            .insert(thid, (i, matches!(flow, StartFlow::Create { .. }), names));
        self.deliver(i, Event::Start(req));
    }

    /// Advance to the next event; false when nothing is left before `until`.
    pub fn step(&mut self, until: u64) -> bool {
        let next_pkt = self.queue.iter().map(|p| (p.at, p.seq)).min();
        let next_timer = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.up)
            .filter_map(|(i, n)| n.timer.map(|t| (t, i)))
            .min();
        let next_crash = self.crashes.iter().map(|c| c.0).min();
        let next_start = self.starts.iter().map(|s| s.0).min();
        let t = [
            next_pkt.map(|p| p.0),
            next_timer.map(|t| t.0),
            next_crash,
            next_start,
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(t) = t else { return false };
        if t > until {
            return false;
        }
        self.now = self.now.max(t);
        if next_start == Some(t) {
            let k = self.starts.iter().position(|s| s.0 == t).unwrap();
            let (_, i, flow) = self.starts.remove(k);
            if self.nodes[i].up {
                self.start(i, flow);
            }
        } else if next_crash == Some(t) {
            let k = self.crashes.iter().position(|c| c.0 == t).unwrap();
            let (_, i, down_for) = self.crashes.remove(k);
            if self.nodes[i].up {
                self.crash(i);
                self.crashes.push((t + down_for, i, u64::MAX)); // u64::MAX marks "restart"
            } else if down_for == u64::MAX {
                self.restart(i);
            }
        } else if next_pkt.map(|p| p.0) == Some(t) {
            let seq = next_pkt.unwrap().1;
            let k = self.queue.iter().position(|p| p.seq == seq).unwrap();
            let p = self.queue.remove(k);
            if std::env::var("TMTM_SIM_TRACE").is_ok_and(|t| t == thid_of(&p.msg)) {
                eprintln!(
                    "t={} {} -> {} up={} {}",
                    self.now,
                    p.from,
                    p.to,
                    self.nodes[p.to].up,
                    p.msg.get("@type").and_then(Value::as_str).unwrap_or("")
                );
            }
            if self.nodes[p.to].up {
                let from = self.nodes[p.from].keys.did();
                self.deliver(
                    p.to,
                    Event::Received {
                        from,
                        message: p.msg,
                    },
                );
            } else {
                self.tainted.insert((thid_of(&p.msg), p.to));
            }
        } else if let Some((_, i)) = next_timer {
            self.nodes[i].timer = None;
            self.deliver(i, Event::Timer);
        }
        true
    }
}

/// A transaction without metadata.
pub fn txn(n: u64) -> Transaction {
    Transaction::from_value(
        json!({"reqId": n, "op": format!("op{n}"), "payload": {"cargo": "coal", "n": n}}),
    )
    .unwrap()
}
