//! The outbox worker: a tokio task that delivers what [`Transport::send`] stored.
//!
//! Each pass: drop expired entries, fetch the due ones (oldest first), and start at most one
//! delivery per recipient — its oldest due entry — up to `max_parallel` deliveries at once.
//! Delivered (HTTP 200/202) → removed. Failed → `retry_later` with [`Backoff`] and the peer
//! is *blocked* until then: its newer entries that the worker has seen are pushed back to the
//! same moment, and `send` enqueues new ones no earlier, so a peer's messages never overtake
//! each other (a later entry with the same due time comes out after, by id). Retries go on
//! until `expires_at_ms`; then `expire` drops the entry.
//!
//! A delivered entry's next due entry to the same peer (seen in the same pass) is started
//! at once, so a busy peer's queue drains at the speed of the HTTP round trip.
//!
//! **Fast path.** Reading the store on every wake cost a write (expiry) and a read per
//! message, behind the writer that was busy with the next consensus step. So rows just
//! stored are handed over in memory ([`Transport::hand_over`], after their unit committed)
//! and started at once; the store is read only on a *store pass*: at start, every
//! `poll_interval`, when a blocked peer's retry time comes, and after [`Transport::wake`]
//! (rows enqueued without a hand-over). A row handed over for a peer that is blocked waits
//! for the store pass at the peer's retry time, which takes it with the older entries,
//! oldest first. Delivered entries are removed in batches
//! (`delivered_many`): when the worker has nothing in flight, when 128 are waiting, before
//! every store pass (so a pass never sees them) and at shutdown; a removal lost in a crash
//! only re-sends an envelope the peer drops as a duplicate. (The database store defers them
//! further, to its next write: `storage/delivered.rs`.) Ids the worker holds (in
//! flight, queued behind their peer's delivery) are skipped if a store pass returns them.
//!
//! **Early sends.** A relaxed consensus step's messages are handed over before its unit
//! commits and sent at once when their peer has nothing older in memory; their outcome is
//! recorded once the unit settles (`early.rs`).
//!
//! State is in the store: a restarted worker picks up where the last one stopped. (One gap
//! the port cannot close: the blocked set is in memory, so right after a restart a message
//! queued to a peer whose older messages are still waiting for their retry time may be sent
//! before them, once.) The worker wakes on `send`, on a finished delivery, at the earliest
//! blocked peer's retry time, and at least every `poll_interval`. On cancellation it starts
//! nothing new, waits for the deliveries in flight (bounded by the request timeout), records
//! their outcome, and returns.
//!
//! [`Backoff`]: super::Backoff

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use rand_core::{OsRng, RngCore};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::outbound::post;
use super::{lock, ms, now_ms, Blocked, Handed, Inner, Transport};
use crate::ports::{InboxDedup, OutboxEntry, OutboxStore};

mod early;

type Outcome = (OutboxEntry, Result<(), String>);

/// Delivered ids removed in one batch at the latest.
const DELETE_BATCH: usize = 128;

impl<O: OutboxStore, D: InboxDedup> Transport<O, D> {
    /// Starts the outbox worker; it stops when `cancel` is cancelled.
    pub fn spawn_worker(&self, cancel: CancellationToken) -> JoinHandle<()> {
        let worker = Worker {
            inner: Arc::clone(&self.inner),
            in_flight: JoinSet::new(),
            busy: HashSet::new(),
            followers: HashMap::new(),
            tasks: HashMap::new(),
            held: HashSet::new(),
            early: HashMap::new(),
            delivered: Vec::new(),
            next_store_pass_ms: 0,
            backlog: false,
            last_prune: None,
            stopping: false,
        };
        tokio::spawn(worker.run(cancel))
    }
}

struct Worker<O, D> {
    inner: Arc<Inner<O, D>>,
    in_flight: JoinSet<Outcome>,
    /// Recipients with a delivery in flight.
    busy: HashSet<String>,
    /// Per recipient: the newer due entries seen when its head was started, oldest first;
    /// each is sent as soon as the one before it is delivered.
    followers: HashMap<String, Vec<OutboxEntry>>,
    /// Delivery task → its recipient (to free the peer if the task dies).
    tasks: HashMap<tokio::task::Id, String>,
    /// Ids in flight or queued as followers (a store pass skips them).
    held: HashSet<i64>,
    /// Early entries whose unit has not settled yet, by provisional id (`early.rs`).
    early: HashMap<i64, early::Early>,
    /// Delivered ids not yet removed from the store.
    delivered: Vec<i64>,
    /// When the next store pass is due (Unix ms; 0 = at once).
    next_store_pass_ms: i64,
    /// Due entries were left in the store because `max_parallel` deliveries were in flight.
    backlog: bool,
    last_prune: Option<Instant>,
    /// Cancelled: finish what is in flight, start nothing new.
    stopping: bool,
}

