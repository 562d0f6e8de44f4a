//! DIDComm v1 over HTTP (`sirius-protocol.md` §2.5): the inbound endpoint, the durable
//! outbox with its delivery worker, and trust ping (§7.1).
//!
//! - [`inbound`]: the axum `POST /agent` endpoint and its pipeline (content type, size,
//!   unpack, roster lookup by sender verkey, anoncrypt policy, parse, de-dup, hand-off);
//! - [`outbound`]: [`Transport::send`] packs authcrypt and stores the envelope in the
//!   [`OutboxStore`] before any network attempt; the one-shot HTTP POST lives here too;
//! - [`worker`]: the outbox worker (retries with backoff, expiry, per-peer order, bounded
//!   parallelism, clean shutdown);
//! - [`ping`]: trust ping responder and [`Transport::ping`];
//! - [`memory`]: in-memory [`OutboxStore`] / [`InboxDedup`] for tests and embedding;
//! - [`peers`], [`config`], [`error`]: the peer book, tunables and typed errors.
//!
//! Messages for the node (everything except trust pings, which the transport answers
//! itself) arrive as [`Inbound`] values on the `mpsc` receiver returned by
//! [`Transport::new`]. Logs name senders, types and ids, never bodies or secrets.

pub mod config;
pub mod error;
pub mod inbound;
pub mod memory;
pub mod outbound;
pub mod peers;
pub mod ping;
pub mod worker;

use std::collections::HashMap;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use tmtm_wire::keys::{Did, KeyPair, Verkey};
use tmtm_wire::message::Message;
use tokio::sync::{mpsc, Notify};

use crate::ports::{InboxDedup, OutboxEntry, OutboxStore};

pub use config::{Backoff, TransportConfig};
pub use error::{InboundError, PingError, SendError, TransportError};
pub use memory::{MemoryDedup, MemoryOutbox};
pub use outbound::EarlyTickets;
pub use peers::{Peer, PeerBook};

/// An authenticated message from a known peer, de-duplicated, for the node to handle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inbound {
    pub sender_did: Did,
    pub sender_verkey: Verkey,
    pub message: Message,
}

/// Per-peer retry state shared by `send` and the worker: the oldest undelivered entry of a
/// peer failed, so nothing newer to that peer may go before `next_ms`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Blocked {
    pub head_id: i64,
    pub next_ms: i64,
}

/// What the driver hands to the worker in memory (`worker/`), processed in this order.
pub(crate) enum Handed {
    /// A row its unit stored (with the id the store gave it).
    Stored(OutboxEntry),
    /// A row sent before its unit commits, under a provisional (negative) id.
    Early(OutboxEntry),
    /// The outcome of an early row's unit: the row's id in the store, or `None` when the
    /// unit failed and the row was never stored.
    Settled { provisional: i64, id: Option<i64> },
}

pub(crate) struct Inner<O, D> {
    pub keys: KeyPair,
    pub peers: PeerBook,
    pub outbox: O,
    pub dedup: D,
    pub config: TransportConfig,
    pub http: reqwest::Client,
    pub wake: Notify,
    /// Entries just stored, entries sent before their unit commits and those units'
    /// outcomes, handed to the worker in memory, in the order they happened (`worker/`,
    /// "Fast path" and "Early sends").
    pub fresh: Mutex<Vec<Handed>>,
    /// The last provisional id given to an early entry (they count down from -1).
    pub provisional: AtomicI64,
    pub inbound_tx: mpsc::Sender<Inbound>,
    pub blocked: Mutex<HashMap<String, Blocked>>,
    pub waiters: Mutex<ping::Waiters>,
}

/// The node's DIDComm transport. Cheap to clone (shared state).
pub struct Transport<O, D> {
    inner: Arc<Inner<O, D>>,
}

impl<O, D> Clone for Transport<O, D> {
    fn clone(&self) -> Self {
        Transport {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<O: OutboxStore, D: InboxDedup> Transport<O, D> {
    /// Builds the transport for the node holding `keys`; returns it with the receiver of
    /// inbound messages. Nothing runs yet: serve [`Transport::router`] and start
    /// [`Transport::spawn_worker`].
    pub fn new(
        keys: KeyPair,
        peers: PeerBook,
        outbox: O,
        dedup: D,
        config: TransportConfig,
    ) -> Result<(Transport<O, D>, mpsc::Receiver<Inbound>), TransportError> {
        if config.max_parallel == 0 || config.due_batch == 0 || config.inbound_queue == 0 {
            return Err(TransportError::Config(
                "max_parallel, due_batch and inbound_queue must be at least 1",
            ));
        }
        if !config.inbound_path.starts_with('/') {
            return Err(TransportError::Config("inbound_path must start with '/'"));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .build()
            .map_err(|e| TransportError::HttpClient(e.to_string()))?;
        let (inbound_tx, inbound_rx) = mpsc::channel(config.inbound_queue);
        let inner = Inner {
            keys,
            peers,
            outbox,
            dedup,
            config,
            http,
            wake: Notify::new(),
            fresh: Mutex::new(Vec::new()),
            provisional: AtomicI64::new(0),
            inbound_tx,
            blocked: Mutex::new(HashMap::new()),
            waiters: Mutex::new(ping::Waiters::default()),
        };
        Ok((
            Transport {
                inner: Arc::new(inner),
            },
            inbound_rx,
        ))
    }

    /// This node's DID.
    pub fn did(&self) -> Did {
        self.inner.keys.did()
    }

    /// This node's verkey.
    pub fn verkey(&self) -> Verkey {
        self.inner.keys.verkey()
    }

    /// The known peers.
    pub fn peers(&self) -> &PeerBook {
        &self.inner.peers
    }

    /// The outbox store (for metrics such as `depth`).
    pub fn outbox(&self) -> &O {
        &self.inner.outbox
    }
}

/// Now as Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// Milliseconds of a duration, saturated to `i64`.
pub(crate) fn ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
