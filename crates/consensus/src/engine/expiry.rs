//! When records kept for a while (finished rounds, used thread ids) expire, ordered by time,
//! so that forgetting what expired costs O(log n) per record at the moment it expires, not a
//! scan of every record kept whenever the earliest one is due. With a steady flow of rounds
//! one record expires nearly every millisecond, and a node keeps thousands of them (one time
//! to live of rounds), so a scan there ran at nearly every event.

use std::collections::BTreeSet;

/// (expiry time in ms, key): a record expires at `now_ms >= time`.
#[derive(Clone, Debug, Default)]
pub(crate) struct ExpiryIndex {
    by_time: BTreeSet<(u64, String)>,
}

impl ExpiryIndex {
    /// Record that `key` expires at `at_ms`.
    pub(crate) fn insert(&mut self, at_ms: u64, key: &str) {
        self.by_time.insert((at_ms, key.to_owned()));
    }

    /// Forget that `key` expires at `at_ms` (its record was replaced or removed).
    pub(crate) fn remove(&mut self, at_ms: u64, key: &str) {
        self.by_time.remove(&(at_ms, key.to_owned()));
    }

    /// Takes every key due at `now_ms` (expiry time at or before it), earliest first.
    pub(crate) fn take_due(&mut self, now_ms: u64) -> Vec<String> {
        let mut due = Vec::new();
        while self.by_time.first().is_some_and(|(at, _)| *at <= now_ms) {
            if let Some((_, key)) = self.by_time.pop_first() {
                due.push(key);
            }
        }
        due
    }

    /// The earliest expiry time, if any record is indexed.
    pub(crate) fn earliest(&self) -> Option<u64> {
        self.by_time.first().map(|(at, _)| *at)
    }

    pub(crate) fn clear(&mut self) {
        self.by_time.clear();
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_time.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_keys_come_out_in_time_order_and_only_once() {
        let mut index = ExpiryIndex::default();
        index.insert(30, "c");
        index.insert(10, "a");
        index.insert(20, "b");
        assert_eq!(index.earliest(), Some(10));
        assert!(index.take_due(9).is_empty());
        assert_eq!(index.take_due(20), vec!["a".to_owned(), "b".to_owned()]);
        assert!(index.take_due(20).is_empty());
        assert_eq!(index.earliest(), Some(30));
        assert_eq!(index.take_due(u64::MAX), vec!["c".to_owned()]);
        assert_eq!(index.earliest(), None);
    }

    #[test]
    fn a_removed_entry_never_comes_due() {
        let mut index = ExpiryIndex::default();
        index.insert(10, "a");
        index.insert(10, "b");
        index.remove(10, "a");
        index.remove(99, "b");
        assert_eq!(index.len(), 1);
        assert_eq!(index.take_due(10), vec!["b".to_owned()]);
    }
}
