//! Our full node (transport + consensus driver + SQLite) as an external participant of the
//! conformance kit (`shared/conformance`, `./run.sh commit --external C`).
//!
//! ```sh
//! cargo run -p tmtm-node --example conformance_peer -- ROSTER.json C [--for SECS] [--dialect 1.0.25|2.x]
//!     [--lead create|commit|parallel|trustping]
//! ```
//! With `--lead`, the node is the kit's external actor (`./run.sh commit --external A --actor A`):
//! once every other participant's endpoint accepts connections it leads the scenario's flows
//! with the kit's fixed inputs (and pings every participant for `trustping`).
//! Plays roster participant `C` (key from its roster seed) with every other participant as
//! a consensus peer and the pinger as a known peer, serves `POST /` (the roster endpoints'
//! path) and `GET /ledgers/{name}` → `{"state", "transactions", "uncommitted": []}` for the
//! kit's comparisons. Proposals are accepted automatically when valid. The database is a
//! temporary SQLite file. Stops on Ctrl-C or after `--for` seconds.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use tmtm_microledger::Microledger;
use tmtm_node::driver::{self, DriverConfig, DriverParts};
use tmtm_node::roster::Network;
use tmtm_node::storage::{Database, StorageOptions};
use tmtm_node::transport::{PeerBook, Transport, TransportConfig};
use tmtm_wire::keys::KeyPair;
use tokio_util::sync::CancellationToken;

type Result<T> = std::result::Result<T, String>;

mod lead {
    //! The flows the node leads as the kit's external actor.
    use std::time::Duration;

    use serde_json::{json, Value};
    use tmtm_microledger::Transaction;
    use tmtm_node::driver::{DriverHandle, NodeTransport};
    use tmtm_node::transport::Peer;

    const ID1: &str = "5rArie7XKukPCaEwq5XGQJnM9Fc5aZE3M9HAPVfMU2xC";
    const ID2: &str = "2btLJAAb1S3x6hZYdVyAePjqtQYi2ZBSRGy4569RZu8h";
    const TTL: Option<Duration> = Some(Duration::from_secs(30));

    fn txns(values: Vec<Value>) -> Result<Vec<Transaction>, String> {
        values
            .into_iter()
            .map(|v| Transaction::from_value(v).map_err(|e| e.to_string()))
            .collect()
    }

    fn genesis(n: usize) -> Result<Vec<Transaction>, String> {
        let all = vec![
            json!({"reqId": 1, "identifier": ID1, "op": "op1"}),
            json!({"reqId": 2, "identifier": ID2, "op": "op2"}),
        ];
        txns(all.into_iter().take(n).collect())
    }

