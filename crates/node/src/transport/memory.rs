//! In-memory implementations of the storage ports: [`MemoryOutbox`] ([`OutboxStore`]) and
//! [`MemoryDedup`] ([`InboxDedup`]). They are the test and embedded implementations: nothing
//! survives the process, so a real node uses the database-backed ones from `storage`.
//! Both are cheap to clone; clones share the same state (a test keeps one to inspect it,
//! or hands it to a second transport to simulate a restart).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use super::lock;
use crate::ports::{InboxDedup, NewOutgoing, OutboxEntry, OutboxStore, StoreFailure};

/// One stored outgoing message and the error of its last attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryOutboxEntry {
    pub entry: OutboxEntry,
    pub last_error: Option<String>,
}

#[derive(Default)]
struct OutboxState {
    next_id: i64,
    entries: BTreeMap<i64, MemoryOutboxEntry>,
}

/// An [`OutboxStore`] in memory (ids increase from 1 in enqueue order).
#[derive(Clone, Default)]
pub struct MemoryOutbox {
    state: Arc<Mutex<OutboxState>>,
}

impl MemoryOutbox {
    /// An empty outbox.
    pub fn new() -> MemoryOutbox {
        MemoryOutbox::default()
    }

    /// Every stored entry, in id order (for tests and diagnostics).
    pub fn snapshot(&self) -> Vec<MemoryOutboxEntry> {
        lock(&self.state).entries.values().cloned().collect()
    }
}

impl OutboxStore for MemoryOutbox {
    async fn enqueue(&self, messages: Vec<NewOutgoing>) -> Result<Vec<i64>, StoreFailure> {
        let mut state = lock(&self.state);
        let mut ids = Vec::with_capacity(messages.len());
        for m in messages {
            state.next_id += 1;
            let id = state.next_id;
            let entry = OutboxEntry {
                id,
                recipient_did: m.recipient_did,
                endpoint: m.endpoint,
                body: m.body,
                attempts: 0,
                next_attempt_at_ms: m.not_before_ms,
                expires_at_ms: m.expires_at_ms,
            };
            state.entries.insert(
                id,
                MemoryOutboxEntry {
                    entry,
                    last_error: None,
                },
            );
            ids.push(id);
        }
        Ok(ids)
    }

    async fn due(&self, now_ms: i64, limit: usize) -> Result<Vec<OutboxEntry>, StoreFailure> {
        let state = lock(&self.state);
        Ok(state
            .entries
            .values()
            .map(|e| &e.entry)
            .filter(|e| e.next_attempt_at_ms <= now_ms && e.expires_at_ms >= now_ms)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn delivered(&self, id: i64) -> Result<(), StoreFailure> {
        lock(&self.state).entries.remove(&id);
        Ok(())
    }

    async fn retry_later(
        &self,
        id: i64,
        attempts: u32,
        next_attempt_at_ms: i64,
        last_error: &str,
    ) -> Result<(), StoreFailure> {
        if let Some(e) = lock(&self.state).entries.get_mut(&id) {
            e.entry.attempts = attempts;
            e.entry.next_attempt_at_ms = next_attempt_at_ms;
            e.last_error = Some(last_error.to_owned());
        }
        Ok(())
    }

    async fn expire(&self, now_ms: i64) -> Result<u64, StoreFailure> {
        let mut state = lock(&self.state);
        let before = state.entries.len();
        state.entries.retain(|_, e| e.entry.expires_at_ms >= now_ms);
        Ok((before - state.entries.len()) as u64)
    }

    async fn depth(&self) -> Result<u64, StoreFailure> {
        Ok(lock(&self.state).entries.len() as u64)
    }
}

/// An [`InboxDedup`] in memory: `(sender verkey, @id)` → first-seen time.
#[derive(Clone, Default)]
pub struct MemoryDedup {
    seen: Arc<Mutex<HashMap<(String, String), i64>>>,
}

impl MemoryDedup {
    /// An empty record.
    pub fn new() -> MemoryDedup {
        MemoryDedup::default()
    }

    /// Number of records kept.
    pub fn len(&self) -> usize {
        lock(&self.seen).len()
    }

    /// True when nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl InboxDedup for MemoryDedup {
    async fn first_seen(
        &self,
        sender_verkey: &str,
        message_id: &str,
        now_ms: i64,
    ) -> Result<bool, StoreFailure> {
        let key = (sender_verkey.to_owned(), message_id.to_owned());
        let mut seen = lock(&self.seen);
        if seen.contains_key(&key) {
            return Ok(false);
        }
        seen.insert(key, now_ms);
        Ok(true)
    }

    async fn prune(&self, before_ms: i64) -> Result<u64, StoreFailure> {
        let mut seen = lock(&self.seen);
        let before = seen.len();
        seen.retain(|_, t| *t >= before_ms);
        Ok((before - seen.len()) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(to: &str, not_before: i64, expires: i64) -> NewOutgoing {
        NewOutgoing {
            recipient_did: to.to_owned(),
            endpoint: format!("http://{to}.invalid/agent"),
            body: to.as_bytes().to_vec(),
            expires_at_ms: expires,
            not_before_ms: not_before,
        }
    }

    #[tokio::test]
    async fn outbox_due_retry_deliver_expire() {
        let o = MemoryOutbox::new();
        let ids = o
            .enqueue(vec![new("a", 0, 100), new("b", 50, 100), new("c", 0, 10)])
            .await
            .unwrap();
        assert_eq!(ids, vec![1, 2, 3]);
        let due: Vec<i64> = o.due(5, 10).await.unwrap().iter().map(|e| e.id).collect();
        assert_eq!(due, vec![1, 3]);
        assert_eq!(o.due(5, 1).await.unwrap().len(), 1);
        // c expired at 20: not due, then dropped.
        let due: Vec<i64> = o.due(60, 10).await.unwrap().iter().map(|e| e.id).collect();
        assert_eq!(due, vec![1, 2]);
        o.retry_later(1, 1, 80, "boom").await.unwrap();
        let due: Vec<i64> = o.due(60, 10).await.unwrap().iter().map(|e| e.id).collect();
        assert_eq!(due, vec![2]);
        assert_eq!(o.expire(20).await.unwrap(), 1);
        o.delivered(2).await.unwrap();
        o.delivered(2).await.unwrap();
        let snap = o.snapshot();
        assert_eq!(snap.len(), 1);
        assert_eq!(snap[0].entry.attempts, 1);
        assert_eq!(snap[0].entry.next_attempt_at_ms, 80);
        assert_eq!(snap[0].last_error.as_deref(), Some("boom"));
        assert_eq!(o.depth().await.unwrap(), 1);
        assert_eq!(o.expire(101).await.unwrap(), 1);
        assert_eq!(o.depth().await.unwrap(), 0);
    }

    #[tokio::test]
    async fn dedup_first_seen_and_prune() {
        let d = MemoryDedup::new();
        assert!(d.first_seen("vk1", "m1", 10).await.unwrap());
        assert!(!d.first_seen("vk1", "m1", 11).await.unwrap());
        assert!(d.first_seen("vk2", "m1", 12).await.unwrap());
        assert!(d.first_seen("vk1", "m2", 30).await.unwrap());
        assert_eq!(d.prune(20).await.unwrap(), 2);
        assert_eq!(d.len(), 1);
        assert!(d.first_seen("vk1", "m1", 40).await.unwrap());
    }
}
