//! Coalescing of commit requests for one ledger into one consensus round.
//!
//! A `StartFlow::Commit` request for a ledger that a round in flight at this node locks, or
//! that other commit requests already wait for, is *parked* in a per-ledger FIFO
//! ([`Parking`]) instead of being handed to the engine (which would refuse it as locked).
//! When the ledger is free again, the parked requests — in arrival order, up to
//! [`MAX_TXNS_PER_ROUND`] transactions and [`MAX_BYTES_PER_ROUND`] bytes; the rest stay parked
//! for the next round — become one
//! [`Group`]: one commit round whose transactions are the concatenation of theirs, run
//! under the first request's thread id, followed by every requester (each gets the same
//! progress and the same final result). Commit requests for one free ledger that arrive in
//! the same step's [`Batch`] are merged the same way. A parked request that has not started
//! when its own time to live ends fails with a problem report ([`expired_report`]).
//! Create and parallel starts pass through unchanged.
//!
//! The merged round's time to live is the shortest of its requests' (`None` if none set
//! one). Every requester shares the round's fate: one transaction the participants refuse
//! fails the round for all of them.
//!
//! Everything here is bookkeeping without I/O; `run.rs` feeds it requests and locks.

use std::collections::{BTreeMap, HashMap, VecDeque};

use tmtm_consensus::problem::REQUEST_PROCESSING_ERROR;
use tmtm_consensus::{Event, ProblemReport, StartFlow};
use tmtm_microledger::Transaction;
use tokio::sync::mpsc::UnboundedSender;

use super::handle::{RoundUpdate, StartRound};

/// Most transactions one merged commit round carries (a single larger request still starts
/// alone).
pub(super) const MAX_TXNS_PER_ROUND: usize = 256;

/// Most bytes of transactions (as JSON) one merged round carries. The proposal travels
/// encrypted and base64-encoded (about 4/3 of this, plus the envelope) and must stay well
/// under a peer's inbound limit (2 MiB by default, `transport.max_body_bytes`); one request
/// alone (at most 1 MiB, the WebSocket frame limit) still starts on its own.
pub(super) const MAX_BYTES_PER_ROUND: usize = 512 * 1024;

/// The size of transactions as JSON (what a proposal carries).
fn json_bytes(transactions: &[Transaction]) -> usize {
    transactions
        .iter()
        .map(|t| serde_json::to_vec(t).map_or(0, |v| v.len()))
        .sum()
}

/// The words of [`expired_report`]'s explain that tell a client not to retry at once (the
/// WebSocket session retries other lock conflicts).
pub const PARKED_TOO_LONG: &str = "stayed locked at this node";

/// Where a round's progress and result go: every requester merged into it.
pub(super) type Requesters = Vec<UnboundedSender<RoundUpdate>>;

/// Sends `update` to every requester (a closed receiver is skipped silently).
pub(super) fn tell(requesters: &[UnboundedSender<RoundUpdate>], update: &RoundUpdate) {
    for r in requesters {
        let _ = r.send(update.clone());
    }
}

/// One commit request taken apart.
pub(super) struct CommitRequest {
    thread_hex: String,
    thread_id: String,
    ledger: String,
    transactions: Vec<Transaction>,
    /// Their size as JSON ([`MAX_BYTES_PER_ROUND`]).
    bytes: usize,
    /// As requested (`None`: the engine's default).
    ttl_sec: Option<u64>,
    /// The request's time to live in seconds, the default filled in.
    ttl_effective: u64,
    /// When the request fails if it has not started (ms).
    deadline_ms: u64,
    updates: UnboundedSender<RoundUpdate>,
}

/// A start request sorted by flow.
pub(super) enum Sorted {
    /// A commit: coalesced.
    Commit(CommitRequest),
    /// A creation or parallel commit: started as it is.
    Other(StartRound),
}

