//! A bare transport node for the conformance kit's `trustping` scenario (manual interop check).
//!
//! ```sh
//! cargo run -p tmtm-node --example transport_peer -- ROSTER.json C [--ping A,B] [--for SECS]
//! ```
//! Plays roster participant `C` (key from its roster seed), knows every other participant and
//! the pinger as peers, serves the endpoint's path on its host:port, answers trust pings, logs
//! other inbound messages (type and id only), and with `--ping` pings those participants once
//! a second until each has answered. Stops on Ctrl-C or after `--for` seconds.

use std::time::Duration;

use serde_json::Value;
use tmtm_node::transport::{MemoryDedup, MemoryOutbox, Peer, PeerBook, Transport, TransportConfig};
use tmtm_wire::keys::{Did, KeyPair, Verkey};
use tokio_util::sync::CancellationToken;

type Result<T> = std::result::Result<T, String>;

fn fail<T>(text: impl Into<String>) -> Result<T> {
    Err(text.into())
}

struct Entry {
    name: String,
    seed: Option<String>,
    peer: Peer,
}

fn entry(v: &Value) -> Result<Entry> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let name = text("name").ok_or("roster entry without name")?;
    let verkey =
        Verkey::from_base58(&text("verkey").ok_or("no verkey")?).map_err(|e| e.to_string())?;
    let did = Did::new(text("did").ok_or("no did")?);
    let endpoint = text("endpoint").ok_or("no endpoint")?;
    Ok(Entry {
        name,
        seed: text("seed"),
        peer: Peer::new(did, verkey, endpoint),
    })
}

/// `http://host:port/path` → (`host:port`, `/path`).
fn split_endpoint(url: &str) -> Result<(String, String)> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("endpoint must be http://")?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    Ok((authority.to_owned(), format!("/{path}")))
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
        return fail("usage: transport_peer ROSTER.json NAME [--ping A,B] [--for SECS]");
    };
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let roster: Value =
        serde_json::from_str(&std::fs::read_to_string(roster_path).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    let mut entries = Vec::new();
    for p in roster["participants"].as_array().ok_or("no participants")? {
        entries.push(entry(p)?);
    }
    if let Some(pinger) = roster.get("pinger") {
        entries.push(entry(pinger)?);
    }
    let own = entries
        .iter()
        .find(|e| &e.name == me)
        .ok_or("NAME not in the roster")?;
    let seed = own.seed.as_deref().ok_or("own entry has no seed")?;
    let seed: [u8; 32] = seed
        .as_bytes()
        .try_into()
        .map_err(|_| "seed must be 32 bytes")?;
    let keys = KeyPair::from_seed(&seed);
    if keys.verkey() != own.peer.verkey || keys.did() != own.peer.did {
        return fail("seed does not match the roster verkey/did");
    }
    let (listen, path) = split_endpoint(&own.peer.endpoint)?;
    let book = PeerBook::new(
        entries
            .iter()
            .filter(|e| &e.name != me)
            .map(|e| e.peer.clone()),
    );
    let config = TransportConfig {
        inbound_path: path,
        ..TransportConfig::default()
    };
    let (transport, mut inbound) =
        Transport::new(keys, book, MemoryOutbox::new(), MemoryDedup::new(), config)
            .map_err(|e| e.to_string())?;
    let cancel = CancellationToken::new();
    let worker = transport.spawn_worker(cancel.clone());
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(me = %me, did = %transport.did(), %listen, "listening");
    let server_cancel = cancel.clone();
    let app = transport.router();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { server_cancel.cancelled().await })
            .await
    });
    tokio::spawn(async move {
        while let Some(m) = inbound.recv().await {
            tracing::info!(from = %m.sender_did, r#type = m.message.type_str(), id = m.message.id().unwrap_or(""), "inbound message");
        }
    });
    if let Some(targets) = flag("--ping") {
        let targets: Vec<Peer> = targets
            .split(',')
            .filter_map(|n| entries.iter().find(|e| e.name == n).map(|e| e.peer.clone()))
            .collect();
        let t = transport.clone();
        tokio::spawn(async move {
            for peer in targets {
                for _ in 0..60 {
                    match t.ping(&peer, Duration::from_secs(3)).await {
                        Ok(rtt) => {
                            println!("PING {} ok rtt={}ms", peer.did, rtt.as_millis());
                            break;
                        }
                        Err(e) => {
                            tracing::info!(to = %peer.did, error = %e, "ping failed, retrying")
                        }
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        });
    }
    let run_for = flag("--for").and_then(|s| s.parse::<u64>().ok());
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = async {
            match run_for {
                Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
                None => std::future::pending().await,
            }
        } => {}
    }
    cancel.cancel();
    let _ = worker.await;
    let _ = server.await;
    Ok(())
}
