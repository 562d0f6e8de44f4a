//! The consensus driver: runs the sans-IO consensus [`Engine`] against the node's storage
//! and transport.
//!
//! # Design, and why
//!
//! * **One task owns the engine (actor model).** Start requests from the API
//!   ([`DriverHandle`]), inbound consensus messages from the [`Transport`] (only from
//!   consensus members of the roster; anything else is logged and dropped) and the engine's
//!   timer (one `sleep_until` for the earliest deadline the engine asked for) are handled one
//!   at a time. No locking around the engine is needed, and every step sees the result of the
//!   previous one.
//! * **One step = one database transaction.** A step handles the event that woke the driver
//!   and every event already queued behind it (up to 64: group commit, one fsync for all of
//!   them; each event still sees the engine state the previous one left). Before a step the driver loads the ledgers it
//!   may touch (those named by the request or the message, plus those of rounds in flight)
//!   into its cache of open microledgers; [`NodeLedgers`](ledgers) records every durable
//!   effect of `Engine::handle` (creation and commit batches, deletions). Then one [`Tx`]
//!   applies the batches (a size conflict aborts the step), sets the API metadata of a new
//!   ledger (actor, participants, local time), replaces the engine checkpoint's core (one
//!   row: locks, settings; written only when it changed since the last stored step), writes
//!   the rows of rounds in progress, finished rounds and thread ids the step changed
//!   (`Engine::take_changes`), the inbound de-dup records not stored yet, and the packed
//!   outbox rows of every `Send`. Only after the commit are the rows handed to the outbox
//!   worker and progress published, so nothing is sent
//!   or reported that a crash could undo. If the transaction fails, the in-memory results are
//!   dropped and the driver recovers exactly as after a restart (below).
//! * **Uncommitted data is volatile.** Staged transactions live only in the open-ledger cache
//!   between the steps of a round (a ledger whose round ended stays open only while it
//!   holds nothing uncommitted, `ledger_cache.rs`). A
//!   restart — or a failed step — reloads the engine checkpoint and its rows, drops the cache and feeds
//!   `Event::Restarted`: each commit round re-stages its transactions and resumes only if it
//!   reproduces the state it signed, otherwise it rolls back with a problem report; creation
//!   rounds resume (their genesis is committed) or, failing, delete the ledger they created.
//! * **Locks.** The engine holds per-ledger locks for a round's lifetime and refuses proposals
//!   and starts on locked ledgers; since one task owns the engine, that table is the node's
//!   lock table. With several replicas on one PostgreSQL (scale-out) the lock must move to
//!   the database (advisory locks); the storage layer's size-checked batches already make two
//!   writers on one ledger safe (one gets a conflict and its step is discarded).
//! * **Commit requests for one ledger share rounds.** A commit request for a ledger locked
//!   by a round in flight at this node (or that other requests already wait for) is parked
//!   instead of being refused; when the ledger is free, every waiting request (up to 256
//!   transactions) is merged into one commit round in arrival order, and each requester
//!   follows that round (same progress, same result). Commit requests for one free ledger in
//!   the same step are merged too. A parked request fails with a `request_processing_error`
//!   once its own time to live passes without a start. Creation and parallel starts are never
//!   parked or merged. Without this, each request was a round of its own and concurrent
//!   writers to one container waited for each other's rounds one by one.
//! * **Time** is the wall clock in ms, passed to the engine; `txnTime` is
//!   [`format_txn_time`] of it. Logs name threads, ledgers and peers, never message bodies.
//!
//! * **Not every step waits for an fsync.** A step that writes no ledger and sends only
//!   proposals, votes or commit requests commits without its own fsync (it rides the next
//!   durable step); `durability.rs` states the rule and why a power failure then loses at most
//!   rounds that nobody committed.
//!
//! Files: `ledgers.rs` (the ledger port and message name scan), `step.rs` (one step:
//! load, handle, persist, publish), `durability.rs` (which steps are fsynced), `run.rs` (the
//! task, start-up and recovery), `coalesce/` (parking and merging of commit requests), `handle.rs`
//! (the public [`DriverHandle`] and round updates), `gu.rs` (GU-11/GU-12 records from other
//! participants arrive on the same inbound queue and are stored, not given to the engine),
//! `verify.rs` (proposals whose transactions are not signed by the proposer are refused
//! before the engine sees them), `verify_stage.rs` (that check, run between the transport
//! and the driver's task, in parallel pieces, in arrival order).
//!
//! [`Engine`]: tmtm_consensus::Engine
//! [`Transport`]: crate::transport::Transport
//! [`Tx`]: crate::storage::Tx
//! [`format_txn_time`]: tmtm_consensus::format_txn_time