impl CommitRequest {
    /// The commit request in `request`, or `request` back if it is another flow.
    pub(super) fn from_start(request: StartRound, now_ms: u64, default_ttl_sec: u64) -> Sorted {
        let StartRound {
            thread_hex,
            thread_id,
            flow,
            ttl_sec,
            updates,
        } = request;
        match flow {
            StartFlow::Commit {
                ledger,
                transactions,
            } => {
                let ttl_effective = ttl_sec.unwrap_or(default_ttl_sec);
                let bytes = json_bytes(&transactions);
                Sorted::Commit(CommitRequest {
                    thread_hex,
                    thread_id,
                    ledger,
                    transactions,
                    bytes,
                    ttl_sec,
                    ttl_effective,
                    deadline_ms: now_ms.saturating_add(ttl_effective.saturating_mul(1000)),
                    updates,
                })
            }
            flow => Sorted::Other(StartRound {
                thread_hex,
                thread_id,
                flow,
                ttl_sec,
                updates,
            }),
        }
    }

    pub(super) fn ledger(&self) -> &str {
        &self.ledger
    }

    fn is_closed(&self) -> bool {
        self.updates.is_closed()
    }

    /// Fails the request: it never started.
    fn fail(self) {
        let report = expired_report(&self.ledger, self.ttl_effective);
        let _ = self.updates.send(RoundUpdate::Finished(Err(report)));
    }
}

/// The report of a parked request whose time to live ended before its ledger was free.
pub(super) fn expired_report(ledger: &str, ttl_sec: u64) -> ProblemReport {
    ProblemReport::new(
        REQUEST_PROCESSING_ERROR,
        format!(
            "Preparing: ledger {ledger} {PARKED_TOO_LONG} by other rounds for the request's \
             time to live ({ttl_sec} s); the transactions were not proposed"
        ),
    )
}

/// One commit round being assembled from one or more requests for the same ledger.
pub(super) struct Group {
    pub(super) ledger: String,
    pub(super) thread_hex: String,
    pub(super) thread_id: String,
    pub(super) transactions: Vec<Transaction>,
    bytes: usize,
    pub(super) requesters: Requesters,
    /// Whether any request set its own time to live.
    explicit_ttl: bool,
    ttl_min: u64,
}

impl Group {
    fn new(first: CommitRequest) -> Group {
        Group {
            ledger: first.ledger,
            thread_hex: first.thread_hex,
            thread_id: first.thread_id,
            transactions: first.transactions,
            bytes: first.bytes,
            requesters: vec![first.updates],
            explicit_ttl: first.ttl_sec.is_some(),
            ttl_min: first.ttl_effective,
        }
    }

    /// Whether `request` may join without the round exceeding [`MAX_TXNS_PER_ROUND`] or
    /// [`MAX_BYTES_PER_ROUND`].
    fn fits(&self, request: &CommitRequest) -> bool {
        self.transactions.len() + request.transactions.len() <= MAX_TXNS_PER_ROUND
            && self.bytes + request.bytes <= MAX_BYTES_PER_ROUND
    }

    fn add(&mut self, request: CommitRequest) {
        self.bytes += request.bytes;
        self.transactions.extend(request.transactions);
        self.requesters.push(request.updates);
        self.explicit_ttl |= request.ttl_sec.is_some();
        self.ttl_min = self.ttl_min.min(request.ttl_effective);
    }

    /// The round's time to live: the shortest requested, `None` if no request set one.
    pub(super) fn ttl_sec(&self) -> Option<u64> {
        self.explicit_ttl.then_some(self.ttl_min)
    }

    /// The round's flow.
    pub(super) fn flow(&mut self) -> StartFlow {
        StartFlow::Commit {
            ledger: self.ledger.clone(),
            transactions: std::mem::take(&mut self.transactions),
        }
    }
}

/// Commit requests waiting for their ledger, per ledger in arrival order.
#[derive(Default)]
pub(super) struct Parking {
    queues: BTreeMap<String, VecDeque<CommitRequest>>,
}

impl Parking {
    /// Whether requests wait for `ledger` (a new one must queue behind them).
    pub(super) fn waiting(&self, ledger: &str) -> bool {
        self.queues.get(ledger).is_some_and(|q| !q.is_empty())
    }

    /// How many requests wait.
    pub(super) fn len(&self) -> usize {
        self.queues.values().map(VecDeque::len).sum()
    }

