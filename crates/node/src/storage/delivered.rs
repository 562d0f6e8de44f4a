//! Delivered outbox entries waiting to be deleted. The transport reports deliveries one
//! batch at a time; each used to be a write transaction of its own, taking the writer turn
//! (and WAL pages) right when the reply to the delivered message arrived and the consensus
//! step handling it wanted to write. Now the ids wait in memory and leave with the next write
//! that happens anyway:
//!
//! * the next consensus step takes them into its plan ([`Database::take_delivered`]); until
//!   that unit has ended they are "taken", and a read of due entries leaves them out (the
//!   rows are still there until the unit commits);
//! * when [`FLUSH_AT`] have gathered, before the outbox is read for due entries or counted,
//!   and at close, they are deleted in a relaxed unit of their own.
//!
//! Losing them (a crash) only means those envelopes are sent again after a restart, which
//! peers drop as duplicates — the same bound as the relaxed delete this replaces ("Bookkeeping
//! writes" in the module docs of `storage`).

use super::{Database, StorageError, WritePlan};
use crate::ports::StoreFailure;

/// Deleted in a unit of their own once this many wait.
pub(crate) const FLUSH_AT: usize = 128;

impl WritePlan {
    /// Deletes the outbox entries `ids` (delivered).
    pub fn outbox_delivered(&mut self, ids: &[i64]) {
        let ids = ids.iter().map(|id| super::plan::Arg::Int(*id)).collect();
        self.push_in_list("DELETE FROM outbox WHERE id IN", ids);
    }
}

/// The ids of delivered entries not deleted yet.
#[derive(Debug, Default)]
pub(crate) struct DeliveredIds {
    /// Waiting for the next write.
    waiting: Vec<i64>,
    /// In a unit of work that has not ended yet.
    taken: Vec<i64>,
}

impl Database {
    fn delivered_ids(&self) -> std::sync::MutexGuard<'_, DeliveredIds> {
        self.delivered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records delivered entries; deletes them now only if [`FLUSH_AT`] are waiting.
    pub(crate) async fn defer_delivered(&self, ids: &[i64]) -> Result<(), StoreFailure> {
        let due = {
            let mut d = self.delivered_ids();
            d.waiting.extend_from_slice(ids);
            d.waiting.len() >= FLUSH_AT
        };
        if due {
            self.flush_delivered().await?;
        }
        Ok(())
    }

    /// The delivered entries not deleted yet, for a unit of work about to be written. Call
    /// [`Self::end_delivered`] with them when the unit has ended.
    pub fn take_delivered(&self) -> Vec<i64> {
        let mut d = self.delivered_ids();
        let ids = std::mem::take(&mut d.waiting);
        d.taken.extend_from_slice(&ids);
        ids
    }

    /// The unit that took `ids` has ended: committed (`stored`), or not (they wait again).
    pub fn end_delivered(&self, ids: Vec<i64>, stored: bool) {
        if ids.is_empty() {
            return;
        }
        let mut d = self.delivered_ids();
        d.taken.retain(|id| !ids.contains(id));
        if !stored {
            d.waiting.extend(ids);
        }
    }

    /// Whether `id` is delivered but its row may still be stored (leave it out of due reads).
    pub(crate) fn delivered_in_flight(&self, id: i64) -> bool {
        let d = self.delivered_ids();
        d.taken.contains(&id) || d.waiting.contains(&id)
    }

    /// Deletes every waiting delivered entry now (relaxed).
    pub(crate) async fn flush_delivered(&self) -> Result<(), StorageError> {
        let ids = self.take_delivered();
        if ids.is_empty() {
            return Ok(());
        }
        let mut plan = WritePlan::new();
        plan.outbox_delivered(&ids);
        let written = self.write(plan, false).await;
        self.end_delivered(ids, written.is_ok());
        written.map(|_| ())
    }
}
