//! `tmtm-microledger`: one append-only transaction log per container, an RFC 6962 Merkle tree
//! hashed exactly as Sirius/Indy Plenum do, with committed/uncommitted staging and proofs.
//! Pure: storage sits behind a small trait.
//!
//! * [`hash`]: the [`Hash`](struct@Hash) type and the leaf/node/empty hashing of §5.3.
//! * [`transaction`]: the [`Transaction`] model, its metadata and its leaf hash (Q1 lives there).
//! * [`tree`]: prefix roots, inclusion paths and consistency proofs from stored subtree hashes.
//! * [`verify`]: proof verifiers.
//! * [`store`]: the [`LedgerStore`] trait and its contract; [`memory`]: [`MemoryStore`].
//! * [`Microledger`]: staging (`ledger`) and reads/proofs (`reads`); [`state`]: returned values.
//!
//! Section numbers (§) refer to `shared/spec/sirius-protocol.md`.

#![forbid(unsafe_code)]

pub mod error;
pub mod hash;
mod ledger;
pub mod memory;
mod reads;
pub mod state;
pub mod store;
pub mod transaction;
pub mod tree;
pub mod verify;

pub use error::{LedgerError, ProofError, StoreError};
pub use hash::{Hash, HashError};
pub use ledger::Microledger;
pub use memory::MemoryStore;
pub use state::{Appended, AuditProof, Committed, LedgerState, MerkleInfo};
pub use store::{LedgerMeta, LedgerStore, WriteBatch};
pub use transaction::{leaf_data, leaf_hash, Transaction};
pub use tree::NodeKey;
pub use verify::{root_from_inclusion_path, verify_consistency, verify_inclusion};
