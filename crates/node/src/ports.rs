//! The seams between the node's transport and its storage: the durable outbox and the inbound
//! de-duplication record. Storage implements these traits over SQLite/PostgreSQL; transport
//! uses them (and tests use the in-memory implementations in `transport`'s test support).
//!
//! Times are Unix milliseconds passed in by the caller, so that retry schedules are testable.

use std::future::Future;

/// A failure of the backing store (database unreachable, constraint violated, …). The text is
/// for logs; it never contains secrets or message bodies.
#[derive(Debug, thiserror::Error)]
#[error("storage failure: {0}")]
pub struct StoreFailure(pub String);

/// A message to put in the outbox: already packed for its recipient (the envelope bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOutgoing {
    /// The recipient's DID (for logs, metrics and per-peer views).
    pub recipient_did: String,
    /// Where to POST the envelope (the recipient's DIDComm endpoint).
    pub endpoint: String,
    /// The envelope bytes, exactly as they are to be sent.
    pub body: Vec<u8>,
    /// After this moment the message is no longer worth sending (Unix ms).
    pub expires_at_ms: i64,
    /// Earliest moment of the first attempt (Unix ms); usually "now".
    pub not_before_ms: i64,
}

/// A stored outgoing message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Store-assigned id, increasing in enqueue order.
    pub id: i64,
    /// The recipient's DID.
    pub recipient_did: String,
    /// Where to POST the envelope.
    pub endpoint: String,
    /// The envelope bytes.
    pub body: Vec<u8>,
    /// Attempts made so far.
    pub attempts: u32,
    /// Earliest moment of the next attempt (Unix ms).
    pub next_attempt_at_ms: i64,
    /// After this moment the entry is dropped as expired (Unix ms).
    pub expires_at_ms: i64,
}

/// The durable outbox: every outgoing message is stored before it is sent, and stays until it
/// is delivered or expires. Implementations must make `enqueue` durable before returning.
pub trait OutboxStore: Send + Sync + 'static {
    /// Stores new messages (all or none).
    fn enqueue(
        &self,
        messages: Vec<NewOutgoing>,
    ) -> impl Future<Output = Result<Vec<i64>, StoreFailure>> + Send;

    /// Up to `limit` entries with `next_attempt_at_ms <= now_ms` that have not expired,
    /// oldest first.
    fn due(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<OutboxEntry>, StoreFailure>> + Send;

    /// Removes a delivered entry (idempotent).
    fn delivered(&self, id: i64) -> impl Future<Output = Result<(), StoreFailure>> + Send;

    /// Removes several delivered entries (idempotent); stores override this with one
    /// statement.
    fn delivered_many(&self, ids: &[i64]) -> impl Future<Output = Result<(), StoreFailure>> + Send {
        async move {
            for id in ids {
                self.delivered(*id).await?;
            }
            Ok(())
        }
    }

    /// Records a failed attempt and when to try again.
    fn retry_later(
        &self,
        id: i64,
        attempts: u32,
        next_attempt_at_ms: i64,
        last_error: &str,
    ) -> impl Future<Output = Result<(), StoreFailure>> + Send;

    /// Drops entries whose `expires_at_ms < now_ms`; returns how many were dropped.
    fn expire(&self, now_ms: i64) -> impl Future<Output = Result<u64, StoreFailure>> + Send;

    /// Number of entries waiting (for `/metrics`).
    fn depth(&self) -> impl Future<Output = Result<u64, StoreFailure>> + Send;
}

/// Inbound de-duplication by sender and message `@id`.
pub trait InboxDedup: Send + Sync + 'static {
    /// Records `(sender_verkey, message_id)` as seen at `now_ms`. Returns `true` when it is
    /// new, `false` when it was already recorded (a duplicate to drop).
    fn first_seen(
        &self,
        sender_verkey: &str,
        message_id: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<bool, StoreFailure>> + Send;

    /// Forgets records older than `before_ms`; returns how many were removed.
    fn prune(&self, before_ms: i64) -> impl Future<Output = Result<u64, StoreFailure>> + Send;
}
