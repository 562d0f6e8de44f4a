//! The inbound de-duplication record ([`InboxDedup`] for [`Database`]) without a database
//! write per message.
//!
//! # Design, and why
//!
//! Every inbound envelope is checked against `(sender verkey, @id)`. Writing that record in a
//! transaction of its own cost three statements and a wait for the writer turn — behind the
//! consensus step that held it during its fsync — on the path of every message (measured in
//! `docs/BENCHMARKS.md`). Instead:
//!
//! * **Memory first.** The recent records live in [`DedupCache`]: a hash set of 128-bit
//!   digests of the pair (SHA-256, truncated; a collision needs ~2^64 records), bounded to
//!   [`CACHE_CAPACITY`] entries, oldest evicted first. At connect it is filled with the newest
//!   stored records. A hit is a duplicate; a miss is new unless the cache has evicted records
//!   seen within [`FALLBACK_WINDOW_MS`] (ten minutes), in which case the table is asked (one read, no write
//!   turn) — retransmissions come within a message's time to live (two minutes by default),
//!   so older records only matter then.
//! * **Stored with the step that handles the message.** New records wait in a pending list;
//!   the consensus driver writes them in its step's transaction ([`Tx::record_seen`], one
//!   multi-row statement), so a message's de-dup record and its effects commit together (GU
//!   records and pings ride the next step, or the outbox worker's periodic prune, which
//!   flushes what is pending first). A record lost in a crash belongs to a message whose
//!   effects were not stored either: a redelivery is handled like the first delivery.

use std::collections::{HashMap, VecDeque};
use std::sync::{MutexGuard, PoisonError};

use sha2::{Digest, Sha256};

use super::{Database, StorageError, Tx};
use crate::ports::{InboxDedup, StoreFailure};

/// Records kept in memory (~48 bytes each with the map and queue overhead: ~6 MiB).
pub const CACHE_CAPACITY: usize = 131_072;

/// A miss is checked against the table when the cache evicted a record seen this recently.
pub const FALLBACK_WINDOW_MS: i64 = 10 * 60 * 1000;

/// A de-dup record not yet stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenRecord {
    pub sender_verkey: String,
    pub message_id: String,
    pub seen_at_ms: i64,
}

/// The in-memory part (see the module docs).
#[derive(Debug, Default)]
pub struct DedupCache {
    seen: HashMap<u128, i64>,
    order: VecDeque<u128>,
    /// `seen_at_ms` of the newest record evicted (or not loaded) so far.
    horizon_ms: Option<i64>,
    pending: Vec<SeenRecord>,
}

/// What the cache knows about a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Recorded before: a duplicate.
    Duplicate,
    /// Recorded now; it was certainly new.
    New,
    /// Recorded now, but the cache evicted records from the fallback window: ask the table.
    Unsure,
}

fn digest(sender_verkey: &str, message_id: &str) -> u128 {
    let mut h = Sha256::new();
    h.update(sender_verkey.as_bytes());
    h.update([0u8]);
    h.update(message_id.as_bytes());
    let out = h.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&out[..16]);
    u128::from_le_bytes(first)
}

impl DedupCache {
    /// Checks and records a pair seen at `now_ms`; a new pair is queued for storage.
    pub fn check(&mut self, sender_verkey: &str, message_id: &str, now_ms: i64) -> Lookup {
        let key = digest(sender_verkey, message_id);
        if self.seen.contains_key(&key) {
            return Lookup::Duplicate;
        }
        self.insert(key, now_ms);
        self.pending.push(SeenRecord {
            sender_verkey: sender_verkey.to_owned(),
            message_id: message_id.to_owned(),
            seen_at_ms: now_ms,
        });
        match self.horizon_ms {
            Some(h) if h > now_ms.saturating_sub(FALLBACK_WINDOW_MS) => Lookup::Unsure,
            _ => Lookup::New,
        }
    }

