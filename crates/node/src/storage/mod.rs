//! The node's durable storage over sqlx: SQLite (the embedded default, a file in the data
//! directory) or PostgreSQL (`DATABASE_URL=postgres://…`). It owns the microledgers
//! (transactions and perfect-subtree hashes), the consensus rounds in progress, the outbox,
//! the inbound de-duplication record, and the API's view of all of it (the ledger tables *are*
//! the mirror the API reads: there is no second copy to drift).
//!
//! * [`Database`]: a pool over one backend; [`connect`](Database::connect) runs migrations.
//! * [`WritePlan`] (`plan.rs`): a unit of work's writes as data, run by [`Database::write`]
//!   — on SQLite files by one dedicated writer thread in one hand-off (`sqlite_writer.rs`),
//!   elsewhere statement by statement in a [`Tx`]. The consensus driver writes its steps so.
//! * [`Tx`] (`tx.rs`, `ledger_write.rs`, `rounds.rs`): the unit of work. Every effect of one
//!   consensus step — a ledger batch, round state, outbox entries, the inbound `@id` — goes into
//!   one database transaction; dropping a `Tx` without [`Tx::commit`] rolls all of it back.
//! * [`LoadedLedger`] (`loaded.rs`): the synchronous [`tmtm_microledger::LedgerStore`] over
//!   rows fetched up front; `reads.rs`: paged reads for the API; `outbox.rs`: the
//!   [`crate::ports::OutboxStore`]; `dedup.rs`: the [`crate::ports::InboxDedup`] (memory
//!   first, stored with the consensus step that handles the message).
//! * The wrapper API's tables (migration 0003): `users.rs` (users, sessions), `tokens.rs`
//!   (WebSocket bearer tokens), `uploads.rs` (upload metadata), `gu.rs` (GU-11/GU-12 records).
//!
//! # Decisions
//!
//! * **An enum of native pools, not `sqlx::Any`.** Typed connect options (WAL, `synchronous`,
//!   busy timeout; a PostgreSQL `search_path`), no runtime type mapping, and room for
//!   PostgreSQL-only features later (advisory locks, LISTEN/NOTIFY). The SQL itself is shared:
//!   both drivers accept `$N` placeholders, `ON CONFLICT` and `RETURNING`, so each query is
//!   written once and the `on_pool!`/`on_tx!` macros compile it for both backends. Only the
//!   migrations differ (`migrations/sqlite`, `migrations/postgres`: `BLOB`/`BYTEA`, identity
//!   columns), kept in step and checked by a test.
//! * **SQLite: WAL with `synchronous=FULL`.** With `NORMAL`, a WAL commit survives a process
//!   crash but may roll back after a power loss; a participant that voted or reported "done"
//!   must never lose that commit (a lost commit is a fork). FULL costs one fsync per commit
//!   (~2,400 commits/s on this machine's disk, `anchors.md` §B.3), well above the target of
//!   300 txns/s. Write transactions start with `BEGIN IMMEDIATE` so two writers queue on the
//!   busy timeout instead of failing when a read lock cannot be upgraded.
//! * **Two writers on one ledger are safe**: a batch updates the ledger row only `WHERE size =
//!   expected_size` (PostgreSQL re-checks that after waiting for the other writer's row lock),
//!   so the loser gets [`StorageError::Conflict`] and its whole `Tx` is discarded. The primary
//!   keys of transactions and subtree hashes catch the same race a second time.
//! * **Bookkeeping writes without their own fsync.** SQLite files get a second small pool
//!   with `synchronous=NORMAL` ([`Database::relaxed`]) for writes whose loss on a power
//!   failure can only cause a message to be delivered or handled again: the outbox's
//!   `delivered`/`retry_later`/`expire`, de-dup pruning and de-dup records that no consensus
//!   step took along (`dedup.rs`). Their commits append to the same WAL as everything else, and a WAL
//!   fsync covers every frame written before it, so the next FULL commit (the consensus step
//!   that handles the de-duplicated message, or any later step) makes them durable too. A
//!   de-dup record that is lost belongs to a message whose step was not stored either, so a
//!   redelivery is handled as the first delivery would have been; a lost `delivered` re-sends
//!   an envelope the peer drops as a duplicate. Consensus steps that cannot lose a commit
//!   (proposals, votes, commit requests; the rule and its argument are in
//!   `driver/durability.rs`) use it too; nothing that writes a ledger, promises a commit or
//!   reports `done` does. Saves one fsync per message received and
//!   one per message delivered (measured in `docs/BENCHMARKS.md`).
//! * **One writer at a time.** SQLite has one write lock per file; a connection that finds it
//!   taken sleeps in SQLite's busy handler (1, 2, 5, 10, … 100 ms) before trying again. Two
//!   writers of this process (a consensus step and an inbound de-dup record, say) would
//!   therefore wait milliseconds for each other. Every [`Tx`] and the outbox's bookkeeping
//!   writes take an in-process turn first (an async mutex, [`Database::write_turn`]), so they
//!   queue and wake at once; the busy timeout remains for other processes. Reads never wait.
//!   The writer thread of [`Database::write`] takes the same turn.
//! * **A writer thread for plans (SQLite files).** sqlx runs each SQLite connection on a
//!   worker thread, and every statement is a round trip to it: a consensus step of 6–10
//!   statements spent ~0.4 ms in thread hand-offs on this 2-core machine. A [`WritePlan`]
//!   goes to one `rusqlite` connection on a thread of its own in one hand-off
//!   (`sqlite_writer.rs`, `rusqlite` over the same `libsqlite3-sys` as sqlx). The SQL is the
//!   one the `Tx` methods use (they build plans too), so the backends cannot drift apart;
//!   PostgreSQL and SQLite in memory run plans statement by statement in a [`Tx`].
//! * **Delivered outbox entries are deleted with the next write** (`delivered.rs`), usually
//!   the consensus step that handles the reply, instead of in a unit of their own.
//! * **Ledger loading.** The microledger crate is synchronous, sqlx is async: rows are fetched
//!   first, then handed to [`LoadedLedger`], whose `apply` only updates memory (the node
//!   applies the same batch inside its `Tx`). [`Database::load_ledger`] reads everything
//!   (container ledgers hold tens to hundreds of transactions);
//!   [`Database::load_ledger_head`] reads O(log n) rows, enough to append and commit to a
//!   ledger of any size; [`Database::read_ledger`] runs a read (proof, transaction) and fetches
//!   exactly the rows it touches, so proofs on large ledgers cost O(log n) rows too.
//! * **Times are Unix milliseconds given by the caller**, as in [`crate::ports`]; JSON is
//!   stored as text (not JSONB) so key order survives; text containing U+0000 is refused on
//!   both backends because PostgreSQL cannot store it.

