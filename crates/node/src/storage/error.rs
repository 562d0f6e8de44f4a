//! [`StorageError`]: what the storage layer reports, and its conversions from sqlx, to the
//! microledger's [`StoreError`] and to the transport's [`StoreFailure`].
//!
//! No variant ever carries the connection URL or a message body: sqlx's own error texts do
//! not contain the URL, and the connect path builds its messages from the redacted URL only.

use tmtm_microledger::{LedgerError, StoreError};

use crate::ports::StoreFailure;

/// An error of the storage layer.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The write does not fit the stored state: a ledger batch whose `expected_size` is
    /// stale (another writer committed first), a ledger that already exists, a duplicate key.
    /// The whole [`super::Tx`] must be dropped (nothing of it is written).
    #[error("storage conflict: {0}")]
    Conflict(String),
    /// The thing asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// Stored data that cannot be what we wrote (bad hash length, unparsable JSON, gaps).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Input the store cannot hold the same way on every backend (a NUL character in text).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The connection URL or options are unusable (the text never contains the password).
    #[error("bad database configuration: {0}")]
    Config(String),
    /// A microledger operation on loaded rows failed (bad seqNo, corrupt rows, …).
    #[error("ledger operation failed: {0}")]
    Ledger(#[source] LedgerError),
    /// The database failed (unreachable, I/O, migration, driver error).
    #[error("database failure: {0}")]
    Backend(String),
}

impl From<sqlx::Error> for StorageError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => StorageError::NotFound("row".into()),
            sqlx::Error::Database(db)
                if matches!(
                    db.kind(),
                    sqlx::error::ErrorKind::UniqueViolation
                        | sqlx::error::ErrorKind::ForeignKeyViolation
                ) =>
            {
                StorageError::Conflict(db.message().to_owned())
            }
            _ => StorageError::Backend(err.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StorageError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        StorageError::Backend(format!("migration failed: {err}"))
    }
}

impl From<StorageError> for StoreFailure {
    fn from(err: StorageError) -> Self {
        StoreFailure(err.to_string())
    }
}

impl From<StorageError> for StoreError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::Conflict(m) => StoreError::Conflict(m),
            StorageError::Corrupt(m) => StoreError::Corrupt(m),
            other => StoreError::Backend(Box::new(other)),
        }
    }
}

/// Rejects text the backends would treat differently: PostgreSQL `TEXT` cannot hold U+0000,
/// SQLite can. Refusing it everywhere keeps the two backends interchangeable.
pub(crate) fn check_text(field: &str, value: &str) -> Result<(), StorageError> {
    if value.contains('\0') {
        return Err(StorageError::Invalid(format!(
            "{field} contains a NUL character"
        )));
    }
    Ok(())
}

/// Converts an unsigned count or position to the signed 64-bit integer SQL stores.
pub(crate) fn to_i64(field: &str, value: u64) -> Result<i64, StorageError> {
    i64::try_from(value).map_err(|_| StorageError::Invalid(format!("{field} {value} is too large")))
}

/// Converts a stored signed integer back; a negative value means the row is corrupt.
pub(crate) fn to_u64(field: &str, value: i64) -> Result<u64, StorageError> {
    u64::try_from(value).map_err(|_| StorageError::Corrupt(format!("{field} is negative")))
}
