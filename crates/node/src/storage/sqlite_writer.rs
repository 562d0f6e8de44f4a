//! The SQLite writer thread: one `rusqlite` connection to the database file, on an OS thread
//! of its own, that runs a whole [`WritePlan`] — `BEGIN IMMEDIATE`, every statement, `COMMIT`
//! — per request.
//!
//! Why: sqlx runs each SQLite connection on a worker thread and every statement (and `BEGIN`
//! and `COMMIT`) is a round trip to it — two thread wake-ups. A consensus step is 6–10
//! statements, so on this 2-core machine a step spent ~0.4 ms in hand-offs before its own
//! work (`docs/BENCHMARKS.md`, "What was tried" 20, with the measurement). Here a step is one
//! hand-off; the statements run back to back on the thread that owns the connection.
//!
//! The thread takes part in the process's writer turn ([`super::Database::write_turn`]): the
//! caller takes the turn, and the thread gives it back after `COMMIT` or `ROLLBACK`, so sqlx
//! writers of this process never meet it inside SQLite's busy handler. Other processes meet
//! the same busy timeout as the pools. Durability per plan: `synchronous=FULL` (fsync at
//! commit) or `NORMAL` (see "Bookkeeping writes" in the module docs of `storage`), set on
//! the connection only when it changes.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::ffi::ErrorCode;
use tokio::sync::{oneshot, OwnedMutexGuard};

use super::pending::PendingWrite;
use super::plan::{changed_rows, resolve, set_slot, Outcome, PlanOutput, Resolved, WritePlan};
use super::StorageError;

/// Prepared statements kept per connection (a step's statements differ by their row counts).
const STATEMENT_CACHE: usize = 128;

/// A request to the thread.
enum Job {
    Write {
        plan: WritePlan,
        sync: bool,
        turn: Option<OwnedMutexGuard<()>>,
        reply: oneshot::Sender<Result<PlanOutput, StorageError>>,
    },
    Close(oneshot::Sender<()>),
}

/// The handle to the writer thread of one SQLite file. Dropping the last handle ends the
/// thread (after the plan it is running, if any).
#[derive(Debug)]
pub(crate) struct SqliteWriter {
    jobs: std::sync::Mutex<Option<mpsc::Sender<Job>>>,
}

impl SqliteWriter {
    /// Opens a connection to `path` (which the pools have created and migrated) on a new
    /// thread; fails if SQLite cannot open it.
    pub(crate) async fn start(
        path: &Path,
        busy_timeout: Duration,
    ) -> Result<SqliteWriter, StorageError> {
        let (jobs, inbox) = mpsc::channel();
        let (opened, opening) = oneshot::channel();
        let path: PathBuf = path.to_owned();
        std::thread::Builder::new()
            .name("tmtm-sqlite-writer".into())
            .spawn(move || match open(&path, busy_timeout) {
                Ok(conn) => {
                    let _ = opened.send(Ok(()));
                    serve(conn, &inbox);
                }
                Err(e) => {
                    let _ = opened.send(Err(e));
                }
            })
            .map_err(|e| StorageError::Backend(format!("cannot start the SQLite writer: {e}")))?;
        opening.await.map_err(|_| stopped())??;
        Ok(SqliteWriter {
            jobs: std::sync::Mutex::new(Some(jobs)),
        })
    }

    /// Runs `plan` in one transaction on the writer thread; `turn` (this process's writer
    /// turn) is released when the transaction has ended. `sync`: fsync at commit.
    pub(crate) async fn write(
        &self,
        plan: WritePlan,
        sync: bool,
        turn: Option<OwnedMutexGuard<()>>,
    ) -> Result<PlanOutput, StorageError> {
        self.submit(plan, sync, turn).await
    }

    /// Hands `plan` over and returns its pending outcome without waiting for it (the turn
    /// is released when the plan has ended).
    pub(crate) fn submit(
        &self,
        plan: WritePlan,
        sync: bool,
        turn: Option<OwnedMutexGuard<()>>,
    ) -> PendingWrite {
        let (reply, answer) = oneshot::channel();
        match self.send(Job::Write {
            plan,
            sync,
            turn,
            reply,
        }) {
            Ok(()) => PendingWrite::waiting(answer),
            Err(e) => PendingWrite::ready(Err(e)),
        }
    }

