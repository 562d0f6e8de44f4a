//! Steps written in the background: a step that sends nothing and starts no round — a
//! participant's final commit, for example — is handed to the writer
//! ([`Database::submit`](crate::storage::Database::submit)) and the driver goes on with
//! its next events while the unit is written, instead of waiting for it.
//!
//! What the step owes anybody waits for its unit: its progress, results and lock changes are
//! published when the unit has ended, exactly as after a write the driver waited for, and a
//! step that must read a ledger from the database waits for the unit first, so that it reads
//! what the unit wrote. At
//! most one such unit is in flight: the next step that writes anything waits for it first
//! (units are written in order either way, `storage/pending.rs`), and so does a step that
//! writes nothing but publishes (so that publications keep their order). A relaxed step's
//! messages may leave before that wait (`transport/worker/early.rs`): their loss, with the
//! unit before them, is the loss `durability.rs` allows for. If the unit fails, nothing
//! after it is written: the driver rebuilds its state from the database, as after any
//! failed step.

use tmtm_consensus::Command;

use super::run::Driver;
use super::DriverError;
use crate::storage::{PendingWrite, PlanOutput, SeenRecord, StorageError};

/// The unit of a step being written in the background, and what waits for it.
pub(super) struct InFlight {
    pub(super) pending: PendingWrite,
    seen: Vec<SeenRecord>,
    delivered: Vec<i64>,
    commands: Vec<Command>,
}

impl InFlight {
    pub(super) fn new(
        pending: PendingWrite,
        seen: Vec<SeenRecord>,
        delivered: Vec<i64>,
        commands: Vec<Command>,
    ) -> Self {
        InFlight {
            pending,
            seen,
            delivered,
            commands,
        }
    }
}

/// Whether a step may be written in the background: it starts no round (whose requesters
/// are told of a failure to store it by the loop) and sends nothing.
pub(super) fn may_write_behind(starts_round: bool, messages: usize) -> bool {
    !starts_round && messages == 0
}

impl Driver {
    /// Puts back what a unit that was not stored took along: its de-dup records (so the
    /// messages count as unseen) and its delivered outbox ids (deleted with a later unit).
    pub(super) fn give_back(&mut self, seen: Vec<SeenRecord>, delivered: Vec<i64>) {
        self.db.restore_pending_seen(seen);
        self.db.end_delivered(delivered, false);
    }

    /// After a unit was not stored: the engine and the open ledgers went ahead of the
    /// database, so both are rebuilt from it (`recover` in `run.rs`) before anything else.
    pub(super) fn recover_later(&mut self, e: &DriverError) {
        tracing::warn!(error = %e, "consensus step not stored; recovering from the database");
        self.open.clear();
        self.needs_recovery = true;
    }

    /// Waits for the unit in flight, if any, and settles it ([`Self::finish_inflight`]).
    pub(super) async fn settle_inflight(&mut self) -> Result<(), DriverError> {
        let Some(mut inflight) = self.inflight.take() else {
            return Ok(());
        };
        let outcome = (&mut inflight.pending).await;
        self.finish_inflight(inflight, outcome)
    }

    /// Settles a unit that ended: publishes what its step owed, or, if it failed, puts back
    /// what it took along and marks the driver for recovery.
    pub(super) fn finish_inflight(
        &mut self,
        inflight: InFlight,
        outcome: Result<PlanOutput, StorageError>,
    ) -> Result<(), DriverError> {
        match outcome {
            Ok(_) => {
                self.db.end_delivered(inflight.delivered, true);
                self.publish(inflight.commands);
                // Open ledgers are not trimmed here: this may run between a step's loading
                // of its ledgers and its handling (`load`), which must find them open. The
                // driver's loop and the end of the next step trim.
                self.locked.send_replace(self.engine.locked_ledgers());
                Ok(())
            }
            Err(e) => {
                let e = DriverError::from(e);
                self.give_back(inflight.seen, inflight.delivered);
                self.recover_later(&e);
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::may_write_behind;

    #[test]
    fn only_steps_that_start_nothing_and_send_nothing_are_written_behind() {
        assert!(may_write_behind(false, 0));
        assert!(!may_write_behind(true, 0));
        assert!(!may_write_behind(false, 1));
    }
}
