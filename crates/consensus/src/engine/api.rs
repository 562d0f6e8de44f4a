//! The public vocabulary of the engine: its settings ([`Config`]), what it is asked to do
//! ([`StartRequest`], [`Event`]) and what it asks the node to do ([`Command`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tmtm_microledger::Transaction;
use tmtm_wire::keys::Did;

use crate::dialect::{Dialect, Flow};
use crate::problem::{Outcome, ProblemReport};

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