    pub(super) fn park(&mut self, request: CommitRequest) {
        self.queues
            .entry(request.ledger.clone())
            .or_default()
            .push_back(request);
    }

    /// For every ledger with waiting requests that `locked` does not name, one group of its
    /// oldest requests (at least one, then as many as fit). Requests whose requester went
    /// away are dropped.
    pub(super) fn release(&mut self, locked: &[String]) -> Vec<Group> {
        let mut groups = Vec::new();
        for (ledger, queue) in &mut self.queues {
            if locked.contains(ledger) {
                continue;
            }
            let mut group: Option<Group> = None;
            while let Some(next) = queue.pop_front() {
                if next.is_closed() {
                    continue;
                }
                match &mut group {
                    None => group = Some(Group::new(next)),
                    Some(g) if g.fits(&next) => g.add(next),
                    Some(_) => {
                        queue.push_front(next);
                        break;
                    }
                }
            }
            groups.extend(group);
        }
        self.queues.retain(|_, q| !q.is_empty());
        groups
    }

    /// Fails every request whose deadline is at or before `now_ms`; returns how many.
    pub(super) fn expire(&mut self, now_ms: u64) -> usize {
        let mut failed = 0;
        for queue in self.queues.values_mut() {
            let (expired, kept): (VecDeque<_>, VecDeque<_>) = std::mem::take(queue)
                .into_iter()
                .partition(|r| r.deadline_ms <= now_ms);
            *queue = kept;
            for r in expired {
                failed += 1;
                r.fail();
            }
        }
        self.queues.retain(|_, q| !q.is_empty());
        failed
    }

    /// The earliest deadline of a waiting request.
    pub(super) fn next_deadline(&self) -> Option<u64> {
        self.queues.values().flatten().map(|r| r.deadline_ms).min()
    }

    /// Drops every waiting request (shutdown): their watches report that the node stopped.
    pub(super) fn clear(&mut self) {
        self.queues.clear();
    }
}

/// One step's events while they are collected: commit requests for the same free ledger
/// are merged into one group in place of the first of them.
#[derive(Default)]
pub(super) struct Batch {
    items: Vec<Item>,
    /// Ledger → index in `items` of its group.
    groups: HashMap<String, usize>,
}

enum Item {
    Event(Event),
    Commit(Group),
}

/// What happened to a commit request offered to a batch.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Admitted {
    /// It starts a new round in this batch.
    Started,
    /// It joined a round of this batch.
    Merged,
    /// It waits for its ledger.
    Parked,
}

impl Batch {
    pub(super) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub(super) fn push_event(&mut self, event: Event) {
        self.items.push(Item::Event(event));
    }

    pub(super) fn push_group(&mut self, group: Group) {
        self.groups.insert(group.ledger.clone(), self.items.len());
        self.items.push(Item::Commit(group));
    }

    /// Places a commit request: parked if `locked` names its ledger or requests already
    /// wait for it, merged into this batch's round on the ledger if it fits (parked if
    /// not), otherwise the start of a new round.
    pub(super) fn admit(
        &mut self,
        request: CommitRequest,
        locked: &[String],
        parking: &mut Parking,
    ) -> Admitted {
        if locked.contains(&request.ledger) || parking.waiting(&request.ledger) {
            parking.park(request);
            return Admitted::Parked;
        }
        let group = match self.groups.get(&request.ledger) {
            Some(&i) => match self.items.get_mut(i) {
                Some(Item::Commit(g)) => Some(g),
                _ => None,
            },
            None => None,
        };
        match group {
            Some(g) if g.fits(&request) => {
                g.add(request);
                Admitted::Merged
            }
            Some(_) => {
                parking.park(request);
                Admitted::Parked
            }
            None => {
                self.push_group(Group::new(request));
                Admitted::Started
            }
        }
    }

    /// The batch in order: plain events as they are, each group as `start(group)`.
    pub(super) fn into_events(self, mut start: impl FnMut(Group) -> Event) -> Vec<Event> {
        self.items
            .into_iter()
            .map(|item| match item {
                Item::Event(e) => e,
                Item::Commit(g) => start(g),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