impl<O: OutboxStore, D: InboxDedup> Worker<O, D> {
    async fn run(mut self, cancel: CancellationToken) {
        tracing::debug!("outbox worker started");
        loop {
            if cancel.is_cancelled() {
                break;
            }
            self.pass().await;
            let sleep = self.sleep_time();
            tokio::select! {
                () = cancel.cancelled() => break,
                () = self.inner.wake.notified() => {
                    if lock(&self.inner.fresh).is_empty() {
                        // Rows enqueued without a hand-over: read the store.
                        self.next_store_pass_ms = 0;
                    }
                }
                Some(done) = self.in_flight.join_next_with_id(), if !self.in_flight.is_empty() => {
                    self.finish(done).await;
                }
                () = tokio::time::sleep(sleep) => {}
            }
        }
        self.stopping = true;
        while let Some(done) = self.in_flight.join_next_with_id().await {
            self.finish(done).await;
        }
        self.remove_delivered().await;
        tracing::debug!("outbox worker stopped");
    }

    /// One pass: start what was handed over; then, when due, a store pass; remove delivered
    /// entries when idle or when enough have gathered.
    async fn pass(&mut self) {
        let now = now_ms();
        self.start_fresh(now).await;
        if now >= self.next_store_pass_ms || self.retry_due(now) {
            self.store_pass(now).await;
        }
        if self.delivered.len() >= DELETE_BATCH || self.in_flight.is_empty() {
            self.remove_delivered().await;
        }
    }

    /// Takes what was handed over in memory, in order: stored entries are started (those
    /// not due yet, because their peer is blocked, are left to a store pass at their time);
    /// early entries and their units' outcomes go to `early.rs`.
    async fn start_fresh(&mut self, now: i64) {
        let fresh = std::mem::take(&mut *lock(&self.inner.fresh));
        if fresh.is_empty() {
            return;
        }
        let mut ready = Vec::with_capacity(fresh.len());
        for handed in fresh {
            let e = match handed {
                Handed::Stored(e) => e,
                Handed::Early(e) => {
                    self.dispatch(std::mem::take(&mut ready), now).await;
                    self.take_early(e, now);
                    continue;
                }
                Handed::Settled { provisional, id } => {
                    self.dispatch(std::mem::take(&mut ready), now).await;
                    self.settle_early(provisional, id, now).await;
                    continue;
                }
            };
            if self.held.contains(&e.id) {
                continue;
            }
            if let Some(retry_ms) = self.blocked_until(&e.recipient_did) {
                // An older entry of this peer waits in the store for its retry: a store pass
                // then takes both, oldest first.
                self.next_store_pass_ms = self.next_store_pass_ms.min(retry_ms);
            } else if e.next_attempt_at_ms > now {
                self.next_store_pass_ms = self.next_store_pass_ms.min(e.next_attempt_at_ms);
            } else {
                ready.push(e);
            }
        }
        self.dispatch(ready, now).await;
    }

    /// When a blocked peer's oldest entry is retried (`None`: the peer is not blocked).
    fn blocked_until(&self, recipient: &str) -> Option<i64> {
        lock(&self.inner.blocked).get(recipient).map(|b| b.next_ms)
    }

    /// Whether a blocked peer's retry time has come.
    fn retry_due(&self, now: i64) -> bool {
        lock(&self.inner.blocked).values().any(|b| b.next_ms <= now)
    }

    /// Removes the delivered entries from the store in one statement.
    async fn remove_delivered(&mut self) {
        if self.delivered.is_empty() {
            return;
        }
        let ids = std::mem::take(&mut self.delivered);
        if let Err(e) = self.inner.outbox.delivered_many(&ids).await {
            // They stay in the store and would be sent again: keep them out of store passes
            // by trying again next time.
            tracing::warn!(error = %e, count = ids.len(), "outbox delivered failed");
            self.delivered = ids;
        }
    }

