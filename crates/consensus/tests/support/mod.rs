//! Test support for the direct tests of the machines: a small network of engines over
//! `MemoryLedgers`, a FIFO pump with an interception hook, message builders and the
//! "nothing changed" assertions.
#![allow(dead_code)] // each test crate uses a different part of this module

use std::collections::{BTreeMap, VecDeque};

use serde_json::{json, Value};
use tmtm_consensus::dialect::consensus_name;
use tmtm_consensus::{
    Command, Config, Dialect, Engine, Event, LedgerAccess, MemoryLedgers, Outcome, ProblemReport,
    Role, StartFlow, StartRequest,
};
use tmtm_microledger::{LedgerState, Transaction};
use tmtm_wire::keys::{Did, KeyPair, Verkey};

pub const T0: u64 = 1_700_000_000_000;
pub const TTL: u64 = 10;
pub const TTL_MS: u64 = TTL * 1000;

pub type Finish = (String, Role, Result<Outcome, ProblemReport>);

pub struct Node {
    pub keys: KeyPair,
    pub engine: Engine,
    pub ledgers: MemoryLedgers,
    /// Every `Finished` this node reported, in order.
    pub finished: Vec<Finish>,
}

/// `n` nodes that all know each other, plus `strangers` key pairs nobody knows.
pub struct Net {
    pub nodes: Vec<Node>,
    pub strangers: Vec<KeyPair>,
    pub now: u64,
}

pub fn keypair(tag: u8, i: u8) -> KeyPair {
    let mut s = [0u8; 32];
    s[0] = tag;
    s[31] = i;
    KeyPair::from_seed(&s)
}

pub fn txn(n: u64) -> Transaction {
    Transaction::from_value(json!({"reqId": n, "op": format!("op{n}"), "payload": {"n": n}}))
        .unwrap()
}

pub fn hex(n: u64) -> String {
    format!("{n:032x}")
}

/// Everything a node holds, to compare before/after: per ledger its state and committed txns.
pub type Snapshot = Vec<(String, LedgerState, Vec<Transaction>)>;

impl Net {
    pub fn new(n: usize, dialect: Dialect) -> Net {
        Net::with_config(
            n,
            Config {
                dialect,
                tolerate_v1_precommit_echo: false,
                ..Config::default()
            },
        )
    }

