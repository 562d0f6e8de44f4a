//! Shared helpers for the multi-node tests: a cluster of in-process nodes on 127.0.0.1 with
//! ephemeral ports, each with its own SQLite file, transport (outbox and de-dup in the
//! database) and consensus driver, over a roster of all of them (demo seeds). Nodes can be
//! stopped gracefully, killed (tasks aborted mid-flight, like a crash) and restarted over
//! the same database file. Waits poll with generous bounds; nothing asserts on timing.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};
use tempfile::TempDir;
use tmtm_consensus::{Config, Dialect};
use tmtm_microledger::Transaction;
use tmtm_node::api::ws::Commands;
use tmtm_node::api::{self, ApiSettings, ApiState, Metrics};
use tmtm_node::config::{DocumentSet, SignaturePolicy};
use tmtm_node::demo::TMTM_DEMO;
use tmtm_node::driver::{self, DriverConfig, DriverHandle, DriverParts, RoundFinished};
use tmtm_node::endpoint::HttpUrl;
use tmtm_node::roster::Network;
use tmtm_node::storage::{Database, StorageOptions};
use tmtm_node::transport::{Backoff, PeerBook, Transport, TransportConfig};
use tmtm_wire::keys::{Did, KeyPair};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// One running node.
pub struct TestNode {
    pub db: Database,
    pub handle: DriverHandle,
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

/// A network of nodes, some of which may be down.
pub struct Cluster {
    pub dir: TempDir,
    pub network: Network,
    pub keys: Vec<KeyPair>,
    pub ports: Vec<u16>,
    pub nodes: Vec<Option<TestNode>>,
    /// The participants' `msg~sig` check (None: off, as the consensus tests need).
    pub proposal_signatures: Option<SignaturePolicy>,
}

/// Short transport timings so that a down peer costs little.
pub fn transport_config() -> TransportConfig {
    TransportConfig {
        connect_timeout: Duration::from_millis(500),
        request_timeout: Duration::from_millis(2000),
        backoff: Backoff {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(500),
        },
        poll_interval: Duration::from_millis(100),
        redeliver_duplicates: driver::redelivered_duplicates(&driver_config().engine),
        ..TransportConfig::default()
    }
}

pub fn driver_config() -> DriverConfig {
    DriverConfig {
        engine: Config {
            dialect: Dialect::V1_0_25,
            default_ttl_sec: 15,
            tolerate_v1_precommit_echo: false,
            ..Config::default()
        },
        message_ttl: Duration::from_secs(4),
        request_queue: 16,
        // The consensus tests commit synthetic, unsigned transactions.
        proposal_signatures: None,
        gu_retry: Duration::from_millis(500),
    }
}

pub fn txn(n: u64) -> Transaction {
    Transaction::from_value(json!({"reqId": n, "op": format!("op{n}"), "doc": {"no": n}})).unwrap()
}

async fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

impl Cluster {
    /// `n` (≤ 5) nodes with the demo seeds; none started.
    pub async fn new(n: usize) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let mut toml = String::from("[consensus]\ndialect = \"1.0.25\"\n");
        let mut keys = Vec::new();
        let mut ports = Vec::new();
        for org in TMTM_DEMO.iter().take(n) {
            let k = KeyPair::from_seed(org.seed);
            let port = free_port().await;
            toml.push_str(&format!(
                "\n[[participants]]\ndid = \"{}\"\nverkey = \"{}\"\n\
                 endpoint = \"http://127.0.0.1:{port}/agent\"\nlabel = \"{}\"\n\
                 organization = \"{}\"\n",
                k.did(),
                k.verkey(),
                org.label,
                org.organization
            ));
            keys.push(k);
            ports.push(port);
        }
        let network = Network::parse(&toml, "test network").unwrap();
        Cluster {
            dir,
            network,
            keys,
            ports,
            nodes: (0..n).map(|_| None).collect(),
            proposal_signatures: None,
        }
    }

    pub fn did(&self, i: usize) -> Did {
        self.keys[i].did()
    }

