//! Local errors of the crate (never sent on the wire; protocol failures are [`crate::ProblemReport`]s).

/// A local failure: bad JSON for hashing, a ledger operation that failed, an unknown peer.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConsensusError {
    /// The value cannot be canonicalised (e.g. it holds a float).
    #[error("json: {0}")]
    Json(String),
    /// A ledger operation failed.
    #[error("ledger: {0}")]
    Ledger(String),
    /// Signing failed.
    #[error("signature: {0}")]
    Signature(String),
}