    /// Polls until every endpoint accepts TCP connections (at most 120 s).
    pub async fn wait_for(endpoints: &[String]) {
        for _ in 0..1200 {
            let mut up = true;
            for e in endpoints {
                let addr = e
                    .trim_start_matches("http://")
                    .split('/')
                    .next()
                    .unwrap_or_default();
                if tokio::net::TcpStream::connect(addr).await.is_err() {
                    up = false;
                }
            }
            if up {
                tokio::time::sleep(Duration::from_millis(500)).await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn create(h: &DriverHandle, name: &str, n: usize) -> Result<(), String> {
        let w = h
            .create_ledger(name, genesis(n)?, TTL)
            .await
            .map_err(|e| e.to_string())?;
        let out = w.result().await.map_err(|p| p.to_string())?;
        tracing::info!(ledger = name, root = %out.states[0].root_hash, "LEAD create succeeded");
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok(())
    }

    pub async fn run(
        scenario: &str,
        h: &DriverHandle,
        transport: &NodeTransport,
        peers: &[Peer],
    ) -> Result<(), String> {
        let tag = &tmtm_wire::message::new_hex_id(&mut rand_core::OsRng)[..8];
        match scenario {
            "create" => create(h, &format!("conf-create-{tag}"), 2).await,
            "commit" => {
                let name = format!("conf-commit-{tag}");
                create(h, &name, 2).await?;
                let t = txns(vec![json!({"reqId": 3, "identifier": ID1, "op": "op3",
                                         "payload": {"cargo": "coal", "tonnage": 60}})])?;
                let w = h.commit(&name, t, TTL).await.map_err(|e| e.to_string())?;
                let out = w.result().await.map_err(|p| p.to_string())?;
                tracing::info!(root = %out.states[0].root_hash, "LEAD commit succeeded");
                Ok(())
            }
            "parallel" => {
                let (l1, l2) = (format!("conf-par1-{tag}"), format!("conf-par2-{tag}"));
                create(h, &l1, 2).await?;
                create(h, &l2, 1).await?;
                let t = txns(vec![
                    json!({"reqId": 4, "identifier": ID1, "op": "op-parallel"}),
                ])?;
                let w = h
                    .commit_parallel(&[l1, l2], t, TTL)
                    .await
                    .map_err(|e| e.to_string())?;
                let out = w.result().await.map_err(|p| p.to_string())?;
                tracing::info!(ledgers = ?out.ledgers, "LEAD parallel succeeded");
                Ok(())
            }
            "trustping" => {
                for p in peers {
                    let rtt = transport
                        .ping(p, Duration::from_secs(10))
                        .await
                        .map_err(|e| e.to_string())?;
                    tracing::info!(to = %p.did, ?rtt, "LEAD ping answered");
                }
                Ok(())
            }
            other => Err(format!("unknown scenario {other}")),
        }
    }
}

fn text(v: &Value, k: &str) -> Result<String> {
    v.get(k)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("roster entry without {k}"))
}

/// The kit's roster as a `network.toml`: participants are consensus members, the pinger is
/// a known peer only.
fn network_toml(roster: &Value, dialect: &str) -> Result<String> {
    let mut members = Vec::new();
    let mut body = String::new();
    let parts = roster["participants"].as_array().ok_or("no participants")?;
    let entries = parts.iter().map(|p| (p, true)).chain(
        roster
            .get("pinger")
            .filter(|p| p.is_object())
            .map(|p| (p, false)),
    );
    for (p, member) in entries {
        let (name, did) = (text(p, "name")?, text(p, "did")?);
        body.push_str(&format!(
            "\n[[participants]]\ndid = \"{did}\"\nverkey = \"{}\"\nendpoint = \"{}\"\n\
             label = \"{name}\"\norganization = \"{name}\"\n",
            text(p, "verkey")?,
            text(p, "endpoint")?
        ));
        if member {
            members.push(format!("\"{did}\""));
        }
    }
    Ok(format!(
        "[consensus]\ndialect = \"{dialect}\"\nmembers = [{}]\n{body}",
        members.join(", ")
    ))
}

async fn ledger(State(db): State<Database>, Path(name): Path<String>) -> (StatusCode, Json<Value>) {
    let loaded = match db.load_ledger(&name).await {
        Ok(Some(l)) => l,
        Ok(None) => {
            return (
                StatusCode::NOT_FOUND,
                Json(json!({"error": "no such ledger"})),
            )
        }
        Err(e) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"error": e.to_string()})),
            )
        }
    };
    let state = match Microledger::open(&name, loaded) {
        Ok(l) => l.state(),
        Err(e) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"error": e.to_string()})),
            )
        }
    };
    let record = db.ledger_by_name(&name).await.ok().flatten();
    let txns: Vec<Value> = match record {
        Some(r) => match db.list_transactions(r.id, 0, u64::MAX >> 2).await {
            Ok(page) => page.items.into_iter().map(|t| t.txn.into_value()).collect(),
            Err(e) => {
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Json(json!({"error": e.to_string()})),
                )
            }
        },
        None => Vec::new(),
    };
    (
        StatusCode::OK,
        Json(json!({"state": state, "transactions": txns, "uncommitted": []})),
    )
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tmtm_node=debug".into()),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(roster_path), Some(me)) = (args.first(), args.get(1)) else {
        return Err("usage: conformance_peer ROSTER.json NAME [--for SECS] [--dialect D]".into());
    };
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let run_for = flag("--for")
        .map(|s| s.parse::<u64>().map_err(|e| e.to_string()))
        .transpose()?;
    let dialect = flag("--dialect").unwrap_or_else(|| "1.0.25".into());
    let roster: Value =
        serde_json::from_str(&std::fs::read_to_string(roster_path).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    let own = roster["participants"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == me.as_str()))
        .ok_or("no such participant")?;
    let seed: [u8; 32] = text(own, "seed")?
        .as_bytes()
        .try_into()
        .map_err(|_| "seed must be 32 bytes")?;
    let keys = KeyPair::from_seed(&seed);
    if keys.did().as_str() != text(own, "did")? {
        return Err("seed does not match the roster did".into());
    }
    let network = Network::parse(&network_toml(&roster, &dialect)?, roster_path)
        .map_err(|e| e.to_string())?;
    let endpoint = text(own, "endpoint")?;
    let rest = endpoint
        .strip_prefix("http://")
        .ok_or("endpoint must be http://")?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));

    let config = DriverConfig {
        engine: tmtm_consensus::Config {
            dialect: driver::dialect_of(&network),
            ..tmtm_consensus::Config::default()
        },
        // Conformance runs exchange synthetic, unsigned transactions.
        proposal_signatures: None,
        ..DriverConfig::default()
    };
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let db =
        Database::open_sqlite_file(&dir.path().join("node.sqlite3"), &StorageOptions::default())
            .await
            .map_err(|e| e.to_string())?;
    let (transport, inbound) = Transport::new(
        keys.clone(),
        PeerBook::from_network(&network),
        db.clone(),
        db.clone(),
        TransportConfig {
            inbound_path: format!("/{path}"),
            redeliver_duplicates: driver::redelivered_duplicates(&config.engine),
            ..TransportConfig::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let cancel = CancellationToken::new();
    let worker = transport.spawn_worker(cancel.clone());
    let app = transport.router().merge(
        Router::new()
            .route("/ledgers/{name}", get(ledger))
            .with_state(db.clone()),
    );
    let pinger = transport.clone();
    let peers: Vec<tmtm_node::transport::Peer> = network
        .participants()
        .iter()
        .filter(|p| p.did != keys.did() && network.is_consensus_member(&p.did))
        .map(tmtm_node::transport::Peer::from)
        .collect();
    let parts = DriverParts {
        keys,
        network,
        db: db.clone(),
        transport,
        inbound,
        config,
    };
    let (handle, task) = driver::spawn(parts, cancel.clone())
        .await
        .map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(authority)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(%authority, "conformance peer {me} listening");
    let stop = cancel.clone();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await;
    });
    if let Some(scenario) = flag("--lead") {
        let others: Vec<_> = roster["participants"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["name"] != me.as_str())
            .filter_map(|p| p["endpoint"].as_str().map(str::to_owned))
            .collect();
        lead::wait_for(&others).await;
        if let Err(e) = lead::run(&scenario, &handle, &pinger, &peers).await {
            tracing::error!("leading {scenario} failed: {e}");
        }
    }
    let limit = async {
        match run_for {
            Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = limit => {}
    }
    cancel.cancel();
    let _ = tokio::join!(worker, task, server);
    db.close().await;
    Ok(())
}
