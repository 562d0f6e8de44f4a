//! Process-wide counters of the expensive operations of this crate — envelopes packed and
//! unpacked, signature decorators made and verified — for the node-level cost model
//! (`tmtm-bench`, `docs/BENCHMARKS.md`). Relaxed atomic increments: nothing else reads them.

use std::sync::atomic::{AtomicU64, Ordering};

static PACKS: AtomicU64 = AtomicU64::new(0);
static UNPACKS: AtomicU64 = AtomicU64::new(0);
static SIGNS: AtomicU64 = AtomicU64::new(0);
static VERIFIES: AtomicU64 = AtomicU64::new(0);

/// How many of each operation this process has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CryptoOps {
    /// Envelopes packed ([`crate::envelope::pack`]).
    pub packs: u64,
    /// Envelopes unpacked (successfully or not).
    pub unpacks: u64,
    /// Signature decorators made ([`crate::signature::sign`]).
    pub signs: u64,
    /// Ed25519 verifications of signature decorators ([`crate::signature::verify`]; one
    /// answered from the memory of verified signatures is not counted).
    pub verifies: u64,
}

/// The counts so far.
pub fn snapshot() -> CryptoOps {
    CryptoOps {
        packs: PACKS.load(Ordering::Relaxed),
        unpacks: UNPACKS.load(Ordering::Relaxed),
        signs: SIGNS.load(Ordering::Relaxed),
        verifies: VERIFIES.load(Ordering::Relaxed),
    }
}

pub(crate) fn pack() {
    PACKS.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn unpack() {
    UNPACKS.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn sign() {
    SIGNS.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn verify() {
    VERIFIES.fetch_add(1, Ordering::Relaxed);
}