use sqlx::{PgPool, SqlitePool};

/// Runs `$body` with `$pool` bound to the backend's pool; the body is compiled per backend.
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match &$db.backend {
            $crate::storage::Backend::Sqlite($pool) => $body,
            $crate::storage::Backend::Postgres($pool) => $body,
        }
    };
}

/// Like `on_pool!`, but on the relaxed pool when there is one (see "Bookkeeping writes").
macro_rules! on_relaxed_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match (&$db.relaxed, &$db.backend) {
            (Some($pool), _) => $body,
            (None, $crate::storage::Backend::Sqlite($pool)) => $body,
            (None, $crate::storage::Backend::Postgres($pool)) => $body,
        }
    };
}

mod connect;
mod dashboard_reads;
mod dedup;
mod delivered;
mod engine_rows;
mod engine_state;
mod error;
mod gu;
mod gu_acks;
mod ledger_write;
mod loaded;
mod multirow;
mod outbox;
mod pending;
mod plan;
mod reads;
mod rounds;
mod row;
mod sqlite_writer;
mod tokens;
mod tx;
mod uploads;
mod users;

pub use connect::StorageOptions;
pub use dashboard_reads::{LedgerEnds, TokenListing};
pub use dedup::SeenRecord;
pub use engine_rows::{EngineRowChanges, EngineRows};
pub use error::StorageError;
pub use gu::{GuKind, GuRecord};
pub use gu_acks::{DueGu, GuDelivery};
pub use loaded::LoadedLedger;
pub use pending::PendingWrite;
pub use plan::{PlanOutput, WritePlan};
pub use reads::{LedgerRecord, Page, TransactionRecord};
pub use rounds::{RoundRecord, RoundRole, StoredRound};
pub use tokens::TokenRecord;
pub use tx::Tx;
pub use uploads::UploadRecord;
pub use users::{Role, UserRecord};

