//! [`Tx`]: one unit of work — a database transaction on either backend. The writes of one
//! consensus step are methods on it (`ledger_write.rs`, `rounds.rs`, outbox and inbox here);
//! they become visible together at [`Tx::commit`], or not at all.

use sqlx::{Postgres, Sqlite};

use super::error::check_text;
use super::plan::{Arg, Outcome};
use super::{Backend, Database, StorageError, WritePlan};
use crate::ports::NewOutgoing;

/// Runs `$body` with `$conn` bound to the transaction's connection (`&mut` to the backend's
/// connection type); the body is compiled per backend. Use `&mut *$conn` as the executor.
macro_rules! on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match &mut $tx.inner {
            $crate::storage::tx::TxInner::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::storage::tx::TxInner::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}
pub(crate) use on_tx;

/// A unit of work. Dropping it without [`Tx::commit`] rolls everything back, so a crash or an
/// error at any point leaves nothing half-written.
///
/// After any method returns an error the transaction must be dropped (on PostgreSQL a failed
/// statement aborts the transaction anyway).
///
/// The recommended order for a ledger commit: `batch = ledger.prepare_commit(n)`,
/// [`Tx::apply_ledger_batch`]`(&batch)`, the other effects, [`Tx::commit`]; then
/// `ledger.commit(n)` on the in-memory [`super::LoadedLedger`] (it cannot conflict any more).
pub struct Tx {
    pub(crate) inner: TxInner,
    /// SQLite: this process's writer turn, held until the unit ends (see
    /// [`Database::write_turn`]).
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

pub(crate) enum TxInner {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backend = match self.inner {
            TxInner::Sqlite(_) => "sqlite",
            TxInner::Postgres(_) => "postgres",
        };
        f.debug_struct("Tx").field("backend", &backend).finish()
    }
}

impl Tx {
    pub(crate) async fn begin(db: &Database) -> Result<Tx, StorageError> {
        let (inner, turn) = match &db.backend {
            // IMMEDIATE: take the write lock now, so a read-then-write cannot fail to upgrade.
            Backend::Sqlite(pool) => {
                let turn = db.write_turn().await;
                let t = pool.begin_with("BEGIN IMMEDIATE").await?;
                (TxInner::Sqlite(t), turn)
            }
            Backend::Postgres(pool) => (TxInner::Postgres(pool.begin().await?), None),
        };
        Ok(Tx { inner, _turn: turn })
    }

    /// A unit of work whose commit does not wait for an fsync: on the relaxed pool of an
    /// SQLite file (`synchronous=NORMAL`), with `synchronous_commit = off` on PostgreSQL;
    /// like [`Tx::begin`] for SQLite in memory. For bookkeeping writes (see "Bookkeeping
    /// writes" in the module docs of `storage`) and consensus steps that cannot lose a
    /// commit (`driver/durability.rs`). Atomic all the same; a later synced commit makes it
    /// durable too.
    pub async fn begin_relaxed(db: &Database) -> Result<Tx, StorageError> {
        match (&db.relaxed, &db.backend) {
            (Some(pool), _) => {
                let turn = db.write_turn().await;
                Ok(Tx {
                    inner: TxInner::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
                    _turn: turn,
                })
            }
            (None, Backend::Postgres(pool)) => {
                let mut t = pool.begin().await?;
                sqlx::query("SET LOCAL synchronous_commit TO OFF")
                    .execute(&mut *t)
                    .await?;
                Ok(Tx {
                    inner: TxInner::Postgres(t),
                    _turn: None,
                })
            }
            (None, Backend::Sqlite(_)) => Tx::begin(db).await,
        }
    }

    /// Makes every write of this unit durable (on SQLite: fsynced, `synchronous=FULL`;
    /// a relaxed unit only once a later FULL commit syncs the WAL).
    pub async fn commit(self) -> Result<(), StorageError> {
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    /// Discards every write of this unit (dropping the `Tx` does the same, lazily).
    pub async fn rollback(self) -> Result<(), StorageError> {
        match self.inner {
            TxInner::Sqlite(t) => t.rollback().await?,
            TxInner::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }

    /// Puts messages in the outbox as part of this unit; returns their ids in order.
    pub async fn enqueue_outbox(
        &mut self,
        messages: &[NewOutgoing],
    ) -> Result<Vec<i64>, StorageError> {
        let mut plan = WritePlan::new();
        plan.outbox(messages)?;
        Ok(self.run(plan).await?.ids)
    }
}

impl WritePlan {
    /// [`Tx::enqueue_outbox`] as statements: the ids come out in [`super::PlanOutput::ids`],
    /// in the order of `messages`.
    pub fn outbox(&mut self, messages: &[NewOutgoing]) -> Result<(), StorageError> {
        for m in messages {
            check_text("recipient DID", &m.recipient_did)?;
            check_text("endpoint", &m.endpoint)?;
        }
        // Ids come back in no promised order; both backends assign them in the order of the
        // VALUES rows (one writer at a time), so sorted they match the rows.
        self.push_rows(
            "INSERT INTO outbox (recipient_did, endpoint, body, attempts, \
             next_attempt_at_ms, expires_at_ms)",
            "RETURNING id",
            messages
                .iter()
                .map(|m| {
                    [
                        Arg::Text(m.recipient_did.clone()),
                        Arg::Text(m.endpoint.clone()),
                        Arg::Blob(m.body.clone()),
                        Arg::Int(0),
                        Arg::Int(m.not_before_ms),
                        Arg::Int(m.expires_at_ms),
                    ]
                })
                .collect(),
            &Outcome::ReturnIds,
        );
        Ok(())
    }
}
