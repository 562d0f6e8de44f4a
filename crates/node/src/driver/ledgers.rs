//! [`NodeLedgers`]: the node's [`LedgerAccess`] for one consensus step. It works on the
//! ledgers the driver loaded before the step (its cache of open microledgers, which also
//! holds the volatile uncommitted transactions of rounds in progress) and records every
//! durable effect — a creation or commit batch, a deletion — so that the driver writes them
//! in the step's database transaction. Appends and discards only touch memory: uncommitted
//! data is volatile by design (§5.5) and rebuilt by [`tmtm_consensus::Event::Restarted`].
//!
//! [`ledger_names_in`] finds the ledger names a received message may need loaded.

use std::collections::BTreeMap;

use serde_json::Value;
use tmtm_consensus::{ConsensusError, LedgerAccess};
use tmtm_microledger::{LedgerState, Microledger, Transaction, WriteBatch};

use crate::storage::LoadedLedger;

/// An open ledger held between steps.
pub(crate) type OpenLedger = Microledger<LoadedLedger>;

/// A durable effect of a step, in the order it happened.
#[derive(Debug)]
pub(crate) enum Effect {
    /// A ledger was created with this (genesis) batch.
    Create(WriteBatch),
    /// Transactions were committed.
    Commit(WriteBatch),
    /// A ledger was deleted (only a failed creation round does this).
    Delete(String),
}

impl Effect {
    fn ledger(&self) -> &str {
        match self {
            Effect::Create(b) | Effect::Commit(b) => &b.meta.name,
            Effect::Delete(name) => name,
        }
    }
}

/// The ledger port of one step; see the module documentation.
pub(crate) struct NodeLedgers<'a> {
    pub open: &'a mut BTreeMap<String, OpenLedger>,
    pub effects: Vec<Effect>,
}

fn lerr(e: impl std::fmt::Display) -> ConsensusError {
    ConsensusError::Ledger(e.to_string())
}

impl NodeLedgers<'_> {
    fn get_mut(&mut self, name: &str) -> Result<&mut OpenLedger, ConsensusError> {
        self.open
            .get_mut(name)
            .ok_or_else(|| lerr(format!("MicroLedger with name {name} does not exists")))
    }

    fn record_applied(&mut self, name: &str, commit: bool) -> Result<(), ConsensusError> {
        let batches = self.get_mut(name)?.store().take_applied();
        for batch in batches {
            self.effects.push(if commit {
                Effect::Commit(batch)
            } else {
                Effect::Create(batch)
            });
        }
        Ok(())
    }
}

impl LedgerAccess for NodeLedgers<'_> {
    fn exists(&self, name: &str) -> bool {
        self.open.contains_key(name)
    }

    fn state(&self, name: &str) -> Result<LedgerState, ConsensusError> {
        self.open
            .get(name)
            .map(Microledger::state)
            .ok_or_else(|| lerr(format!("MicroLedger with name {name} does not exists")))
    }

    fn create(
        &mut self,
        name: &str,
        genesis: Vec<Transaction>,
    ) -> Result<(LedgerState, Vec<Transaction>), ConsensusError> {
        if self.open.contains_key(name) {
            return Err(lerr(format!("ledger {name} already exists")));
        }
        let (ledger, txns) =
            Microledger::create(name, genesis, LoadedLedger::default()).map_err(lerr)?;
        let state = ledger.state();
        self.open.insert(name.to_owned(), ledger);
        self.record_applied(name, false)?;
        Ok((state, txns))
    }

    fn delete(&mut self, name: &str) -> Result<(), ConsensusError> {
        self.open.remove(name);
        // Created and deleted in the same step: nothing of it reaches the database.
        let created_here = self
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Create(b) if b.meta.name == name));
        if created_here {
            self.effects.retain(|e| e.ledger() != name);
        } else {
            self.effects.push(Effect::Delete(name.to_owned()));
        }
        Ok(())
    }

    fn append(
        &mut self,
        name: &str,
        txns: Vec<Transaction>,
        txn_time: Option<Value>,
    ) -> Result<(LedgerState, Vec<Transaction>), ConsensusError> {
        let ledger = self.get_mut(name)?;
        let appended = ledger.append(txns, txn_time).map_err(lerr)?;
        Ok((ledger.state(), appended.txns))
    }

    fn commit(&mut self, name: &str, count: u64) -> Result<LedgerState, ConsensusError> {
        let ledger = self.get_mut(name)?;
        ledger.commit(count).map_err(lerr)?;
        let state = ledger.state();
        self.record_applied(name, true)?;
        Ok(state)
    }

    fn discard(&mut self, name: &str, count: u64) -> Result<LedgerState, ConsensusError> {
        let ledger = self.get_mut(name)?;
        ledger.discard(count).map_err(lerr)?;
        Ok(ledger.state())
    }
}

/// Most names taken from one message (a peer cannot make us load the whole database).
const MAX_NAMES: usize = 64;
/// How deep into a message names are looked for.
const MAX_DEPTH: usize = 4;

/// Ledger names a consensus message refers to: every string under a `name` key (`ledger`,
/// `state`, the 1.0.25 parallel batches' `state`) and the strings of a `ledgers` array (2.x
/// parallel), at most [`MAX_NAMES`], looked for [`MAX_DEPTH`] levels deep.
pub(crate) fn ledger_names_in(message: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect(message, 0, &mut out);
    out.sort();
    out.dedup();
    out
}

fn collect(value: &Value, depth: usize, out: &mut Vec<String>) {
    if depth > MAX_DEPTH || out.len() >= MAX_NAMES {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("name", Value::String(s)) => push(out, s),
                    ("ledgers", Value::Array(items)) => {
                        for item in items {
                            if let Value::String(s) = item {
                                push(out, s);
                            }
                        }
                        collect(v, depth + 1, out);
                    }
                    _ => collect(v, depth + 1, out),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                collect(item, depth + 1, out);
            }
        }
        _ => {}
    }
}

fn push(out: &mut Vec<String>, name: &str) {
    if out.len() < MAX_NAMES && !name.is_empty() && !name.contains('\0') {
        out.push(name.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_come_from_ledger_state_and_ledgers() {
        let m = json!({
            "ledger": {"name": "A", "genesis": [{"name": "not-a-ledger-but-harmless"}]},
            "ledgers": ["B", "C"],
            "transactions": [{"transactions": [], "state": {"name": "D"}}],
        });
        let names = ledger_names_in(&m);
        for n in ["A", "B", "C", "D"] {
            assert!(names.contains(&n.to_owned()), "{n} in {names:?}");
        }
    }

    #[test]
    fn names_are_bounded() {
        let many: Vec<Value> = (0..500).map(|i| json!(format!("L{i}"))).collect();
        assert_eq!(
            ledger_names_in(&json!({ "ledgers": many })).len(),
            MAX_NAMES
        );
        let deep = json!({"a": {"b": {"c": {"d": {"e": {"f": {"name": "X"}}}}}}});
        assert!(ledger_names_in(&deep).is_empty());
    }
}