    /// A pass over the store: expire, prune de-dup records when due, start due entries.
    async fn store_pass(&mut self, now: i64) {
        self.next_store_pass_ms = now.saturating_add(ms(self.inner.config.poll_interval));
        self.remove_delivered().await;
        match self.inner.outbox.expire(now).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(count = n, "outbox entries expired undelivered"),
            Err(e) => tracing::warn!(error = %e, "outbox expire failed"),
        }
        self.prune_dedup(now).await;
        if self.in_flight.len() >= self.inner.config.max_parallel {
            self.backlog = true;
            return;
        }
        let due = match self
            .inner
            .outbox
            .due(now, self.inner.config.due_batch)
            .await
        {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "outbox due failed");
                return;
            }
        };
        let due = due
            .into_iter()
            .filter(|e| !self.held.contains(&e.id) && !self.delivered.contains(&e.id))
            .collect();
        self.dispatch(due, now).await;
    }

    /// Starts deliveries of `entries` (due now): per recipient in id order; a busy
    /// recipient's entries queue behind its delivery in flight; a blocked one's are pushed
    /// back to its retry time.
    async fn dispatch(&mut self, entries: Vec<OutboxEntry>, now: i64) {
        for (recipient, group) in group_by_recipient(entries) {
            if self.busy.contains(&recipient) {
                self.held.extend(group.iter().map(|e| e.id));
                let queue = self.followers.entry(recipient).or_default();
                queue.extend(group);
                queue.sort_by_key(|e| e.id);
                queue.dedup_by_key(|e| e.id);
                continue;
            }
            if self.held_back(&recipient, &group, now).await {
                continue;
            }
            if self.in_flight.len() >= self.inner.config.max_parallel {
                // Left in the store for a store pass once a delivery ends.
                self.backlog = true;
                continue;
            }
            self.start(recipient, group);
        }
    }

    /// True (after pushing the group back) when an older entry of this peer is waiting
    /// for its retry time; clears a stale block otherwise.
    async fn held_back(&mut self, recipient: &str, group: &[OutboxEntry], now: i64) -> bool {
        let block = lock(&self.inner.blocked).get(recipient).copied();
        let Some(block) = block else { return false };
        let head_id = group.first().map_or(i64::MAX, |e| e.id);
        if block.next_ms <= now || block.head_id >= head_id {
            // The blocking entry is due again (so it heads this group), delivered or expired.
            lock(&self.inner.blocked).remove(recipient);
            return false;
        }
        let note = format!("queued behind outbox entry {}", block.head_id);
        for e in group {
            if let Err(err) = self
                .inner
                .outbox
                .retry_later(e.id, e.attempts, block.next_ms, &note)
                .await
            {
                tracing::warn!(error = %err, "outbox retry_later failed");
            }
        }
        true
    }

    fn start(&mut self, recipient: String, mut group: Vec<OutboxEntry>) {
        if group.is_empty() {
            return;
        }
        let head = group.remove(0);
        self.held.extend(group.iter().map(|e| e.id));
        self.followers.insert(recipient.clone(), group);
        self.send(recipient, head);
    }

    /// Starts the delivery of `head` to `recipient` (marked busy until it ends).
    fn send(&mut self, recipient: String, head: OutboxEntry) {
        self.held.insert(head.id);
        let http = self.inner.http.clone();
        let handle = self.in_flight.spawn(async move {
            let result = post(&http, &head.endpoint, head.body.clone(), None)
                .await
                .map_err(|e| e.to_string());
            (head, result)
        });
        self.tasks.insert(handle.id(), recipient.clone());
        self.busy.insert(recipient);
    }

    async fn finish(&mut self, done: Result<(tokio::task::Id, Outcome), tokio::task::JoinError>) {
        let (entry, result) = match done {
            Ok((id, outcome)) => {
                self.tasks.remove(&id);
                outcome
            }
            Err(e) => {
                // A delivery task panicked or was aborted; the entry stays in the store and
                // is retried on a later pass.
                tracing::error!(error = %e, "outbox delivery task failed");
                if let Some(recipient) = self.tasks.remove(&e.id()) {
                    self.busy.remove(&recipient);
                    for f in self.followers.remove(&recipient).unwrap_or_default() {
                        self.held.remove(&f.id);
                    }
                }
                // The entry itself is unknown here; a store pass soon finds it again.
                self.held.clear();
                self.held
                    .extend(self.followers.values().flatten().map(|e| e.id));
                self.next_store_pass_ms = 0;
                return;
            }
        };
        // An early entry's outcome may have to wait for its unit (`early.rs`).
        if let Some((entry, result)) = self.early_finished(entry, result) {
            self.settle(entry, result).await;
        }
    }

    /// Records the outcome of `entry`'s delivery (the peer's delivery slot is free again):
    /// delivered → its peer's next message starts at once; failed → retried later, the
    /// peer blocked until then. An entry with a negative id (an early one whose unit
    /// failed) is recorded nowhere.
    async fn settle(&mut self, entry: OutboxEntry, result: Result<(), String>) {
        self.busy.remove(&entry.recipient_did);
        self.held.remove(&entry.id);
        if std::mem::take(&mut self.backlog) {
            self.next_store_pass_ms = 0;
        }
        let mut followers = self
            .followers
            .remove(&entry.recipient_did)
            .unwrap_or_default();
        for f in &followers {
            self.held.remove(&f.id);
        }
        match result {
            Ok(()) => {
                lock(&self.inner.blocked).remove(&entry.recipient_did);
                // The peer's next message goes out at once, without waiting for a pass.
                followers.retain(|e| e.expires_at_ms >= now_ms());
                if !self.stopping && !followers.is_empty() {
                    let next = followers.remove(0);
                    self.held.extend(followers.iter().map(|e| e.id));
                    self.followers
                        .insert(entry.recipient_did.clone(), followers);
                    self.send(entry.recipient_did.clone(), next);
                }
                if entry.id >= 0 {
                    self.delivered.push(entry.id);
                }
                tracing::debug!(to = %entry.recipient_did, outbox_id = entry.id, "delivered");
            }
            Err(error) => {
                let followers = followers.iter().map(|e| (e.id, e.attempts)).collect();
                self.failed(entry, followers, &error).await;
            }
        }
    }

    async fn failed(&mut self, entry: OutboxEntry, followers: Vec<(i64, u32)>, error: &str) {
        let attempts = entry.attempts.saturating_add(1);
        let delay = self.inner.config.backoff.delay(attempts, OsRng.next_u32());
        let next_ms = now_ms().saturating_add(ms(delay));
        lock(&self.inner.blocked).insert(
            entry.recipient_did.clone(),
            Blocked {
                head_id: entry.id,
                next_ms,
            },
        );
        self.next_store_pass_ms = self.next_store_pass_ms.min(next_ms);
        let store = &self.inner.outbox;
        if let Err(e) = store.retry_later(entry.id, attempts, next_ms, error).await {
            tracing::warn!(error = %e, outbox_id = entry.id, "outbox retry_later failed");
        }
        let note = format!("queued behind outbox entry {}", entry.id);
        for (id, their_attempts) in followers {
            if let Err(e) = store.retry_later(id, their_attempts, next_ms, &note).await {
                tracing::warn!(error = %e, outbox_id = id, "outbox retry_later failed");
            }
        }
        let expires = next_ms > entry.expires_at_ms;
        tracing::info!(
            to = %entry.recipient_did,
            outbox_id = entry.id,
            attempts,
            retry_in_ms = ms(delay),
            will_expire = expires,
            error,
            "delivery failed"
        );
    }

    async fn prune_dedup(&mut self, now: i64) {
        let interval = self.inner.config.dedup_prune_interval;
        if self.last_prune.is_some_and(|t| t.elapsed() < interval) {
            return;
        }
        self.last_prune = Some(Instant::now());
        let before = now.saturating_sub(ms(self.inner.config.dedup_retention));
        match self.inner.dedup.prune(before).await {
            Ok(n) => tracing::debug!(count = n, "de-dup records pruned"),
            Err(e) => tracing::warn!(error = %e, "de-dup prune failed"),
        }
    }

    /// Until the next store pass or the earliest blocked peer's retry time, at most
    /// `poll_interval`.
    fn sleep_time(&self) -> Duration {
        let now = now_ms();
        let until_pass = u64::try_from(self.next_store_pass_ms.saturating_sub(now)).unwrap_or(0);
        let poll = self
            .inner
            .config
            .poll_interval
            .min(Duration::from_millis(until_pass));
        let earliest = lock(&self.inner.blocked)
            .values()
            .map(|b| b.next_ms)
            .filter(|&t| t > now)
            .min();
        match earliest {
            Some(t) => {
                let wait = u64::try_from(t - now).unwrap_or(0).saturating_add(1);
                Duration::from_millis(wait).min(poll)
            }
            None => poll,
        }
    }
}

/// Groups due entries by recipient, keeping the store's order within and across groups.
fn group_by_recipient(due: Vec<OutboxEntry>) -> Vec<(String, Vec<OutboxEntry>)> {
    let mut groups: Vec<(String, Vec<OutboxEntry>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for e in due {
        match index.get(&e.recipient_did) {
            Some(&i) => {
                if let Some(g) = groups.get_mut(i) {
                    g.1.push(e);
                }
            }
            None => {
                index.insert(e.recipient_did.clone(), groups.len());
                groups.push((e.recipient_did.clone(), vec![e]));
            }
        }
    }
    for (_, g) in &mut groups {
        g.sort_by_key(|e| e.id);
    }
    groups
}
