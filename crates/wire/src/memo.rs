//! Small process-wide memories of results that are expensive to compute and always the same
//! for the same input — converted and decompressed keys, precomputed boxes, opened sealed
//! senders, verified signatures — bounded by emptying the whole map when it is full (a node
//! talks to a few peers, so the working set is small and refills at once).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, OnceLock, PoisonError};

/// A bounded map behind a lock, made on first use (usable in a `static`).
pub(crate) struct Memo<K, V> {
    capacity: usize,
    map: OnceLock<Mutex<HashMap<K, V>>>,
}

impl<K: Hash + Eq, V> Memo<K, V> {
    /// A memory of at most `capacity` entries.
    pub(crate) const fn new(capacity: usize) -> Self {
        Memo {
            capacity,
            map: OnceLock::new(),
        }
    }

    /// Runs `f` on the map, under its lock.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut HashMap<K, V>) -> R) -> R {
        let map = self.map.get_or_init(|| Mutex::new(HashMap::new()));
        f(&mut map.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Remembers `value` under `key`, emptying the map first when it is full.
    pub(crate) fn insert(&self, key: K, value: V) {
        let capacity = self.capacity;
        self.with(|map| {
            if map.len() >= capacity {
                map.clear();
            }
            map.insert(key, value);
        });
    }

    /// The remembered value of `key`, or `make`'s, remembered if it succeeded.
    pub(crate) fn get_or_try<E>(&self, key: K, make: impl FnOnce() -> Result<V, E>) -> Result<V, E>
    where
        V: Clone,
    {
        if let Some(value) = self.with(|map| map.get(&key).cloned()) {
            return Ok(value);
        }
        let value = make()?;
        self.insert(key, value.clone());
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::Memo;

    #[test]
    fn successes_are_remembered_failures_are_not_and_a_full_memory_starts_over() {
        static M: Memo<u32, u32> = Memo::new(2);
        assert_eq!(M.get_or_try(1, || Ok::<_, ()>(10)), Ok(10));
        assert_eq!(M.get_or_try(1, || Err(())), Ok(10), "remembered");
        assert_eq!(M.get_or_try(2, || Err::<u32, _>("no")), Err("no"));
        assert_eq!(M.with(|m| m.len()), 1, "a failure is not remembered");
        M.insert(2, 20);
        M.insert(3, 30);
        assert_eq!(M.with(|m| m.len()), 1, "emptied when full, then 3 added");
        assert_eq!(M.with(|m| m.get(&3).copied()), Some(30));
    }
}