    pub fn with_config(n: usize, config: Config) -> Net {
        let keys: Vec<KeyPair> = (0..n).map(|i| keypair(7, i as u8)).collect();
        let nodes = (0..n)
            .map(|i| {
                let peers: BTreeMap<Did, Verkey> = keys
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, k)| (k.did(), k.verkey()))
                    .collect();
                Node {
                    keys: keys[i].clone(),
                    engine: Engine::new(keys[i].did(), peers, config.clone()),
                    ledgers: MemoryLedgers::new(),
                    finished: Vec::new(),
                }
            })
            .collect();
        Net {
            nodes,
            strangers: vec![keypair(9, 0), keypair(9, 1)],
            now: T0,
        }
    }

    pub fn did(&self, i: usize) -> Did {
        self.nodes[i].keys.did()
    }

    pub fn index_of(&self, did: &Did) -> Option<usize> {
        self.nodes.iter().position(|n| n.keys.did() == *did)
    }

    /// Deliver one event to node `i` at `self.now`.
    pub fn handle(&mut self, i: usize, event: Event) -> Vec<Command> {
        let now = self.now;
        let node = &mut self.nodes[i];
        let cmds = node
            .engine
            .handle(event, now, &node.keys, &mut node.ledgers);
        for c in &cmds {
            if let Command::Finished {
                thid, role, result, ..
            } = c
            {
                node.finished.push((thid.clone(), *role, result.clone()));
            }
        }
        cmds
    }

    pub fn receive(&mut self, from: &Did, to: usize, message: Value) -> Vec<Command> {
        self.handle(
            to,
            Event::Received {
                from: from.clone(),
                message,
            },
        )
    }

    pub fn timer_at(&mut self, i: usize, at_ms: u64) -> Vec<Command> {
        self.now = self.now.max(at_ms);
        self.handle(i, Event::Timer)
    }

    /// Node `i` leads a round of `flow` with every other node (ttl [`TTL`]).
    pub fn start(&mut self, i: usize, n: u64, flow: StartFlow) -> Vec<Command> {
        let participants = (0..self.nodes.len())
            .filter(|j| *j != i)
            .map(|j| self.did(j))
            .collect();
        self.start_with(i, n, flow, participants)
    }

    pub fn start_with(
        &mut self,
        i: usize,
        n: u64,
        flow: StartFlow,
        participants: Vec<Did>,
    ) -> Vec<Command> {
        let req = StartRequest {
            thread_hex: hex(n),
            flow,
            participants,
            ttl_sec: Some(TTL),
            txn_time: tmtm_consensus::format_txn_time(self.now * 1000 + 7),
        };
        self.handle(i, Event::Start(req))
    }

    /// Deliver the sends of `cmds` (issued by node `from`) and everything they cause, FIFO,
    /// until quiet. `hook(from, to, msg)` may change a message or return false to drop it.
    pub fn pump(
        &mut self,
        from: usize,
        cmds: Vec<Command>,
        hook: &mut dyn FnMut(usize, usize, &mut Value) -> bool,
    ) {
        let mut queue: VecDeque<(usize, usize, Value)> = VecDeque::new();
        self.enqueue(from, cmds, &mut queue);
        let mut steps = 0;
        while let Some((f, t, mut msg)) = queue.pop_front() {
            steps += 1;
            assert!(steps < 10_000, "pump does not settle");
            if !hook(f, t, &mut msg) {
                continue;
            }
            self.now += 1;
            let did = self.did(f);
            let out = self.receive(&did, t, msg);
            self.enqueue(t, out, &mut queue);
        }
    }

    fn enqueue(&self, from: usize, cmds: Vec<Command>, q: &mut VecDeque<(usize, usize, Value)>) {
        for (to, msg) in sends(&cmds) {
            for d in to {
                if let Some(j) = self.index_of(&d) {
                    q.push_back((from, j, msg.clone()));
                }
            }
        }
    }

    /// Pump without interference.
    pub fn run(&mut self, from: usize, cmds: Vec<Command>) {
        self.pump(from, cmds, &mut |_, _, _| true);
    }

    /// Create `name` on every node through a successful round led by node 0.
    pub fn create_all(&mut self, name: &str, n: u64) {
        let cmds = self.start(
            0,
            n,
            StartFlow::Create {
                name: name.into(),
                genesis: vec![txn(1), txn(2)],
            },
        );
        self.run(0, cmds);
        for i in 0..self.nodes.len() {
            assert!(self.nodes[i].ledgers.exists(name), "node {i} lacks {name}");
            assert!(self.last_result(i).is_ok());
        }
    }

    pub fn snapshot(&self, i: usize) -> Snapshot {
        let l = &self.nodes[i].ledgers;
        l.names()
            .into_iter()
            .map(|n| {
                let st = l.state(&n).unwrap();
                let c = l.committed(&n).unwrap();
                (n, st, c)
            })
            .collect()
    }

    /// No round, no lock, nothing uncommitted at node `i`.
    pub fn assert_idle(&self, i: usize) {
        let node = &self.nodes[i];
        assert!(
            node.engine.active_rounds().is_empty(),
            "node {i} has rounds {:?}",
            node.engine.active_rounds()
        );
        assert!(
            node.engine.locked_ledgers().is_empty(),
            "node {i} holds locks {:?}",
            node.engine.locked_ledgers()
        );
        for (name, st, _) in self.snapshot(i) {
            assert_eq!(
                st.size, st.uncommitted_size,
                "node {i} ledger {name} has uncommitted transactions"
            );
        }
    }

    /// Node `i`'s state equals `before` and it is idle.
    pub fn assert_unchanged(&self, i: usize, before: &Snapshot) {
        assert_eq!(&self.snapshot(i), before, "node {i}'s ledgers changed");
        self.assert_idle(i);
    }

    pub fn last_result(&self, i: usize) -> Result<Outcome, ProblemReport> {
        self.nodes[i]
            .finished
            .last()
            .unwrap_or_else(|| panic!("node {i} finished nothing"))
            .2
            .clone()
    }

    /// The problem report node `i` finished its last round with.
    pub fn last_error(&self, i: usize) -> ProblemReport {
        self.last_result(i).expect_err("round should have failed")
    }
}