    /// Closes the connection and waits until it is closed (later writes fail).
    pub(crate) async fn close(&self) {
        let (done, closed) = oneshot::channel();
        if self.send(Job::Close(done)).is_ok() {
            let _ = closed.await;
        }
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.take();
        }
    }

    fn send(&self, job: Job) -> Result<(), StorageError> {
        let jobs = self.jobs.lock().map_err(|_| stopped())?;
        match jobs.as_ref() {
            Some(jobs) => jobs.send(job).map_err(|_| stopped()),
            None => Err(stopped()),
        }
    }
}

fn stopped() -> StorageError {
    StorageError::Backend("the SQLite writer has stopped".into())
}

fn open(path: &Path, busy_timeout: Duration) -> Result<rusqlite::Connection, StorageError> {
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = rusqlite::Connection::open_with_flags(path, flags).map_err(backend)?;
    conn.busy_timeout(busy_timeout).map_err(backend)?;
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;")
        .map_err(backend)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .map_err(backend)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StorageError::Config(format!(
            "the SQLite file is in journal mode {mode}, not WAL"
        )));
    }
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// The thread's loop: one job after another until every handle is gone or `Close`.
fn serve(conn: rusqlite::Connection, inbox: &mpsc::Receiver<Job>) {
    let mut synced = true;
    while let Ok(job) = inbox.recv() {
        match job {
            Job::Write {
                plan,
                sync,
                turn,
                reply,
            } => {
                let result = write(&conn, &plan, sync, &mut synced);
                drop(turn);
                let _ = reply.send(result);
            }
            Job::Close(done) => {
                drop(conn);
                let _ = done.send(());
                return;
            }
        }
    }
}

