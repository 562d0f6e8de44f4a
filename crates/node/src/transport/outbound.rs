//! Outgoing messages: [`Transport::send`] packs a message authcrypt from our key to the
//! recipient's verkey (§2.3; plaintext = PyJSON, §2.5) and stores the envelope in the outbox
//! — durable before any network attempt — then wakes the worker. [`post`] is the single
//! HTTP attempt shared by the worker, the ping sender and the ping responder.

use std::sync::atomic::Ordering;
use std::time::Duration;

use rand_core::OsRng;
use tmtm_wire::envelope;
use tmtm_wire::message::Message;

use super::{lock, ms, now_ms, Handed, Inner, Peer, SendError, Transport};
use crate::ports::{InboxDedup, NewOutgoing, OutboxEntry, OutboxStore};

/// The content type of DIDComm v1 envelopes on the wire (§2.5).
pub const CONTENT_TYPE: &str = "application/ssi-agent-wire";

impl<O: OutboxStore, D: InboxDedup> Transport<O, D> {
    /// Queues `message` for `to` with the configured time to live; returns the outbox id.
    pub async fn send(&self, to: &Peer, message: &Message) -> Result<i64, SendError> {
        self.send_with_ttl(to, message, self.inner.config.message_ttl)
            .await
    }

    /// Queues `message` for `to`; it expires `ttl` from now if still undelivered.
    pub async fn send_with_ttl(
        &self,
        to: &Peer,
        message: &Message,
        ttl: Duration,
    ) -> Result<i64, SendError> {
        let new = self.pack_for(to, message, ttl)?;
        let ids = self.inner.outbox.enqueue(vec![new.clone()]).await?;
        let id = ids.first().copied().unwrap_or_default();
        self.hand_over(&ids, vec![new]);
        tracing::debug!(
            to = %to.did,
            r#type = message.type_str(),
            id = message.id().unwrap_or(""),
            outbox_id = id,
            "queued"
        );
        Ok(id)
    }
}

impl<O: OutboxStore, D: InboxDedup> Transport<O, D> {
    /// Packs `message` for `to` into an outbox row without storing it, so that a caller can
    /// enqueue it inside its own database transaction (with [`crate::storage::Tx::enqueue_outbox`])
    /// together with the effects that caused it; call [`Transport::wake`] after committing.
    /// The row expires `ttl` from now; per-peer order is kept as in [`Transport::send`].
    pub fn pack_for(
        &self,
        to: &Peer,
        message: &Message,
        ttl: Duration,
    ) -> Result<NewOutgoing, SendError> {
        self.pack_text_for(to, &message.to_python_json()?, ttl)
    }

    /// [`Transport::pack_for`] of a message already written as its wire JSON
    /// (`Message::to_python_json`): a message to several peers is written once, not once per
    /// peer (a shared round's proposal carries every transaction).
    pub fn pack_text_for(
        &self,
        to: &Peer,
        plaintext: &str,
        ttl: Duration,
    ) -> Result<NewOutgoing, SendError> {
        let body = pack_text(&self.inner, to, plaintext)?;
        let now = now_ms();
        let recipient_did = to.did.as_str().to_owned();
        // Keep per-peer order: while the peer's oldest message waits for a retry, a new one
        // must not become due before it.
        let not_before_ms = lock(&self.inner.blocked)
            .get(&recipient_did)
            .map_or(now, |b| b.next_ms.max(now));
        Ok(NewOutgoing {
            recipient_did,
            endpoint: to.endpoint.clone(),
            body,
            expires_at_ms: now.saturating_add(ms(ttl)),
            not_before_ms,
        })
    }

    /// Wakes the outbox worker (after rows were enqueued outside [`Transport::send`]); it
    /// finds them on its next pass over the store.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Hands rows just stored (with the ids the store gave them, in the same order) to the
    /// worker in memory, so it sends them without reading them back (the fast path of
    /// `worker/`), and wakes it. Call only after the unit that stored them committed.
    pub fn hand_over(&self, ids: &[i64], rows: Vec<NewOutgoing>) {
        if rows.is_empty() {
            return;
        }
        let entries = ids
            .iter()
            .zip(rows)
            .map(|(&id, row)| Handed::Stored(entry(id, row)));
        lock(&self.inner.fresh).extend(entries);
        self.inner.wake.notify_one();
    }