/// The `Send` commands of a batch.
pub fn sends(cmds: &[Command]) -> Vec<(Vec<Did>, Value)> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Send { to, message } => Some((to.clone(), message.clone())),
            _ => None,
        })
        .collect()
}

/// The one message named `name` in a batch (panics if absent).
pub fn sent(cmds: &[Command], name: &str) -> Value {
    sends(cmds)
        .into_iter()
        .map(|(_, m)| m)
        .find(|m| consensus_name(m) == Some(name))
        .unwrap_or_else(|| panic!("no {name} sent in {cmds:?}"))
}

/// Recipients of the message named `name`.
pub fn sent_to(cmds: &[Command], name: &str) -> Vec<Did> {
    sends(cmds)
        .into_iter()
        .filter(|(_, m)| consensus_name(m) == Some(name))
        .flat_map(|(to, _)| to)
        .collect()
}

/// The `Finished` of a batch.
pub fn finished(cmds: &[Command]) -> Option<(Role, Result<Outcome, ProblemReport>)> {
    cmds.iter().find_map(|c| match c {
        Command::Finished { role, result, .. } => Some((*role, result.clone())),
        _ => None,
    })
}

/// The failure of a batch's `Finished`.
pub fn failure(cmds: &[Command]) -> ProblemReport {
    finished(cmds)
        .expect("a Finished command")
        .1
        .expect_err("the round should fail")
}

/// Assert that `cmds` contains nothing but (maybe) a timer: no send, no finish, no lock.
pub fn assert_silent(cmds: &[Command]) {
    assert!(
        cmds.iter().all(|c| matches!(c, Command::SetTimer { .. })),
        "expected silence, got {cmds:?}"
    );
}

/// The report carried by a sent `problem_report`.
pub fn report_of(msg: &Value) -> ProblemReport {
    assert_eq!(consensus_name(msg), Some("problem_report"), "{msg}");
    ProblemReport::from_message(msg)
}

pub fn pr(code: &str, explain: impl Into<String>) -> ProblemReport {
    ProblemReport::new(code, explain)
}

/// Sign `value` with `keys` as the protocol does (timestamp from `now_ms`).
pub fn sign(keys: &KeyPair, value: &Value, now_ms: u64) -> Value {
    tmtm_consensus::sig::sign_value(keys, value, now_ms / 1000).unwrap()
}

/// A problem report message threaded `thid`.
pub fn problem(thid: &str, code: &str, explain: &str) -> Value {
    ProblemReport::new(code, explain).to_message("pr-1", thid)
}

pub fn thid(msg: &Value) -> String {
    tmtm_consensus::dialect::thread_id(msg).unwrap().to_string()
}

impl Net {
    /// Pump, but intercept (drop) the first message named `name` addressed to node `to` and
    /// return it; everything else is delivered.
    pub fn run_until(&mut self, from: usize, cmds: Vec<Command>, to: usize, name: &str) -> Value {
        let mut caught: Option<Value> = None;
        self.pump(from, cmds, &mut |_, t, m| {
            if caught.is_none() && t == to && consensus_name(m) == Some(name) {
                caught = Some(m.clone());
                return false;
            }
            true
        });
        caught.unwrap_or_else(|| panic!("no {name} reached node {to}"))
    }

    /// Pump without interference and return every delivered (from, to, message).
    pub fn run_recording(&mut self, from: usize, cmds: Vec<Command>) -> Vec<(usize, usize, Value)> {
        let mut log = Vec::new();
        self.pump(from, cmds, &mut |f, t, m| {
            log.push((f, t, m.clone()));
            true
        });
        log
    }
}

/// The first recorded message named `name` addressed to node `to`.
pub fn recorded(log: &[(usize, usize, Value)], to: usize, name: &str) -> Value {
    log.iter()
        .find(|(_, t, m)| *t == to && consensus_name(m) == Some(name))
        .map(|(_, _, m)| m.clone())
        .unwrap_or_else(|| panic!("no {name} to node {to} recorded"))
}

/// The first recorded message named `name` sent by node `from`.
pub fn recorded_from(log: &[(usize, usize, Value)], from: usize, name: &str) -> Value {
    log.iter()
        .find(|(f, _, m)| *f == from && consensus_name(m) == Some(name))
        .map(|(_, _, m)| m.clone())
        .unwrap_or_else(|| panic!("no {name} from node {from} recorded"))
}
