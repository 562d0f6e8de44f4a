//! The oracle: invariants checked after every step and at the end of a run.
//!
//! * agreement: for every ledger and every committed size, all honest nodes that reached that
//!   size have the same root (prefix roots included, via `merkle_info`);
//! * durability: an honest node's committed log only grows, and its old root stays a prefix root;
//! * termination: no live honest node holds a round past its deadline;
//! * all-or-none (end of run): a round the actor finished successfully finished successfully at
//!   every honest participant, unless that participant's link to the actor lost a message of the
//!   round or one of the two crashed during it (the residual window of two-phase commit without
//!   recovery, counted and reported); a round the actor did not commit committed nowhere.

use std::collections::BTreeMap;

use tmtm_consensus::MemoryLedgers;

#[derive(Default)]
pub struct Oracle {
    /// ledger -> size -> root observed at an honest node
    roots: BTreeMap<String, BTreeMap<u64, String>>,
    /// (node, ledger) -> last committed size seen
    sizes: BTreeMap<(usize, String), u64>,
}

impl Oracle {
    /// Check agreement and durability of node `i`'s ledgers.
    pub fn check_ledgers(
        &mut self,
        i: usize,
        ledgers: &MemoryLedgers,
        confirmed: &[String],
    ) -> Result<(), String> {
        for name in ledgers.names() {
            let Some(l) = ledgers.get(&name) else {
                continue;
            };
            let size = l.size();
            let key = (i, name.clone());
            let prev = self.sizes.get(&key).copied().unwrap_or(0);
            if size < prev && confirmed.contains(&name) {
                return Err(format!(
                    "durability: node {i} ledger {name} shrank from {prev} to {size}"
                ));
            }
            if size == prev {
                continue;
            }
            let from = if size > prev { prev + 1 } else { 1 };
            for k in from..=size {
                let root = if k == size {
                    l.root_hash().to_base58()
                } else {
                    l.merkle_info(k)
                        .map_err(|e| e.to_string())?
                        .root_hash
                        .to_base58()
                };
                let seen = self.roots.entry(name.clone()).or_default();
                match seen.get(&k) {
                    Some(r) if *r != root => {
                        return Err(format!("agreement: ledger {name} size {k}: node {i} has root {root}, another honest node {r}"))
                    }
                    Some(_) => {}
                    None => {
                        seen.insert(k, root);
                    }
                }
            }
            self.sizes.insert(key, size);
        }
        // a confirmed ledger must not disappear
        for name in confirmed {
            if !ledgers.names().contains(name) {
                return Err(format!("durability: node {i} lost confirmed ledger {name}"));
            }
        }
        Ok(())
    }
}