    fn db_path(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("node{i}.sqlite3"))
    }

    /// Starts node `i` (over its existing database file, if any).
    pub async fn start(&mut self, i: usize) {
        assert!(self.nodes[i].is_none(), "node {i} is running");
        let db = Database::open_sqlite_file(&self.db_path(i), &StorageOptions::default())
            .await
            .unwrap();
        let (transport, inbound) = Transport::new(
            self.keys[i].clone(),
            PeerBook::from_network(&self.network),
            db.clone(),
            db.clone(),
            transport_config(),
        )
        .unwrap();
        let cancel = CancellationToken::new();
        let mut listener = None;
        for _ in 0..50 {
            match TcpListener::bind(("127.0.0.1", self.ports[i])).await {
                Ok(l) => {
                    listener = Some(l);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let listener = listener.expect("port still in use");
        let transport_router = transport.router();
        let worker = transport.spawn_worker(cancel.clone());
        let parts = DriverParts {
            keys: self.keys[i].clone(),
            network: self.network.clone(),
            db: db.clone(),
            transport: transport.clone(),
            inbound,
            config: DriverConfig {
                proposal_signatures: self.proposal_signatures,
                ..driver_config()
            },
        };
        let (handle, task) = driver::spawn(parts, cancel.clone()).await.unwrap();
        let data_dir = self.dir.path().join(format!("node{i}-data"));
        let settings = ApiSettings {
            own_did: self.keys[i].did(),
            public_url: HttpUrl::parse(&format!("http://127.0.0.1:{}", self.ports[i])).unwrap(),
            data_dir,
            token_lifetime_secs: 3600,
            upload_max_bytes: 64 * 1024,
            signature_policy: SignaturePolicy::Strict,
            document_set: DocumentSet::Rail,
            session_lifetime_ms: 3_600_000,
        };
        let api = ApiState::new(db.clone(), self.network.clone(), settings, Metrics::new())
            .with_commands(Commands {
                driver: handle.clone(),
                keys: self.keys[i].clone(),
                transport,
            });
        let app = transport_router.merge(api::router(api));
        let stop = cancel.clone();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await;
        });
        self.nodes[i] = Some(TestNode {
            db,
            handle,
            cancel,
            tasks: vec![server, worker, task],
        });
    }

    /// Graceful stop: the step in progress finishes, then everything stops.
    pub async fn stop(&mut self, i: usize) {
        let node = self.nodes[i].take().expect("node is running");
        node.cancel.cancel();
        for t in node.tasks {
            let _ = t.await;
        }
        node.db.close().await;
    }

    /// A crash: every task is aborted wherever it is (an open database transaction is
    /// rolled back by SQLite), then the pool is closed.
    pub async fn kill(&mut self, i: usize) {
        let node = self.nodes[i].take().expect("node is running");
        for t in &node.tasks {
            t.abort();
        }
        for t in node.tasks {
            let _ = t.await;
        }
        node.cancel.cancel();
        node.db.close().await;
    }

    pub fn node(&self, i: usize) -> &TestNode {
        self.nodes[i].as_ref().expect("node is running")
    }

    pub fn running(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|i| self.nodes[*i].is_some())
            .collect()
    }

    pub fn subscribe_all(&self) -> Vec<(usize, broadcast::Receiver<RoundFinished>)> {
        self.running()
            .into_iter()
            .map(|i| (i, self.node(i).handle.subscribe()))
            .collect()
    }

    pub async fn stop_all(&mut self) {
        for i in self.running() {
            self.stop(i).await;
        }
    }
}

/// Waits (bounded) for the round `thid` to finish at a subscribed node; its result.
pub async fn finished(
    rx: &mut broadcast::Receiver<RoundFinished>,
    thid: &str,
    within: Duration,
) -> RoundFinished {
    tokio::time::timeout(within, async {
        loop {
            match rx.recv().await {
                Ok(f) if f.thread_id == thid => return f,
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("subscription closed: {e}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("round {thid} did not finish within {within:?}"))
}

/// A ledger as a node stores it: size, root (base58) and every committed transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub size: u64,
    pub root: String,
    pub txns: Vec<Value>,
}

pub async fn snapshot(db: &Database, name: &str) -> Option<Snapshot> {
    let record = db.ledger_by_name(name).await.unwrap()?;
    let page = db.list_transactions(record.id, 0, 10_000).await.unwrap();
    Some(Snapshot {
        size: record.size,
        root: record.root_hash.to_base58(),
        txns: page.items.into_iter().map(|t| t.txn.into_value()).collect(),
    })
}

/// The one ledger every node holds; panics if a node lacks it or two copies differ.
pub fn same_everywhere(all: &[Option<Snapshot>]) -> Snapshot {
    let first = all[0].clone().expect("ledger present");
    for s in all {
        assert_eq!(s.as_ref(), Some(&first), "ledgers differ between nodes");
    }
    first
}

/// Polls until every running node's copy of `name` satisfies `ok`, or panics after `within`.
pub async fn wait_all(
    cluster: &Cluster,
    name: &str,
    within: Duration,
    ok: impl Fn(&Option<Snapshot>) -> bool,
) -> Vec<Option<Snapshot>> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let mut all = Vec::new();
        for i in cluster.running() {
            all.push(snapshot(&cluster.node(i).db, name).await);
        }
        if all.iter().all(&ok) {
            return all;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("ledger {name}: nodes did not converge within {within:?}: {all:#?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls until no running node has a round in flight (every lock released), so the next
/// round cannot be refused because the previous one is still ending somewhere.
pub async fn wait_unlocked(cluster: &Cluster, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let busy: Vec<(usize, Vec<String>)> = cluster
            .running()
            .into_iter()
            .map(|i| (i, cluster.node(i).handle.locked_ledgers()))
            .filter(|(_, l)| !l.is_empty())
            .collect();
        if busy.is_empty() {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("locks still held after {within:?}: {busy:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
