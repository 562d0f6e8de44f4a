//! The typed errors of the crate: [`LedgerError`] (ledger operations), [`StoreError`]
//! (what a [`crate::LedgerStore`] backend reports) and [`ProofError`] (proof verification).

/// An error of a ledger operation.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// A transaction must be a JSON object (§5.2).
    #[error("a transaction must be a JSON object")]
    TransactionNotObject,
    /// The reserved key `txnMetadata` must be absent or a JSON object (§5.2).
    #[error("txnMetadata must be a JSON object")]
    MetadataNotObject,
    /// The transaction cannot be written as CJSON (e.g. it contains a float).
    #[error("transaction cannot be hashed: {0}")]
    Canonical(#[from] tmtm_wire::json::JsonError),
    /// `create` on a store that already holds a ledger.
    #[error("the store already holds ledger {0:?}")]
    AlreadyExists(String),
    /// `open` on a store that holds no ledger.
    #[error("no ledger {0:?} in this store")]
    NotFound(String),
    /// `open` with a name other than the one the store holds.
    #[error("the store holds ledger {found:?}, not {expected:?}")]
    NameMismatch {
        /// The name asked for.
        expected: String,
        /// The name in the store.
        found: String,
    },
    /// `commit`/`discard` of more transactions than are uncommitted.
    #[error("cannot take {count} transactions: only {uncommitted} are uncommitted")]
    CountTooLarge {
        /// The count asked for.
        count: u64,
        /// Number of uncommitted transactions.
        uncommitted: u64,
    },
    /// No transaction with this seqNo (0, or past the committed/uncommitted size).
    #[error("no transaction with seqNo {seq_no} (available: 1..={available})")]
    NoSuchSeqNo {
        /// The seqNo asked for.
        seq_no: u64,
        /// The largest seqNo that would have been accepted.
        available: u64,
    },
    /// A consistency proof between sizes that are not `old <= new <= committed size`.
    #[error("no consistency proof from size {old_size} to {new_size} (committed size {size})")]
    InvalidSizes {
        /// The older tree size.
        old_size: u64,
        /// The newer tree size.
        new_size: u64,
        /// The committed size of the ledger.
        size: u64,
    },
    /// The storage backend failed or holds inconsistent data.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An error reported by (or about) a storage backend.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend itself failed (IO, database, …).
    #[error("storage backend failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// A write batch does not fit the store's current state (size changed underneath,
    /// ledger already exists, gap in seqNos or node indices).
    #[error("write conflicts with the stored ledger: {0}")]
    Conflict(String),
    /// The stored data is inconsistent (missing transaction or node, root mismatch).
    #[error("stored ledger is corrupt: {0}")]
    Corrupt(String),
}

/// Why a proof does not verify.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange {
        /// 0-based leaf index.
        index: u64,
        /// Tree size.
        size: u64,
    },
    /// The old tree size is larger than the new one.
    #[error("old tree size {old_size} exceeds new tree size {new_size}")]
    InvalidSizes {
        /// Older size.
        old_size: u64,
        /// Newer size.
        new_size: u64,
    },
    /// The path has the wrong number of entries for the sizes/index given.
    #[error("proof has the wrong number of entries")]
    WrongLength,
    /// The path folds to a different root.
    #[error("proof does not lead to the expected root")]
    RootMismatch,
}