    /// Adds a stored record (at connect, oldest first).
    fn load(&mut self, sender_verkey: &str, message_id: &str, seen_at_ms: i64) {
        let key = digest(sender_verkey, message_id);
        if !self.seen.contains_key(&key) {
            self.insert(key, seen_at_ms);
        }
    }

    fn insert(&mut self, key: u128, seen_at_ms: i64) {
        while self.order.len() >= CACHE_CAPACITY {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(at) = self.seen.remove(&old) {
                self.horizon_ms = Some(self.horizon_ms.map_or(at, |h| h.max(at)));
            }
        }
        self.seen.insert(key, seen_at_ms);
        self.order.push_back(key);
    }

    /// Forgets records seen before `before_ms` (the table's prune does the same).
    fn prune(&mut self, before_ms: i64) {
        while let Some(front) = self.order.front() {
            match self.seen.get(front) {
                Some(&at) if at >= before_ms => break,
                _ => {
                    if let Some(old) = self.order.pop_front() {
                        self.seen.remove(&old);
                    }
                }
            }
        }
    }

    /// The records not stored yet (the caller stores them or gives them back).
    pub fn take_pending(&mut self) -> Vec<SeenRecord> {
        std::mem::take(&mut self.pending)
    }

    /// Gives back records whose storage failed (they are stored with a later unit).
    pub fn restore_pending(&mut self, mut records: Vec<SeenRecord>) {
        records.append(&mut self.pending);
        self.pending = records;
    }

    /// Records in memory.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.seen.len()
    }
}

impl Database {
    fn dedup_cache(&self) -> MutexGuard<'_, DedupCache> {
        self.dedup.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The de-dup records not stored yet; the consensus driver stores them with its step
    /// ([`Tx::record_seen`]) and gives them back with [`Self::restore_pending_seen`] if the
    /// step fails.
    pub fn take_pending_seen(&self) -> Vec<SeenRecord> {
        self.dedup_cache().take_pending()
    }

    /// See [`Self::take_pending_seen`].
    pub fn restore_pending_seen(&self, records: Vec<SeenRecord>) {
        if !records.is_empty() {
            self.dedup_cache().restore_pending(records);
        }
    }

    /// Fills the cache with the newest stored records (at connect).
    pub(crate) async fn load_dedup_cache(&self) -> Result<(), StorageError> {
        let limit = i64::try_from(CACHE_CAPACITY).unwrap_or(i64::MAX);
        let rows: Vec<(String, String, i64)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT sender_verkey, message_id, seen_at_ms FROM inbox_seen \
                 ORDER BY seen_at_ms DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        let full = rows.len() >= CACHE_CAPACITY;
        let mut cache = self.dedup_cache();
        if full {
            // Older rows exist that are not in memory.
            cache.horizon_ms = rows.last().map(|r| r.2);
        }
        for (verkey, id, at) in rows.iter().rev() {
            cache.load(verkey, id, *at);
        }
        Ok(())
    }

    /// Stores the pending records in a unit of their own (the periodic prune; a node with no
    /// consensus traffic).
    async fn flush_pending_seen(&self) -> Result<(), StorageError> {
        let pending = self.take_pending_seen();
        if pending.is_empty() {
            return Ok(());
        }
        let stored = async {
            let mut tx = Tx::begin_relaxed(self).await?;
            tx.record_seen(&pending).await?;
            tx.commit().await
        }
        .await;
        if stored.is_err() {
            self.restore_pending_seen(pending);
        }
        stored
    }

    /// Whether the pair is in the stored record (not the cache).
    pub async fn stored_seen(
        &self,
        sender_verkey: &str,
        message_id: &str,
    ) -> Result<bool, StorageError> {
        let found: Option<i64> = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT seen_at_ms FROM inbox_seen WHERE sender_verkey = $1 AND message_id = $2",
            )
            .bind(sender_verkey)
            .bind(message_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(found.is_some())
    }
}

impl Tx {
    /// Stores de-dup records as part of this unit (duplicates of stored ones are ignored).
    pub async fn record_seen(&mut self, records: &[SeenRecord]) -> Result<(), StorageError> {
        let mut plan = super::WritePlan::new();
        plan.seen(records)?;
        self.run(plan).await?;
        Ok(())
    }
}