mod coalesce;
mod durability;
mod gu;
mod handle;
mod inflight;
mod ledger_cache;
mod ledgers;
mod run;
mod step;
#[cfg(test)]
mod tests;
mod verify;
mod verify_stage;

use std::time::Duration;

pub use coalesce::PARKED_TOO_LONG;
pub use handle::{DriverHandle, RoundFinished, RoundUpdate, RoundWatch};
pub use run::{dialect_of, spawn, DriverParts, NodeTransport};

/// The proposal check as the driver's task ran it (whole, in one piece) and as the stage in
/// front of it runs it (`verify_stage.rs`), for `benches/proposal_check.rs`. Not an API.
#[doc(hidden)]
pub mod proposal_check {
    use std::sync::Arc;

    use crate::config::SignaturePolicy;
    use crate::roster::Network;
    use crate::transport::Inbound;

    /// Whether every transaction of the proposal is signed by its sender, checked whole.
    pub fn whole(inbound: &Inbound, policy: SignaturePolicy) -> bool {
        super::verify::refusal_of(inbound.message.as_map(), &inbound.sender_verkey, policy)
            .is_none()
    }

    /// The same through the stage (large proposals in pieces on the blocking pool).
    pub async fn staged(inbound: Inbound, policy: SignaturePolicy, network: Arc<Network>) -> bool {
        super::verify_stage::check(inbound, Some(policy), network)
            .await
            .refusal
            .is_none()
    }
}

/// Tunables of the driver.
#[derive(Clone, Debug)]
pub struct DriverConfig {
    /// The consensus engine's settings (dialect, default and maximum time to live, …).
    pub engine: tmtm_consensus::Config,
    /// How long an outgoing consensus message is worth delivering (outbox expiry). Rounds
    /// retransmit on their own, so this need not exceed the longest round.
    pub message_ttl: Duration,
    /// Capacity of the start-request queue.
    pub request_queue: usize,
    /// How `msg~sig` of proposed transactions is checked before a proposal reaches the
    /// engine (`verify.rs`); `None` turns the check off (tests with synthetic transactions,
    /// conformance runs against unsigned peers).
    pub proposal_signatures: Option<crate::config::SignaturePolicy>,
    /// First re-send of an own GU record whose recipient has not acknowledged it (`gu.rs`);
    /// each later re-send waits twice as long (at most one hour) until the record's
    /// 24 h time to live ends.
    pub gu_retry: Duration,
}

impl Default for DriverConfig {
    fn default() -> Self {
        DriverConfig {
            engine: tmtm_consensus::Config::default(),
            message_ttl: Duration::from_secs(120),
            request_queue: 256,
            proposal_signatures: Some(crate::config::SignaturePolicy::Strict),
            gu_retry: Duration::from_secs(30),
        }
    }
}

/// The message names whose duplicates the transport must still deliver for this engine
/// configuration ([`crate::transport::TransportConfig::redeliver_duplicates`]): with
/// GU records always (see `gu.rs`); with
/// `tolerate_v1_precommit_echo` on, a 1.0.25 participant's re-sent `stage-pre-commit-parallel`
/// (same `@id`) is its stage-3 answer and must reach the engine.
pub fn redelivered_duplicates(engine: &tmtm_consensus::Config) -> Vec<String> {
    // A GU record re-sent with the same `@id` must reach the driver to be acknowledged again
    // (its storage drops the duplicate).
    let mut names = vec!["gu-11".to_owned(), "gu-12".to_owned()];
    if engine.tolerate_v1_precommit_echo {
        names.push("stage-pre-commit-parallel".to_owned());
    }
    names
}

/// What can stop the driver or a request to it.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// The driver task is not running (shut down or failed).
    #[error("the consensus driver is not running")]
    Stopped,
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    /// The stored engine checkpoint cannot be read back.
    #[error("the stored consensus state is unreadable: {0}")]
    CorruptState(String),
    /// A ledger could not be opened from its stored rows.
    #[error("ledger {name:?} cannot be opened: {reason}")]
    Ledger { name: String, reason: String },
    /// A request the driver cannot take (bad name, no transactions, …).
    #[error("invalid request: {0}")]
    Invalid(String),
}