/// Which database a [`Database`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    /// SQLite (embedded, one file).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A connection pool over one backend. Cheap to clone (the pools are reference-counted).
#[derive(Clone, Debug)]
pub struct Database {
    backend: Backend,
    /// SQLite: one writer at a time in this process (see "One writer at a time").
    write_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// SQLite files only: the `synchronous=NORMAL` pool for bookkeeping writes.
    relaxed: Option<SqlitePool>,
    /// The recent inbound de-dup records and those not stored yet (`dedup.rs`).
    dedup: std::sync::Arc<std::sync::Mutex<dedup::DedupCache>>,
    /// SQLite files only: the thread that runs a [`WritePlan`] in one hand-off
    /// (`sqlite_writer.rs`).
    writer: Option<std::sync::Arc<sqlite_writer::SqliteWriter>>,
    /// Delivered outbox entries not deleted yet (`delivered.rs`).
    delivered: std::sync::Arc<std::sync::Mutex<delivered::DeliveredIds>>,
}

#[derive(Clone, Debug)]
pub(crate) enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Database {
    /// The backend in use.
    pub fn kind(&self) -> BackendKind {
        match self.backend {
            Backend::Sqlite(_) => BackendKind::Sqlite,
            Backend::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// Starts a unit of work (see [`Tx`]).
    /// SQLite: waits for this process's turn to write (the guard ends it); None on
    /// PostgreSQL, whose row locks need no help.
    pub(crate) async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match self.backend {
            Backend::Sqlite(_) => Some(self.write_lock.clone().lock_owned().await),
            Backend::Postgres(_) => None,
        }
    }

    pub async fn begin(&self) -> Result<Tx, StorageError> {
        Tx::begin(self).await
    }

    /// Runs `plan` as one unit of work: all of it commits, or none of it. `sync`: the commit
    /// waits for the disk (`synchronous=FULL`; PostgreSQL's default), else it is a relaxed
    /// commit like [`Tx::begin_relaxed`]'s. SQLite files run it on the writer thread in one
    /// hand-off (`sqlite_writer.rs`); other backends statement by statement in a [`Tx`].
    pub async fn write(&self, plan: WritePlan, sync: bool) -> Result<PlanOutput, StorageError> {
        if let Some(writer) = &self.writer {
            let began = std::time::Instant::now();
            let turn = self.write_turn().await;
            let waited = began.elapsed();
            let out = writer.write(plan, sync, turn).await;
            tracing::debug!(
                sync,
                turn_us = waited.as_micros(),
                write_us = began.elapsed().saturating_sub(waited).as_micros(),
                "plan written"
            );
            return out;
        }
        let mut tx = if sync {
            Tx::begin(self).await?
        } else {
            Tx::begin_relaxed(self).await?
        };
        let out = tx.run(plan).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Checks that the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StorageError> {
        on_pool!(self, |pool| {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Closes every connection of the pool and waits for them to finish.
    pub async fn close(&self) {
        if let Err(e) = self.flush_delivered().await {
            tracing::warn!(error = %e, "delivered outbox entries not deleted at close");
        }
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
        if let Some(pool) = &self.relaxed {
            pool.close().await;
        }
        on_pool!(self, |pool| pool.close().await)
    }
}
