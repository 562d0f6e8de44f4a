//! `tmtm network check`: trust-pings every other participant of the network file from this
//! node's identity, with the transport's own [`Transport::ping`], and prints a table (or JSON)
//! of who answered and how fast.
//!
//! The answers (`ping_response`) come back to this node's endpoint as the *peers'* network
//! files list it, so the command opens the key store and serves the DIDComm endpoint on the
//! configured listen address for as long as the pings take. If that address is busy (the node
//! is running) it stops with a clear error: the running node would receive the answers.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use serde_json::json;
use tmtm_node::config::CliOverrides;
use tmtm_node::identity;
use tmtm_node::roster::Network;
use tmtm_node::transport::{
    MemoryDedup, MemoryOutbox, PeerBook, PingError, Transport, TransportConfig,
};
use tokio::task::JoinSet;

use super::args::{load_config, runtime, ConfigArgs};
use super::exit::{fail, CHECK_FAILED, RUNTIME, USAGE};
use super::table;

#[derive(Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// File holding the wallet key (overrides TMTM_WALLET_KEY and wallet_key_file).
    #[arg(long, value_name = "FILE")]
    pub wallet_key_file: Option<PathBuf>,
    /// Network file (overrides network_file / TMTM_NETWORK_FILE).
    #[arg(long, value_name = "FILE")]
    pub network: Option<PathBuf>,
    /// Seconds to wait for each participant's answer (1..=120).
    #[arg(long, value_name = "SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=120))]
    pub timeout: u64,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// One participant's result.
struct Outcome {
    organization: String,
    did: String,
    endpoint: String,
    result: Result<Duration, String>,
}

pub fn check(args: CheckArgs) -> anyhow::Result<()> {
    let config = load_config(CliOverrides {
        wallet_key_file: args.wallet_key_file.clone(),
        network_file: args.network.clone(),
        ..args.config.overrides()
    })?;
    let (_card, keys) = identity::open(&config)?;
    let network = Network::load(&config.network_file)?;
    let own = keys.did();
    network.require_participant(&own, &config.network_file.display().to_string())?;
    let transport_config = TransportConfig {
        inbound_path: config.agent_path.clone(),
        ..TransportConfig::default()
    };
    let timeout = Duration::from_secs(args.timeout);
    let peers: Vec<_> = network
        .participants()
        .iter()
        .filter(|p| p.did != own)
        .cloned()
        .collect();
    if peers.is_empty() {
        return Err(fail(
            USAGE,
            "the network file lists no other participant to check",
        ));
    }
    let outcomes = runtime()?.block_on(async {
        let (transport, _inbound) = Transport::new(
            keys,
            PeerBook::from_network(&network),
            MemoryOutbox::new(),
            MemoryDedup::new(),
            transport_config,
        )
        .map_err(|e| fail(RUNTIME, e.to_string()))?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| {
                fail(
                    RUNTIME,
                    format!(
                        "cannot listen on {} for the ping answers ({e}); is this node running? \
                         Stop it first, or use GET /maintenance/check_health/ of the running node",
                        config.listen
                    ),
                )
            })?;
        let router = transport.router();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        let mut pings = JoinSet::new();
        for (i, p) in peers.iter().enumerate() {
            let transport = transport.clone();
            let did = p.did.clone();
            pings.spawn(async move {
                let result = match transport.peers().by_did(&did).cloned() {
                    Some(peer) => transport.ping(&peer, timeout).await.map_err(explain),
                    None => Err("not a known peer".to_owned()),
                };
                (i, result)
            });
        }
        let mut results: Vec<Option<Result<Duration, String>>> = vec![None; peers.len()];
        while let Some(done) = pings.join_next().await {
            if let Ok((i, result)) = done {
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some(result);
                }
            }
        }
        server.abort();
        let outcomes = peers
            .iter()
            .zip(results)
            .map(|(p, r)| Outcome {
                organization: p.organization.clone(),
                did: p.did.to_string(),
                endpoint: p.endpoint.to_string(),
                result: r.unwrap_or_else(|| Err("the ping task failed".to_owned())),
            })
            .collect::<Vec<_>>();
        Ok::<_, anyhow::Error>(outcomes)
    })?;
    report(&outcomes, &own.to_string(), args.json)
}

/// The ping error as shown, with a hint for the usual cause of a 403.
fn explain(e: PingError) -> String {
    match e {
        PingError::Refused(403) => format!("{e} (does its network file list this node?)"),
        e => e.to_string(),
    }
}

fn report(outcomes: &[Outcome], own: &str, as_json: bool) -> anyhow::Result<()> {
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    if as_json {
        let participants: Vec<_> = outcomes
            .iter()
            .map(|o| {
                json!({
                    "organization": o.organization,
                    "did": o.did,
                    "endpoint": o.endpoint,
                    "ok": o.result.is_ok(),
                    "rtt_ms": o.result.as_ref().ok().map(|d| d.as_millis() as u64),
                    "error": o.result.as_ref().err(),
                })
            })
            .collect();
        let doc = json!({"from": own, "success": failed == 0, "participants": participants});
        println!("{doc:#}");
    } else {
        let rows: Vec<Vec<String>> = outcomes
            .iter()
            .map(|o| {
                let (result, ms) = match &o.result {
                    Ok(d) => ("ok".to_owned(), d.as_millis().to_string()),
                    Err(e) => (e.replace(['\n', '\r'], " "), "-".to_owned()),
                };
                vec![
                    o.organization.clone(),
                    o.did.clone(),
                    o.endpoint.clone(),
                    result,
                    ms,
                ]
            })
            .collect();
        println!("Trust ping from {own}:");
        print!(
            "{}",
            table::render(
                &["ORGANIZATION", "DID", "ENDPOINT", "RESULT", "RTT_MS"],
                &rows
            )
        );
        println!(
            "{} of {} participants answered",
            outcomes.len() - failed,
            outcomes.len()
        );
    }
    if failed > 0 {
        return Err(fail(
            CHECK_FAILED,
            format!("{failed} of {} participants did not answer", outcomes.len()),
        ));
    }
    Ok(())
}