    /// Hands rows to the worker *before* the unit that stores them commits, for messages
    /// whose loss is allowed for (the driver's relaxed steps, `driver/durability.rs`): the
    /// worker sends each at once if its peer has nothing older in memory, else keeps it
    /// until [`Transport::settle_early`] (`worker/early.rs`). Per-peer order is kept
    /// either way. Returns the tickets to settle with.
    pub fn send_early(&self, rows: &[NewOutgoing]) -> EarlyTickets {
        let mut tickets = Vec::with_capacity(rows.len());
        let mut handed = Vec::with_capacity(rows.len());
        for row in rows {
            let provisional = self.inner.provisional.fetch_sub(1, Ordering::Relaxed) - 1;
            tickets.push(provisional);
            handed.push(Handed::Early(entry(provisional, row.clone())));
        }
        lock(&self.inner.fresh).extend(handed);
        self.inner.wake.notify_one();
        EarlyTickets(tickets)
    }

    /// Tells the worker how the unit of early rows ended: `Some(ids)` (the store's ids, in
    /// the order of the rows) when it committed, `None` when it failed (the rows were
    /// never stored; any already sent stay sent).
    pub fn settle_early(&self, tickets: EarlyTickets, ids: Option<&[i64]>) {
        let settled = tickets
            .0
            .into_iter()
            .enumerate()
            .map(|(i, provisional)| Handed::Settled {
                provisional,
                id: ids.and_then(|ids| ids.get(i).copied()),
            });
        lock(&self.inner.fresh).extend(settled);
        self.inner.wake.notify_one();
    }
}

/// The provisional ids of rows handed over with [`Transport::send_early`].
#[derive(Debug, Default)]
#[must_use = "early rows must be settled with Transport::settle_early"]
pub struct EarlyTickets(Vec<i64>);

impl EarlyTickets {
    /// How many rows were handed over.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no row was handed over.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A new row as the worker's entry under `id`.
fn entry(id: i64, row: NewOutgoing) -> OutboxEntry {
    OutboxEntry {
        id,
        recipient_did: row.recipient_did,
        endpoint: row.endpoint,
        body: row.body,
        attempts: 0,
        next_attempt_at_ms: row.not_before_ms,
        expires_at_ms: row.expires_at_ms,
    }
}

/// Packs `message` authcrypt from our key to `to`'s verkey.
pub(crate) fn pack_for<O, D>(
    inner: &Inner<O, D>,
    to: &Peer,
    message: &Message,
) -> Result<Vec<u8>, SendError> {
    pack_text(inner, to, &message.to_python_json()?)
}

/// Packs the wire JSON `plaintext` authcrypt from our key to `to`'s verkey.
fn pack_text<O, D>(inner: &Inner<O, D>, to: &Peer, plaintext: &str) -> Result<Vec<u8>, SendError> {
    let body = envelope::pack(
        plaintext.as_bytes(),
        Some(&inner.keys),
        &[to.verkey],
        &mut OsRng,
    )?;
    Ok(body)
}

/// Why one POST did not deliver.
#[derive(Debug)]
pub(crate) enum PostError {
    /// No HTTP answer (connect failure, timeout, …).
    Unreachable(String),
    /// An HTTP answer other than 200/202.
    Status(u16),
}

impl std::fmt::Display for PostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PostError::Unreachable(e) => write!(f, "unreachable: {e}"),
            PostError::Status(s) => write!(f, "HTTP {s}"),
        }
    }
}

/// One POST of an envelope; 200 and 202 mean delivered (§2.5). `timeout` overrides the
/// client's request timeout when given.
pub(crate) async fn post(
    http: &reqwest::Client,
    endpoint: &str,
    body: Vec<u8>,
    timeout: Option<Duration>,
) -> Result<(), PostError> {
    let mut request = http
        .post(endpoint)
        .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
        .body(body);
    if let Some(t) = timeout {
        request = request.timeout(t);
    }
    let response = request
        .send()
        .await
        .map_err(|e| PostError::Unreachable(describe(&e)))?;
    match response.status().as_u16() {
        200 | 202 => Ok(()),
        other => Err(PostError::Status(other)),
    }
}

/// A short, body-free description of a reqwest error (with its causes).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else {
        "request"
    };
    let mut text = kind.to_owned();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
