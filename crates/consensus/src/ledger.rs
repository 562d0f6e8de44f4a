//! The synchronous ledger port the machines use, and an in-memory implementation over
//! `tmtm_microledger::Microledger<MemoryStore>` (used by tests and the simulation).
//!
//! Why a synchronous trait instead of "ledger commands + results fed back": every ledger step of
//! the protocol is local, short and needs its result immediately (the state hash after an append
//! is what gets signed). Feeding results back would double the number of machine states without
//! making anything more testable. The node implements this trait over its database and runs one
//! `Engine::handle` call inside one DB transaction, persisting the engine state in the same
//! transaction, then sends the returned commands.

use std::collections::BTreeMap;

use serde_json::Value;
use tmtm_microledger::{LedgerState, MemoryStore, Microledger, Transaction};

use crate::error::ConsensusError;

/// Ledger operations needed by simple consensus. All names are the wire names.
pub trait LedgerAccess {
    /// Does a ledger of that name exist (committed genesis at least)?
    fn exists(&self, name: &str) -> bool;
    /// Its state (committed and uncommitted).
    fn state(&self, name: &str) -> Result<LedgerState, ConsensusError>;
    /// Create a ledger with its genesis committed (seqNo 1..N); returns the state and the
    /// genesis as stored. Must fail if the ledger exists.
    fn create(
        &mut self,
        name: &str,
        genesis: Vec<Transaction>,
    ) -> Result<(LedgerState, Vec<Transaction>), ConsensusError>;
    /// Delete a ledger. The machines only call it for a ledger created by the same, failed,
    /// creation round.
    fn delete(&mut self, name: &str) -> Result<(), ConsensusError>;
    /// Append uncommitted transactions (`txn_time` None keeps an existing `txnTime`).
    fn append(
        &mut self,
        name: &str,
        txns: Vec<Transaction>,
        txn_time: Option<Value>,
    ) -> Result<(LedgerState, Vec<Transaction>), ConsensusError>;
    /// Commit the first `count` uncommitted transactions.
    fn commit(&mut self, name: &str, count: u64) -> Result<LedgerState, ConsensusError>;
    /// Drop the last `count` uncommitted transactions.
    fn discard(&mut self, name: &str, count: u64) -> Result<LedgerState, ConsensusError>;
}

fn lerr(e: impl std::fmt::Display) -> ConsensusError {
    ConsensusError::Ledger(e.to_string())
}

/// Ledgers held in memory, one `Microledger<MemoryStore>` per name.
#[derive(Default)]
pub struct MemoryLedgers {
    ledgers: BTreeMap<String, Microledger<MemoryStore>>,
}

impl MemoryLedgers {
    /// No ledgers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Names of all ledgers.
    pub fn names(&self) -> Vec<String> {
        self.ledgers.keys().cloned().collect()
    }

    /// Direct access to one ledger.
    pub fn get(&self, name: &str) -> Option<&Microledger<MemoryStore>> {
        self.ledgers.get(name)
    }

    /// The committed transactions of a ledger (1..=size).
    pub fn committed(&self, name: &str) -> Result<Vec<Transaction>, ConsensusError> {
        let ledger = self
            .ledgers
            .get(name)
            .ok_or_else(|| lerr(format!("no ledger {name}")))?;
        (1..=ledger.size())
            .map(|n| ledger.get(n).map_err(lerr))
            .collect()
    }

    /// What a restart leaves: every ledger with its committed part only (uncommitted data is
    /// volatile, §5.5).
    pub fn drop_uncommitted(&mut self) -> Result<(), ConsensusError> {
        for ledger in self.ledgers.values_mut() {
            ledger.reset_uncommitted().map_err(lerr)?;
        }
        Ok(())
    }
}

impl LedgerAccess for MemoryLedgers {
    fn exists(&self, name: &str) -> bool {
        self.ledgers.contains_key(name)
    }

    fn state(&self, name: &str) -> Result<LedgerState, ConsensusError> {
        self.ledgers
            .get(name)
            .map(Microledger::state)
            .ok_or_else(|| lerr(format!("MicroLedger with name {name} does not exists")))
    }

    fn create(
        &mut self,
        name: &str,
        genesis: Vec<Transaction>,
    ) -> Result<(LedgerState, Vec<Transaction>), ConsensusError> {
        if self.ledgers.contains_key(name) {
            return Err(lerr(format!("ledger {name} already exists")));
        }
        let (ledger, txns) =
            Microledger::create(name, genesis, MemoryStore::default()).map_err(lerr)?;
        let state = ledger.state();
        self.ledgers.insert(name.to_string(), ledger);
        Ok((state, txns))
    }

    fn delete(&mut self, name: &str) -> Result<(), ConsensusError> {
        self.ledgers.remove(name);
        Ok(())
    }

    fn append(
        &mut self,
        name: &str,
        txns: Vec<Transaction>,
        txn_time: Option<Value>,
    ) -> Result<(LedgerState, Vec<Transaction>), ConsensusError> {
        let ledger = self
            .ledgers
            .get_mut(name)
            .ok_or_else(|| lerr(format!("no ledger {name}")))?;
        let appended = ledger.append(txns, txn_time).map_err(lerr)?;
        Ok((ledger.state(), appended.txns))
    }

    fn commit(&mut self, name: &str, count: u64) -> Result<LedgerState, ConsensusError> {
        let ledger = self
            .ledgers
            .get_mut(name)
            .ok_or_else(|| lerr(format!("no ledger {name}")))?;
        ledger.commit(count).map_err(lerr)?;
        Ok(ledger.state())
    }

    fn discard(&mut self, name: &str, count: u64) -> Result<LedgerState, ConsensusError> {
        let ledger = self
            .ledgers
            .get_mut(name)
            .ok_or_else(|| lerr(format!("no ledger {name}")))?;
        ledger.discard(count).map_err(lerr)?;
        Ok(ledger.state())
    }
}
