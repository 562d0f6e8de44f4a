//! Which open microledgers the driver keeps between steps.
//!
//! Ledgers of rounds in flight must stay open (their staged transactions live only there).
//! A ledger whose round ended is kept too when it holds nothing uncommitted — it then equals
//! its stored rows, since this node is the only writer of its database (the data-directory
//! lock; a failed step drops every open ledger and recovers from the database) — so the next
//! round on a busy container does not load its head again at every node. At most
//! [`KEEP_UNLOCKED`] such ledgers are kept, each holding at most [`KEEP_ROWS`] rows (a
//! ledger's in-memory rows grow with every commit; past the limit it is reloaded, which
//! fetches only its O(log n) head).

use std::collections::BTreeMap;

use super::ledgers::OpenLedger;

/// Unlocked ledgers kept open at most.
pub(crate) const KEEP_UNLOCKED: usize = 64;
/// Rows (subtree hashes and transactions) an unlocked ledger may hold and stay open. A
/// freshly loaded head holds O(log n) hashes; every commit adds its transactions (kept whole)
/// and their hashes, so a busy ledger is reloaded every ten rounds or so. (With 4,096 rows
/// the 100-container memory run grew from 82 to 297 MiB per node: `docs/BENCHMARKS.md`.)
pub(crate) const KEEP_ROWS: usize = 32;

/// Drops the open ledgers that are not worth keeping after a step (module docs).
pub(crate) fn trim(open: &mut BTreeMap<String, OpenLedger>, locked: &[String]) {
    open.retain(|name, ledger| {
        if locked.contains(name) {
            return true;
        }
        let (nodes, txns) = ledger.store().rows_held();
        ledger.size() == ledger.uncommitted_size() && nodes + txns <= KEEP_ROWS
    });
    let unlocked: Vec<String> = open
        .keys()
        .filter(|name| !locked.contains(name))
        .cloned()
        .collect();
    for name in unlocked.iter().skip(KEEP_UNLOCKED) {
        open.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use tmtm_microledger::{Microledger, Transaction};

    use super::*;
    use crate::storage::LoadedLedger;

    fn txn(i: u64) -> Transaction {
        serde_json::from_value(json!({"op": "doc", "i": i})).unwrap()
    }

    fn ledger(name: &str, staged: bool) -> OpenLedger {
        let (mut l, _) = Microledger::create(name, vec![txn(0)], LoadedLedger::default()).unwrap();
        if staged {
            l.append(vec![txn(1)], None).unwrap();
        }
        l
    }

    #[test]
    fn locked_ledgers_stay_clean_ones_are_kept_staged_ones_dropped() {
        let mut open = BTreeMap::new();
        open.insert("locked".to_owned(), ledger("locked", true));
        open.insert("clean".to_owned(), ledger("clean", false));
        open.insert("staged".to_owned(), ledger("staged", true));
        trim(&mut open, &["locked".to_owned()]);
        let kept: Vec<&str> = open.keys().map(String::as_str).collect();
        assert_eq!(kept, ["clean", "locked"]);
    }

    #[test]
    fn at_most_the_limit_of_unlocked_ledgers_is_kept() {
        let mut open = BTreeMap::new();
        for i in 0..KEEP_UNLOCKED + 10 {
            let name = format!("c{i:04}");
            open.insert(name.clone(), ledger(&name, false));
        }
        open.insert("zz-locked".to_owned(), ledger("zz-locked", true));
        trim(&mut open, &["zz-locked".to_owned()]);
        assert_eq!(open.len(), KEEP_UNLOCKED + 1);
        assert!(open.contains_key("zz-locked"));
    }
}
