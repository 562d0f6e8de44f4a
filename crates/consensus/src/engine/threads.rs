//! The record of thread ids this node has taken part in, so that a replayed proposal of an old
//! round is refused (§9.13), and its bounded retention.
//!
//! A thread id is kept while its round runs and for [`USED_THREAD_RETENTION_TTLS`] × the
//! maximum time to live (`Config::max_ttl_sec`) after the round ended; then it is forgotten,
//! so the record stays bounded by the rounds of that window.
//!
//! Why forgetting is safe: a replay of a proposal whose thread id was forgotten starts a fresh
//! participant round, which can never commit anything by itself:
//! * a commit or parallel proposal carries the hash of the actor's states after appending, which
//!   covers the ledger's committed size and root. If the old round committed here, our ledger
//!   has grown since, so the proposed state (1.0.25 / single-ledger: its committed size and root;
//!   2.x parallel: the hash over our states after appending) no longer matches and the proposal
//!   is refused before anything is signed, with nothing left staged;
//! * a creation proposal names a ledger that, if the old round succeeded, exists: refused;
//! * if the old round did not commit here, the replay stages and answers an actor that has no
//!   round of that thread any more (actor rounds start only from a local `Start`): the actor drops
//!   the answer, no `stage-commit` signed by every participant can follow, and the replayed round
//!   times out and discards what it staged (creation: deletes the ledger it created). Its only
//!   cost is holding the ledger lock for one time to live.
//!
//! Retention of twice the longest time to live covers every retransmission and duplicate the
//! rounds themselves produce (they stop at their deadline, and a finished round's reply record
//! lives about one time to live), so honest traffic never meets a forgotten thread id.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::expiry::ExpiryIndex;

/// A finished round's thread id is remembered this many maximum times to live.
pub const USED_THREAD_RETENTION_TTLS: u64 = 2;

/// Thread id → time (ms) until which it is remembered (`u64::MAX` while its round runs).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct UsedThreads {
    until: BTreeMap<String, u64>,
    /// Thread ids added, changed or forgotten since the last [`UsedThreads::take_dirty`]
    /// (what the node has to write; not part of the state itself).
    #[serde(skip)]
    dirty: BTreeSet<String>,
    /// When each closed thread's id is forgotten (ids of running rounds are not in it).
    /// Derived from `until`: kept in step where that changes, rebuilt by
    /// [`UsedThreads::reindex`] after loading.
    #[serde(skip)]
    expiry: ExpiryIndex,
}

impl UsedThreads {
    pub(crate) fn contains(&self, thid: &str) -> bool {
        self.until.contains_key(thid)
    }

    /// A round of this thread starts: remember it until it is closed.
    pub(crate) fn open(&mut self, thid: &str) {
        self.set(thid, u64::MAX);
        self.dirty.insert(thid.to_string());
    }

    /// Sets `thid`'s time and keeps `expiry` in step (`u64::MAX`: not indexed).
    fn set(&mut self, thid: &str, until: u64) {
        if let Some(old) = self.until.insert(thid.to_string(), until) {
            if old != u64::MAX {
                self.expiry.remove(old, thid);
            }
        }
        if until != u64::MAX {
            self.expiry.insert(until, thid);
        }
    }

    /// The round of this thread ended (or was refused) at `now_ms`: remember it for `retention_ms`.
    pub(crate) fn close(&mut self, thid: &str, now_ms: u64, retention_ms: u64) {
        let until = now_ms.saturating_add(retention_ms);
        self.set(thid, until);
        self.dirty.insert(thid.to_string());
    }

    /// Forget thread ids whose retention has passed.
    pub(crate) fn prune(&mut self, now_ms: u64) {
        for thid in self.expiry.take_due(now_ms) {
            if self.until.remove(&thid).is_some() {
                self.dirty.insert(thid);
            }
        }
    }

    /// Remember `thid` until `until` (restoring a stored row; not marked as changed).
    pub(crate) fn restore(&mut self, thid: String, until: u64) {
        self.set(&thid, until);
    }

    /// Mark every remembered thread id as changed (a legacy checkpoint that held them inline
    /// is turned into rows by the next step).
    pub(crate) fn mark_all_dirty(&mut self) {
        self.dirty.extend(self.until.keys().cloned());
    }

    /// Rebuilds `expiry` from `until` (ids loaded inline with a legacy checkpoint).
    pub(crate) fn reindex(&mut self) {
        self.expiry.clear();
        for (thid, until) in &self.until {
            if *until != u64::MAX {
                self.expiry.insert(*until, thid);
            }
        }
    }

    /// The changes since the last call: (thread id, until) to write, thread ids to delete.
    pub(crate) fn take_dirty(&mut self) -> (Vec<(String, u64)>, Vec<String>) {
        let mut upserts = Vec::new();
        let mut removed = Vec::new();
        for thid in std::mem::take(&mut self.dirty) {
            match self.until.get(&thid) {
                Some(until) => upserts.push((thid, *until)),
                None => removed.push(thid),
            }
        }
        (upserts, removed)
    }

    pub(crate) fn len(&self) -> usize {
        self.until.len()
    }
}

/// How long a finished round's thread id is remembered under a given maximum time to live.
pub fn retention_ms(max_ttl_sec: u64) -> u64 {
    max_ttl_sec
        .saturating_mul(1000)
        .saturating_mul(USED_THREAD_RETENTION_TTLS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_threads_are_kept_closed_ones_expire() {
        let mut t = UsedThreads::default();
        t.open("a");
        t.open("b");
        t.close("b", 1_000, 500);
        t.prune(1_499);
        assert!(t.contains("a") && t.contains("b"));
        t.prune(1_500);
        assert!(t.contains("a"));
        assert!(!t.contains("b"));
        t.prune(u64::MAX - 1);
        assert!(t.contains("a"), "a running round is never forgotten");
        assert_eq!(t.len(), 1);
        assert_eq!(retention_ms(600), 1_200_000);
        let (upserts, removed) = t.take_dirty();
        assert_eq!(upserts, vec![("a".to_string(), u64::MAX)]);
        assert_eq!(removed, vec!["b".to_string()]);
        assert_eq!(t.take_dirty(), (vec![], vec![]), "changes are taken once");
    }

    #[test]
    fn a_new_time_replaces_the_old_one() {
        let mut t = UsedThreads::default();
        t.close("a", 0, 10);
        t.open("a");
        t.prune(100);
        assert!(
            t.contains("a"),
            "reopened: the closed time no longer applies"
        );
        t.close("a", 100, 50);
        t.prune(149);
        assert!(t.contains("a"));
        t.prune(150);
        assert!(!t.contains("a"));
        t.restore("b".into(), 200);
        t.restore("b".into(), 300);
        t.prune(250);
        assert!(
            t.contains("b"),
            "a restored row's time replaces the earlier one"
        );
    }
}
