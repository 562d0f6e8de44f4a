//! [`DriverHandle`]: how the rest of the node (API, CLI, tests) asks the driver to lead a
//! round and follows it. Each start returns a [`RoundWatch`] that yields the round's progress
//! and exactly one final result; [`DriverHandle::subscribe`] reports every round this node
//! finishes, as actor or participant.

use std::time::Duration;

use rand_core::OsRng;
use tmtm_consensus::problem::REQUEST_PROCESSING_ERROR;
use tmtm_consensus::{Dialect, Flow, Outcome, ProblemReport, Role, StartFlow};
use tmtm_microledger::Transaction;
use tmtm_wire::message::new_hex_id;
use tokio::sync::{broadcast, mpsc, watch};

use super::DriverError;

/// A step of a round led by this node, for the requester.
#[derive(Clone, Debug, PartialEq)]
pub enum RoundUpdate {
    /// Progress in percent with a human message (20: proposal sent, 50/60: second stage,
    /// 100: done or failed).
    Progress { percent: u8, message: String },
    /// The round ended (always the last update).
    Finished(Result<Outcome, ProblemReport>),
}

/// Follows one round started through the [`DriverHandle`].
#[derive(Debug)]
pub struct RoundWatch {
    /// The consensus thread id of the round. A commit request merged with others that
    /// waited for the same ledger follows the round of the first of them, whose thread id
    /// differs from this one (the one it would have had on its own).
    pub thread_id: String,
    /// Progress updates, then one [`RoundUpdate::Finished`].
    pub updates: mpsc::UnboundedReceiver<RoundUpdate>,
}

impl RoundWatch {
    /// Waits for the round's result, skipping progress. If the driver stops first, the
    /// result is a `request_processing_error` report.
    pub async fn result(mut self) -> Result<Outcome, ProblemReport> {
        while let Some(update) = self.updates.recv().await {
            if let RoundUpdate::Finished(result) = update {
                return result;
            }
        }
        Err(ProblemReport::new(
            REQUEST_PROCESSING_ERROR,
            "the node stopped before the round ended",
        ))
    }
}

/// A round this node finished, as actor or participant.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundFinished {
    pub thread_id: String,
    pub role: Role,
    pub flow: Flow,
    pub result: Result<Outcome, ProblemReport>,
}

/// A start request queued for the driver task.
pub(crate) struct StartRound {
    pub thread_hex: String,
    pub thread_id: String,
    pub flow: StartFlow,
    pub ttl_sec: Option<u64>,
    pub updates: mpsc::UnboundedSender<RoundUpdate>,
}

/// Cheap to clone; all clones talk to the same driver task.
#[derive(Clone, Debug)]
pub struct DriverHandle {
    pub(crate) requests: mpsc::Sender<StartRound>,
    pub(crate) finished: broadcast::Sender<RoundFinished>,
    pub(crate) locked: watch::Receiver<Vec<String>>,
    pub(crate) dialect: Dialect,
    pub(crate) gu_retry: Duration,
}

fn ttl_secs(ttl: Option<Duration>) -> Option<u64> {
    ttl.map(|d| d.as_secs().max(1))
}

impl DriverHandle {
    /// The first re-send interval of unacknowledged own GU records
    /// ([`super::DriverConfig::gu_retry`]); the API uses it to schedule a new record.
    pub fn gu_retry(&self) -> Duration {
        self.gu_retry
    }

    /// Creates ledger `name` with `genesis` (transactions without metadata) by consensus of
    /// all consensus members; `ttl` None uses the configured default.
    pub async fn create_ledger(
        &self,
        name: &str,
        genesis: Vec<Transaction>,
        ttl: Option<Duration>,
    ) -> Result<RoundWatch, DriverError> {
        check_name(name)?;
        let flow = StartFlow::Create {
            name: name.to_owned(),
            genesis,
        };
        self.start(Flow::Create, flow, ttl).await
    }

    /// Commits `transactions` (without metadata) to `ledger`. If the ledger is locked by a
    /// round in flight at this node, the request waits (at most its time to live) and may
    /// share its round with other requests for the ledger; the result is that round's.
    pub async fn commit(
        &self,
        ledger: &str,
        transactions: Vec<Transaction>,
        ttl: Option<Duration>,
    ) -> Result<RoundWatch, DriverError> {
        check_name(ledger)?;
        if transactions.is_empty() {
            return Err(DriverError::Invalid("no transactions to commit".into()));
        }
        let flow = StartFlow::Commit {
            ledger: ledger.to_owned(),
            transactions,
        };
        self.start(Flow::Commit, flow, ttl).await
    }

    /// Commits the same `transactions` to every ledger of `ledgers` (the parallel flow).
    pub async fn commit_parallel(
        &self,
        ledgers: &[String],
        transactions: Vec<Transaction>,
        ttl: Option<Duration>,
    ) -> Result<RoundWatch, DriverError> {
        if ledgers.is_empty() || transactions.is_empty() {
            return Err(DriverError::Invalid(
                "a parallel commit needs ledgers and transactions".into(),
            ));
        }
        for name in ledgers {
            check_name(name)?;
        }
        let flow = StartFlow::Parallel {
            ledgers: ledgers.to_vec(),
            transactions,
        };
        self.start(Flow::Parallel, flow, ttl).await
    }

    /// The ledgers locked by rounds in flight at this node, as of the last stored step.
    pub fn locked_ledgers(&self) -> Vec<String> {
        self.locked.borrow().clone()
    }

    /// Every round this node finishes from now on (actor and participant).
    pub fn subscribe(&self) -> broadcast::Receiver<RoundFinished> {
        self.finished.subscribe()
    }

    async fn start(
        &self,
        kind: Flow,
        flow: StartFlow,
        ttl: Option<Duration>,
    ) -> Result<RoundWatch, DriverError> {
        let thread_hex = new_hex_id(&mut OsRng);
        let thread_id = self.dialect.thread_id(kind, &thread_hex);
        let (tx, rx) = mpsc::unbounded_channel();
        let request = StartRound {
            thread_hex,
            thread_id: thread_id.clone(),
            flow,
            ttl_sec: ttl_secs(ttl),
            updates: tx,
        };
        self.requests
            .send(request)
            .await
            .map_err(|_| DriverError::Stopped)?;
        Ok(RoundWatch {
            thread_id,
            updates: rx,
        })
    }
}

fn check_name(name: &str) -> Result<(), DriverError> {
    if name.is_empty() || name.len() > 512 || name.chars().any(char::is_control) {
        return Err(DriverError::Invalid(format!(
            "ledger name must be 1..=512 characters without control characters: {:?}",
            name.chars().take(40).collect::<String>()
        )));
    }
    Ok(())
}
