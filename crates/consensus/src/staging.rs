//! What the commit flows of both roles share about staged (uncommitted) transactions: the
//! message-name suffix of the parallel flow, the hash over the states a round produced, and
//! discarding exactly what a round staged.

use tmtm_microledger::{LedgerState, Transaction};

use crate::error::ConsensusError;
use crate::hashes::{parallel_hash, state_hash};
use crate::round::Env;

/// `name` or `name-parallel` (§6.6).
pub(crate) fn sfx(parallel: bool, name: &str) -> String {
    if parallel {
        format!("{name}-parallel")
    } else {
        name.to_string()
    }
}

/// The hash a round signs: the parallel hash of all states, or the state hash of the only one.
pub(crate) fn round_hash(parallel: bool, states: &[LedgerState]) -> Result<String, ConsensusError> {
    if parallel {
        parallel_hash(states)
    } else {
        states
            .first()
            .map(state_hash)
            .unwrap_or_else(|| Ok(String::new()))
    }
}

/// Drop exactly what this round staged (never more, never a committed transaction).
pub(crate) fn discard_staged(env: &mut Env<'_>, appended: &[(String, Vec<Transaction>)]) {
    for (name, txns) in appended {
        if let Ok(st) = env.ledgers.state(name) {
            let pending = st.uncommitted_size.saturating_sub(st.size);
            let n = (txns.len() as u64).min(pending);
            if n > 0 {
                let _ = env.ledgers.discard(name, n);
            }
        }
    }
}

/// After a restart: append every ledger's transactions again (keeping their `txnTime`) and
/// return the hash of the resulting states (None if it cannot be computed), to compare with
/// the one the round signed. A ledger error is returned as is.
pub(crate) fn restage(
    env: &mut Env<'_>,
    parallel: bool,
    staged: &[(String, Vec<Transaction>)],
) -> Result<Option<String>, ConsensusError> {
    let mut states = Vec::with_capacity(staged.len());
    for (name, txns) in staged {
        let (st, _) = env.ledgers.append(name, txns.clone(), None)?;
        states.push(st);
    }
    Ok(round_hash(parallel, &states).ok())
}

/// Commit the transactions each ledger staged; returns the committed states.
pub(crate) fn commit_staged(
    env: &mut Env<'_>,
    staged: &[(String, Vec<Transaction>)],
) -> Result<Vec<LedgerState>, ConsensusError> {
    let mut states = Vec::with_capacity(staged.len());
    for (name, txns) in staged {
        states.push(env.ledgers.commit(name, txns.len() as u64)?);
    }
    Ok(states)
}
