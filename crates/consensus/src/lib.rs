//! `tmtm-consensus`: the Sirius simple-consensus state machines, sans-IO (see `DESIGN` below).
#![doc = include_str!("../DESIGN.md")]
#![forbid(unsafe_code)]

pub mod actor;
mod apart;
pub mod dialect;
pub mod engine;
pub mod error;
pub mod hashes;
pub mod ledger;
pub mod participant;
pub mod problem;
pub mod round;
pub mod sig;
mod staging;

pub use dialect::{Dialect, Flow};
pub use engine::{Command, Config, Engine, Event, Role, StartFlow, StartRequest};
pub use error::ConsensusError;
pub use hashes::{format_txn_time, ledger_hash, parallel_hash, state_hash};
pub use ledger::{LedgerAccess, MemoryLedgers};
pub use problem::{Outcome, ProblemReport};