/// One plan in one transaction; rolled back on any error.
fn write(
    conn: &rusqlite::Connection,
    plan: &WritePlan,
    sync: bool,
    synced: &mut bool,
) -> Result<PlanOutput, StorageError> {
    if sync != *synced {
        let pragma = if sync {
            "PRAGMA synchronous = FULL"
        } else {
            "PRAGMA synchronous = NORMAL"
        };
        conn.execute_batch(pragma).map_err(backend)?;
        *synced = sync;
    }
    conn.execute_batch("BEGIN IMMEDIATE").map_err(backend)?;
    match run(conn, plan) {
        Ok(out) => match conn.execute_batch("COMMIT") {
            Ok(()) => Ok(out),
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(backend(e))
            }
        },
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

fn run(conn: &rusqlite::Connection, plan: &WritePlan) -> Result<PlanOutput, StorageError> {
    let mut out = PlanOutput {
        ids: Vec::new(),
        slots: vec![0; plan.slots()],
    };
    for st in &plan.statements {
        let mut stmt = conn.prepare_cached(&numbered(&st.sql)).map_err(backend)?;
        for (i, a) in st.args.iter().enumerate() {
            let bound = match resolve(a, &out.slots) {
                Resolved::Int(v) => stmt.raw_bind_parameter(i + 1, v),
                Resolved::Text(v) => stmt.raw_bind_parameter(i + 1, v),
                Resolved::Blob(v) => stmt.raw_bind_parameter(i + 1, v),
            };
            bound.map_err(backend)?;
        }
        match &st.outcome {
            Outcome::ReturnOne { slot, missing } => {
                let mut rows = stmt.raw_query();
                let first = rows.next().map_err(backend)?;
                match first {
                    Some(row) => {
                        let v: i64 = row.get(0).map_err(backend)?;
                        set_slot(&mut out.slots, *slot, v);
                    }
                    None => return Err(StorageError::Conflict(missing.clone())),
                }
                // Step to the end, so the statement completes.
                while rows.next().map_err(backend)?.is_some() {}
            }
            Outcome::ReturnIds => {
                let mut rows = stmt.raw_query();
                let mut ids = Vec::new();
                while let Some(row) = rows.next().map_err(backend)? {
                    ids.push(row.get::<_, i64>(0).map_err(backend)?);
                }
                ids.sort_unstable();
                out.ids.extend(ids);
            }
            Outcome::Exec | Outcome::Count(_) | Outcome::MustChange(_) => {
                let changed = stmt.raw_execute().map_err(backend)?;
                changed_rows(&st.outcome, changed as u64, &mut out.slots)?;
            }
        }
    }
    Ok(out)
}

/// `sql` with its `$N` placeholders (the PostgreSQL form every statement of a plan is written
/// in) as SQLite's `?N`. Both are bound by position, but SQLite treats `$N` as a *name* and
/// looks each one up in the list of names seen so far when it parses a statement: quadratic
/// in the parameters, and a multi-row insert has up to 960 (`multirow.rs`). A step's
/// statements differ by their row counts, so they are parsed often (~1–2 % of a loaded node's
/// CPU went to that lookup). Our statements hold no `$` followed by a digit anywhere else.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// rusqlite's errors as the storage layer's, as `From<sqlx::Error>` maps sqlx's: a unique,
/// primary-key or foreign-key violation is a conflict.
fn backend(err: rusqlite::Error) -> StorageError {
    if let rusqlite::Error::SqliteFailure(e, message) = &err {
        let conflict = e.code == ErrorCode::ConstraintViolation
            && matches!(
                e.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                    | rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY
            );
        if conflict {
            return StorageError::Conflict(message.clone().unwrap_or_else(|| e.to_string()));
        }
    }
    StorageError::Backend(err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::plan::{Arg, Outcome};

    #[test]
    fn placeholders_become_numbered_and_nothing_else_changes() {
        assert_eq!(
            numbered("INSERT INTO t (a, b) VALUES ($1, $2), ($3, $10) ON CONFLICT DO NOTHING"),
            "INSERT INTO t (a, b) VALUES (?1, ?2), (?3, ?10) ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            numbered("SELECT json_extract(body, '$.name') FROM t WHERE x = $1 AND y = $1"),
            "SELECT json_extract(body, '$.name') FROM t WHERE x = ?1 AND y = ?1"
        );
    }

    fn insert(n: i64) -> WritePlan {
        let mut plan = WritePlan::new();
        plan.push(
            "INSERT INTO t (n, pad) VALUES ($1, $2) RETURNING n".into(),
            vec![Arg::Int(n), Arg::Blob(vec![7; 3000])],
            Outcome::ReturnIds,
        );
        plan
    }

    #[tokio::test]
    async fn plans_commit_in_order_and_the_wal_stays_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; CREATE TABLE t (n INTEGER PRIMARY KEY, pad BLOB);",
        )
        .unwrap();
        drop(conn);
        let writer = SqliteWriter::start(&path, Duration::from_secs(5))
            .await
            .unwrap();
        // ~6,000 pages, some commits durable: SQLite's automatic checkpoint bounds the WAL.
        for n in 1..=2000 {
            let out = writer.write(insert(n), n % 100 == 0, None).await.unwrap();
            assert_eq!(out.ids, vec![n]);
        }
        let wal = std::fs::metadata(dir.path().join("w.db-wal"))
            .unwrap()
            .len();
        assert!(wal < 8 * 1024 * 1024, "WAL of {wal} bytes");
        // A duplicate key is a conflict, rolled back, and the writer goes on afterwards.
        let mut plan = insert(3000);
        plan.statements.extend(insert(5).statements);
        let err = writer.write(plan, false, None).await.unwrap_err();
        assert!(matches!(err, StorageError::Conflict(_)), "{err:?}");
        writer.write(insert(2001), true, None).await.unwrap();
        writer.close().await;
        assert!(writer.write(insert(2002), true, None).await.is_err());
        let conn = rusqlite::Connection::open(&path).unwrap();
        let (count, max): (i64, i64) = conn
            .query_row("SELECT COUNT(*), MAX(n) FROM t", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((count, max), (2001, 2001), "the failed plan left nothing");
    }

    #[tokio::test]
    async fn a_file_not_in_wal_mode_or_missing_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollback.db");
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (n INTEGER)")
            .unwrap();
        let err = SqliteWriter::start(&path, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(matches!(err, StorageError::Config(_)), "{err:?}");
        let missing = SqliteWriter::start(&dir.path().join("none/x.db"), Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(matches!(missing, StorageError::Backend(_)), "{missing:?}");
    }
}
