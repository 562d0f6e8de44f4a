//! Opening a [`Database`]: URL parsing, per-backend connection options (SQLite WAL +
//! `synchronous=FULL` + foreign keys + busy timeout, plus the `synchronous=NORMAL` pool for
//! bookkeeping writes; PostgreSQL `search_path`), pool sizing and the embedded migrations, which run on every connect (applied ones are skipped).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{Backend, Database, StorageError};
use crate::secret::DatabaseUrl;

/// The SQLite dialect of the schema.
pub(crate) static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
/// The PostgreSQL dialect of the same schema (same versions and descriptions).
pub(crate) static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Tuning of a [`Database`] connection.
#[derive(Clone, Debug)]
pub struct StorageOptions {
    /// Largest number of pooled connections (SQLite in memory always uses one).
    pub max_connections: u32,
    /// How long an SQLite writer waits for another one before failing.
    pub busy_timeout: Duration,
    /// How long to wait for a pooled connection (and, on connect, for the server to answer).
    pub acquire_timeout: Duration,
    /// PostgreSQL only: the schema to use (created if missing) instead of `public`. Set as
    /// `search_path` on every pooled connection. Lowercase ASCII letters, digits and `_`, not
    /// starting with a digit, at most 63 bytes.
    pub pg_schema: Option<String>,
}

impl Default for StorageOptions {
    fn default() -> Self {
        StorageOptions {
            max_connections: 8,
            busy_timeout: Duration::from_secs(10),
            acquire_timeout: Duration::from_secs(15),
            pg_schema: None,
        }
    }
}

impl Database {
    /// Connects to `sqlite://PATH?mode=rwc` or `postgres://…` and runs the migrations.
    pub async fn connect(url: &DatabaseUrl) -> Result<Database, StorageError> {
        Self::connect_with(url, &StorageOptions::default()).await
    }

    /// [`Database::connect`] with explicit options.
    pub async fn connect_with(
        url: &DatabaseUrl,
        options: &StorageOptions,
    ) -> Result<Database, StorageError> {
        let config =
            |e: sqlx::Error| StorageError::Config(format!("cannot use {}: {e}", url.redacted()));
        match url.scheme().as_deref() {
            Some("sqlite") => {
                let connect = SqliteConnectOptions::from_str(url.expose()).map_err(config)?;
                let text = url.expose();
                let in_memory = text.contains(":memory:") || text.contains("mode=memory");
                open_sqlite(connect, options, in_memory).await
            }
            Some("postgres" | "postgresql") => {
                let connect = PgConnectOptions::from_str(url.expose()).map_err(config)?;
                open_postgres(connect, options).await
            }
            _ => Err(StorageError::Config(format!(
                "unsupported database URL {} (use sqlite:// or postgres://)",
                url.redacted()
            ))),
        }
    }

    /// Opens (creating if needed) the SQLite database file at `path` — the embedded default
    /// in the data directory. Takes a path, so no URL escaping of the file name is needed.
    pub async fn open_sqlite_file(
        path: &Path,
        options: &StorageOptions,
    ) -> Result<Database, StorageError> {
        let connect = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        open_sqlite(connect, options, false).await
    }
}

async fn open_sqlite(
    connect: SqliteConnectOptions,
    options: &StorageOptions,
    in_memory: bool,
) -> Result<Database, StorageError> {
    let path = connect.get_filename().to_owned();
    let connect = connect
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(options.busy_timeout);
    // No liveness ping before each use: a connection to a local file does not go stale, and
    // the ping cost a round trip to the connection's worker thread per unit of work.
    let mut pool = SqlitePoolOptions::new()
        .max_connections(options.max_connections.max(1))
        .acquire_timeout(options.acquire_timeout)
        .test_before_acquire(false);
    if in_memory {
        // Every connection to `:memory:` is a database of its own: keep exactly one, forever.
        pool = pool
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None);
    }
    let pool = pool
        .connect_with(connect.clone())
        .await
        .map_err(connect_error)?;
    SQLITE_MIGRATIONS.run(&pool).await?;
    // Bookkeeping writes (see "Bookkeeping writes" in the module docs of `storage`): the
    // same file, without an fsync of their own. `:memory:` has a single connection.
    let relaxed = if in_memory {
        None
    } else {
        let relaxed = SqlitePoolOptions::new()
            .max_connections(2)
            .acquire_timeout(options.acquire_timeout)
            .test_before_acquire(false)
            .connect_with(connect.synchronous(SqliteSynchronous::Normal))
            .await
            .map_err(connect_error)?;
        Some(relaxed)
    };
    // Units of work written as a plan go to a connection on a thread of its own.
    let writer = if in_memory {
        None
    } else {
        let writer = super::sqlite_writer::SqliteWriter::start(&path, options.busy_timeout).await?;
        Some(std::sync::Arc::new(writer))
    };
    let db = Database {
        backend: Backend::Sqlite(pool),
        write_lock: Default::default(),
        relaxed,
        dedup: Default::default(),
        writer,
        delivered: Default::default(),
    };
    db.load_dedup_cache().await?;
    Ok(db)
}

async fn open_postgres(
    mut connect: PgConnectOptions,
    options: &StorageOptions,
) -> Result<Database, StorageError> {
    if let Some(schema) = &options.pg_schema {
        check_schema_name(schema)?;
        // Create the schema first, over a connection that does not need it yet.
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect.clone())
            .await
            .map_err(connect_error)?;
        sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
            .execute(&pool)
            .await?;
        pool.close().await;
        connect = connect.options([("search_path", schema.as_str())]);
    }
    let pool = PgPoolOptions::new()
        .max_connections(options.max_connections.max(1))
        .acquire_timeout(options.acquire_timeout)
        .connect_with(connect)
        .await
        .map_err(connect_error)?;
    POSTGRES_MIGRATIONS.run(&pool).await?;
    let db = Database {
        backend: Backend::Postgres(pool),
        write_lock: Default::default(),
        relaxed: None,
        dedup: Default::default(),
        writer: None,
        delivered: Default::default(),
    };
    db.load_dedup_cache().await?;
    Ok(db)
}

fn connect_error(err: sqlx::Error) -> StorageError {
    StorageError::Backend(format!("cannot connect to the database: {err}"))
}

/// Only plain identifiers, so the name can be quoted into SQL without escaping.
fn check_schema_name(schema: &str) -> Result<(), StorageError> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !schema.as_bytes().first().is_some_and(u8::is_ascii_digit);
    if ok {
        Ok(())
    } else {
        Err(StorageError::Config(format!(
            "invalid PostgreSQL schema name {schema:?}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_dialects_have_the_same_migrations() {
        let names = |m: &Migrator| {
            m.iter()
                .map(|m| (m.version, m.description.to_string()))
                .collect::<Vec<_>>()
        };
        let sqlite = names(&SQLITE_MIGRATIONS);
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, names(&POSTGRES_MIGRATIONS));
    }

    #[test]
    fn schema_names_are_plain_identifiers() {
        assert!(check_schema_name("tmtm_test_1a2b").is_ok());
        for bad in [
            "",
            "1abc",
            "Upper",
            "a\"b",
            "a b",
            "a;drop",
            &"x".repeat(64),
        ] {
            assert!(check_schema_name(bad).is_err(), "{bad:?}");
        }
    }
}
