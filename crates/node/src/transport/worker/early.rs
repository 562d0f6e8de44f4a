//! Early sends: rows the driver hands over *before* the unit that stores them commits
//! ([`Transport::send_early`](crate::transport::Transport::send_early)), so that a relaxed
//! consensus step's messages travel while its unit is being written. Only messages whose
//! loss is allowed for are sent this way (`driver/durability.rs`): if the unit fails, what
//! was sent stays sent, exactly as if the step had been lost in a power failure after it.
//!
//! An early entry carries a provisional (negative) id until its unit settles:
//! * it is sent at once only when its peer has nothing older in memory — no delivery in
//!   flight, no followers, no block, no older early entry waiting — so per-peer order is
//!   kept; otherwise it **waits** for its unit and then joins the peer's queue under its
//!   real id like any stored entry;
//! * a delivery that ends before its unit settled keeps the peer busy and its outcome
//!   **waits**; when the unit committed, the outcome is recorded under the real id
//!   (delivered → removed from the store; failed → retried with backoff, the peer blocked);
//!   when it failed, the outcome is dropped and the peer's next message goes on.
//!
//! A store pass may read a just-committed early row before its settlement is processed; the
//! settlement then drops the copy it queued (or sees the row held and leaves it), so the
//! row is normally sent once. (Were it sent twice, the peer drops the copy by its `@id`.)

use crate::ports::{InboxDedup, OutboxEntry, OutboxStore};

use super::Worker;

/// An early entry whose unit has not settled yet.
pub(super) enum Early {
    /// Not sent: its peer had something older in memory.
    Waiting(OutboxEntry),
    /// Being delivered; `id` is its id in the store once the unit committed.
    Sending { id: Option<i64> },
    /// Delivered or failed before its unit settled; the peer stays busy until then.
    Done(OutboxEntry, Result<(), String>),
    /// Being delivered, but its unit failed: the outcome will be dropped.
    Abandoned,
}

impl<O: OutboxStore, D: InboxDedup> Worker<O, D> {
    /// Sends an early entry at once if its peer has nothing older in memory, else keeps it
    /// until its unit settles.
    pub(super) fn take_early(&mut self, entry: OutboxEntry, now: i64) {
        let peer = entry.recipient_did.as_str();
        let older_waiting = self
            .early
            .values()
            .any(|e| matches!(e, Early::Waiting(w) if w.recipient_did == peer));
        let free = !self.stopping
            && entry.next_attempt_at_ms <= now
            && self.in_flight.len() < self.inner.config.max_parallel
            && !self.busy.contains(peer)
            && self.followers.get(peer).is_none_or(Vec::is_empty)
            && self.blocked_until(peer).is_none()
            && !older_waiting;
        if free {
            self.early.insert(entry.id, Early::Sending { id: None });
            self.send(entry.recipient_did.clone(), entry);
        } else {
            self.early.insert(entry.id, Early::Waiting(entry));
        }
    }

    /// The unit of the early entry `provisional` ended: committed with the row's `id` in
    /// the store, or failed (`None`).
    pub(super) async fn settle_early(&mut self, provisional: i64, id: Option<i64>, now: i64) {
        let Some(state) = self.early.remove(&provisional) else {
            return;
        };
        match (state, id) {
            (Early::Waiting(mut entry), Some(id)) => {
                if self.held.contains(&id) || self.delivered.contains(&id) {
                    // A store pass found the row first.
                    return;
                }
                if let Some(retry_ms) = self.blocked_until(&entry.recipient_did) {
                    // An older entry waits in the store for its retry: a store pass takes
                    // both, oldest first.
                    self.next_store_pass_ms = self.next_store_pass_ms.min(retry_ms);
                    return;
                }
                entry.id = id;
                self.dispatch(vec![entry], now).await;
            }
            (Early::Waiting(_), None) => {}
            (Early::Sending { .. }, Some(id)) => {
                // A store pass may have queued the stored row behind its own early copy.
                self.held.insert(id);
                for queue in self.followers.values_mut() {
                    queue.retain(|e| e.id != id);
                }
                self.early
                    .insert(provisional, Early::Sending { id: Some(id) });
            }
            (Early::Sending { .. } | Early::Abandoned, None) => {
                self.early.insert(provisional, Early::Abandoned);
            }
            (Early::Done(mut entry, result), Some(id)) => {
                entry.id = id;
                self.settle(entry, result).await;
            }
            (Early::Done(entry, _), None) => self.settle(entry, Ok(())).await,
            (Early::Abandoned, Some(_)) => {}
        }
    }

    /// A delivery ended. For a stored entry, returns it to be settled now; for an early
    /// one: under its real id if its unit committed, with its outcome dropped if the unit
    /// failed, or `None` (kept, the peer busy) until the unit settles.
    pub(super) fn early_finished(
        &mut self,
        mut entry: OutboxEntry,
        result: Result<(), String>,
    ) -> Option<(OutboxEntry, Result<(), String>)> {
        if entry.id >= 0 {
            return Some((entry, result));
        }
        self.held.remove(&entry.id);
        match self.early.remove(&entry.id) {
            Some(Early::Sending { id: Some(id) }) => {
                entry.id = id;
                Some((entry, result))
            }
            Some(Early::Sending { id: None }) => {
                self.early.insert(entry.id, Early::Done(entry, result));
                None
            }
            // The unit failed: nothing to record; the peer's next message goes on.
            Some(Early::Abandoned | Early::Waiting(_) | Early::Done(..)) | None => {
                Some((entry, Ok(())))
            }
        }
    }
}