impl super::WritePlan {
    /// [`Tx::record_seen`] as statements.
    pub fn seen(&mut self, records: &[SeenRecord]) -> Result<(), StorageError> {
        use super::plan::Arg;
        for r in records {
            super::error::check_text("sender verkey", &r.sender_verkey)?;
            super::error::check_text("message id", &r.message_id)?;
        }
        self.push_rows(
            "INSERT INTO inbox_seen (sender_verkey, message_id, seen_at_ms)",
            "ON CONFLICT (sender_verkey, message_id) DO NOTHING",
            records
                .iter()
                .map(|r| {
                    [
                        Arg::Text(r.sender_verkey.clone()),
                        Arg::Text(r.message_id.clone()),
                        Arg::Int(r.seen_at_ms),
                    ]
                })
                .collect(),
            &super::plan::Outcome::Exec,
        );
        Ok(())
    }
}

impl InboxDedup for Database {
    async fn first_seen(
        &self,
        sender_verkey: &str,
        message_id: &str,
        now_ms: i64,
    ) -> Result<bool, StoreFailure> {
        super::error::check_text("sender verkey", sender_verkey)?;
        super::error::check_text("message id", message_id)?;
        let lookup = self.dedup_cache().check(sender_verkey, message_id, now_ms);
        match lookup {
            Lookup::Duplicate => Ok(false),
            Lookup::New => Ok(true),
            Lookup::Unsure => Ok(!self.stored_seen(sender_verkey, message_id).await?),
        }
    }

    async fn prune(&self, before_ms: i64) -> Result<u64, StoreFailure> {
        self.flush_pending_seen().await?;
        self.dedup_cache().prune(before_ms);
        let _turn = self.write_turn().await;
        let removed = on_relaxed_pool!(self, |pool| {
            sqlx::query("DELETE FROM inbox_seen WHERE seen_at_ms < $1")
                .bind(before_ms)
                .execute(pool)
                .await
                .map_err(StorageError::from)?
                .rows_affected()
        });
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_is_new_once_then_a_duplicate_and_queued_for_storage_once() {
        let mut c = DedupCache::default();
        assert_eq!(c.check("vk", "id-1", 10), Lookup::New);
        assert_eq!(c.check("vk", "id-1", 11), Lookup::Duplicate);
        assert_eq!(c.check("vk2", "id-1", 12), Lookup::New);
        // The separator keeps ("ab","c") and ("a","bc") apart.
        assert_eq!(c.check("ab", "c", 13), Lookup::New);
        assert_eq!(c.check("a", "bc", 13), Lookup::New);
        let pending = c.take_pending();
        assert_eq!(pending.len(), 4);
        assert_eq!(pending[0].message_id, "id-1");
        assert!(c.take_pending().is_empty());
        c.restore_pending(pending);
        assert_eq!(c.take_pending().len(), 4);
    }

    #[test]
    fn eviction_within_the_window_makes_misses_unsure_and_old_evictions_do_not() {
        let mut c = DedupCache::default();
        let t0 = 1_000_000_000;
        for i in 0..CACHE_CAPACITY {
            assert_eq!(c.check("vk", &i.to_string(), t0), Lookup::New);
        }
        assert_eq!(c.len(), CACHE_CAPACITY);
        // One more evicts the oldest (seen at t0): a miss shortly after is unsure.
        assert_eq!(c.check("vk", "next", t0 + 1), Lookup::Unsure);
        assert_eq!(c.len(), CACHE_CAPACITY);
        // The evicted pair is no longer known to memory.
        assert_eq!(c.check("vk", "0", t0 + 2), Lookup::Unsure);
        // Long after the evicted records were seen, a miss is new again.
        assert_eq!(
            c.check("vk", "later", t0 + FALLBACK_WINDOW_MS + 10),
            Lookup::New
        );
    }
}
