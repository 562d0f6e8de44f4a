//! A write plan handed to the writer but not awaited yet ([`Database::submit`]), so that the
//! consensus driver can handle its next events while a step's unit is being written (the
//! driver's "steps written in the background", `driver/inflight.rs`).
//!
//! Plans submitted one after another run in that order: [`Database::submit`] takes the
//! process's writer turn before it hands the plan over, and the writer thread releases it
//! when the plan has ended, so the next write of any kind waits for it. On PostgreSQL and on
//! an SQLite database in memory (no writer thread) a submitted plan is written before
//! `submit` returns.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;

use super::{Database, PlanOutput, StorageError, WritePlan};

/// The outcome of a submitted plan, once it ended (a future).
#[must_use = "a submitted plan's outcome must be awaited"]
pub struct PendingWrite(State);

enum State {
    Waiting(oneshot::Receiver<Result<PlanOutput, StorageError>>),
    Ready(Option<Result<PlanOutput, StorageError>>),
}

impl PendingWrite {
    pub(crate) fn waiting(answer: oneshot::Receiver<Result<PlanOutput, StorageError>>) -> Self {
        PendingWrite(State::Waiting(answer))
    }

    pub(crate) fn ready(outcome: Result<PlanOutput, StorageError>) -> Self {
        PendingWrite(State::Ready(Some(outcome)))
    }
}

impl Future for PendingWrite {
    type Output = Result<PlanOutput, StorageError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.0 {
            State::Waiting(answer) => Pin::new(answer).poll(cx).map(|r| {
                r.unwrap_or_else(|_| Err(StorageError::Backend("the writer stopped".into())))
            }),
            State::Ready(outcome) => Poll::Ready(
                outcome
                    .take()
                    .unwrap_or_else(|| Err(StorageError::Backend("outcome already taken".into()))),
            ),
        }
    }
}

impl Database {
    /// Hands `plan` to the writer and returns at once with its pending outcome (see the
    /// module docs for the order of writes). `sync` as for [`Database::write`].
    pub async fn submit(&self, plan: WritePlan, sync: bool) -> PendingWrite {
        if let Some(writer) = &self.writer {
            let turn = self.write_turn().await;
            return writer.submit(plan, sync, turn);
        }
        PendingWrite::ready(self.write(plan, sync).await)
    }
}
