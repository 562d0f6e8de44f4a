//! Shared helpers for the transport integration tests: in-process nodes on 127.0.0.1 with
//! ephemeral ports, fast timings, raw POSTs and polling waits (no fixed sleeps).
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use rand_core::OsRng;
use tmtm_node::transport::{
    Backoff, Inbound, MemoryDedup, MemoryOutbox, Peer, PeerBook, Transport, TransportConfig,
};
use tmtm_wire::envelope;
use tmtm_wire::keys::{KeyPair, Verkey};
use tmtm_wire::message::{self, new_message_id, Message};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub type MemTransport = Transport<MemoryOutbox, MemoryDedup>;

pub const WIRE: &str = "application/ssi-agent-wire";

pub fn keys(name: char) -> KeyPair {
    let mut seed = [b'0'; 32];
    seed[31] = name as u8;
    seed[30] = b'T';
    KeyPair::from_seed(&seed)
}

/// Timings short enough for the whole file to run in seconds.
pub fn fast_config() -> TransportConfig {
    TransportConfig {
        connect_timeout: Duration::from_millis(500),
        request_timeout: Duration::from_millis(1500),
        backoff: Backoff {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(200),
        },
        poll_interval: Duration::from_millis(100),
        ..TransportConfig::default()
    }
}

/// A port on 127.0.0.1 that is free right now (bound, then released).
pub async fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

pub fn peer_for(keys: &KeyPair, port: u16) -> Peer {
    Peer::new(
        keys.did(),
        keys.verkey(),
        format!("http://127.0.0.1:{port}/agent"),
    )
}

/// One in-process node.
pub struct Node {
    pub keys: KeyPair,
    pub port: u16,
    pub peer: Peer,
    pub transport: MemTransport,
    pub rx: mpsc::Receiver<Inbound>,
    pub outbox: MemoryOutbox,
    pub dedup: MemoryDedup,
    pub cancel: CancellationToken,
    pub worker: Option<JoinHandle<()>>,
    pub server: Option<JoinHandle<()>>,
}

impl Node {
    pub fn new(keys: KeyPair, port: u16, peers: &[Peer], config: TransportConfig) -> Node {
        Node::with_outbox(keys, port, peers, config, MemoryOutbox::new())
    }

    pub fn with_outbox(
        keys: KeyPair,
        port: u16,
        peers: &[Peer],
        config: TransportConfig,
        outbox: MemoryOutbox,
    ) -> Node {
        let dedup = MemoryDedup::new();
        let book = PeerBook::new(peers.iter().cloned());
        let (transport, rx) =
            Transport::new(keys.clone(), book, outbox.clone(), dedup.clone(), config).unwrap();
        Node {
            peer: peer_for(&keys, port),
            keys,
            port,
            transport,
            rx,
            outbox,
            dedup,
            cancel: CancellationToken::new(),
            worker: None,
            server: None,
        }
    }

    /// Starts serving the inbound endpoint on its port.
    pub async fn serve(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        let app = self.transport.router();
        let cancel = self.cancel.clone();
        self.server = Some(tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { cancel.cancelled().await })
                .await
                .unwrap();
        }));
    }

    pub fn start_worker(&mut self) {
        self.worker = Some(self.transport.spawn_worker(self.cancel.clone()));
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/agent", self.port)
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Next inbound message, or `None` after `within`.
    pub async fn recv(&mut self, within: Duration) -> Option<Inbound> {
        tokio::time::timeout(within, self.rx.recv())
            .await
            .ok()
            .flatten()
    }

    /// Stops the worker and the server, waiting for both.
    pub async fn stop(&mut self) {
        self.cancel.cancel();
        if let Some(w) = self.worker.take() {
            w.await.unwrap();
        }
        if let Some(s) = self.server.take() {
            s.await.unwrap();
        }
    }
}

/// A sender (worker running, not serving) and a receiver (not started) knowing each other,
/// with the keys of the two names.
pub async fn sender_and_receiver(a: char, b: char) -> (Node, Node) {
    let (ka, kb) = (keys(a), keys(b));
    let (pa, pb) = (free_port().await, free_port().await);
    let peers = [peer_for(&ka, pa), peer_for(&kb, pb)];
    let mut sender = Node::new(ka, pa, &peers, fast_config());
    sender.start_worker();
    let receiver = Node::new(kb, pb, &peers, fast_config());
    (sender, receiver)
}

/// Polls `cond` every 10 ms until it holds; panics with `what` after 10 s.
pub async fn wait_until<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !cond().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub fn basic(content: &str) -> Message {
    message::basic_message(new_message_id(&mut OsRng), content, None, None)
}

/// Packs `msg` as PyJSON, authcrypt from `from` (or anoncrypt) to `to`.
pub fn pack(msg: &Message, from: Option<&KeyPair>, to: &Verkey) -> Vec<u8> {
    let text = msg.to_python_json().unwrap();
    envelope::pack(text.as_bytes(), from, &[*to], &mut OsRng).unwrap()
}

pub fn pack_bytes(plaintext: &[u8], from: Option<&KeyPair>, to: &Verkey) -> Vec<u8> {
    envelope::pack(plaintext, from, &[*to], &mut OsRng).unwrap()
}

/// POSTs `body` with `content_type` (none when `None`); returns status and body text.
pub async fn post_raw(url: &str, content_type: Option<&str>, body: Vec<u8>) -> (u16, String) {
    let client = reqwest::Client::new();
    let mut req = client.post(url).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

/// The `error` code of a JSON error body.
pub fn error_code(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    assert!(
        v["message"].is_string(),
        "error body without message: {body}"
    );
    v["error"].as_str().unwrap().to_owned()
}
