//! Runs `tmtm demo`: the prepared nodes' [`serve`](crate::serve::serve) futures on one tokio
//! runtime with a shared shutdown, the wait for every `/readyz`, seeding, `demo.json` and the
//! printed table. Ctrl-C or SIGTERM stops every node cleanly; so does any node failing.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::client::NodeClient;
use super::setup::{self, DemoNode};
use super::{seed, DemoError, DEMO_JSON};
use crate::fsio;
use crate::serve::{self, ServeError};

/// How long the nodes may take to answer `/readyz`.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// The options of `tmtm demo`.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Where every node's data, the network file, `demo.json` and the credentials live.
    pub data_dir: PathBuf,
    /// Node `i` listens on `127.0.0.1:<base_port + i>`.
    pub base_port: u16,
    /// Remove what a previous demo wrote before starting.
    pub fresh: bool,
    /// How many organisations of the route (2..=5).
    pub nodes: usize,
}

/// The default base port (clear of the conformance kit's 8801–8803 and 8810).
pub const DEFAULT_BASE_PORT: u16 = 7801;

impl DemoOptions {
    /// Refuses options the demo cannot run with (a node count outside 2..=5).
    pub fn check(&self) -> Result<(), DemoError> {
        if !(2..=super::TMTM_DEMO.len()).contains(&self.nodes) {
            return Err(DemoError::Usage(format!(
                "--nodes must be between 2 and {} (got {})",
                super::TMTM_DEMO.len(),
                self.nodes
            )));
        }
        let last = u32::from(self.base_port) + self.nodes as u32 - 1;
        if self.base_port < 1024 || last > u32::from(u16::MAX) {
            return Err(DemoError::Usage(format!(
                "--base-port {} leaves no room for {} ports in 1024..=65535",
                self.base_port, self.nodes
            )));
        }
        Ok(())
    }
}

/// The `demo.json` document: `{"nodes": [{name, did, verkey, api_url, dashboard_url, ws_url, agent_url,
/// username, password}]}` in route order.
pub fn demo_json(nodes: &[DemoNode]) -> Value {
    let list: Vec<Value> = nodes
        .iter()
        .map(|n| {
            let api = n.api_url();
            json!({
                "name": n.org.organization,
                "did": n.keys_did,
                "verkey": n.verkey,
                "api_url": api,
                "dashboard_url": format!("{api}/ui/"),
                "ws_url": format!("{}/transactions", api.replacen("http://", "ws://", 1)),
                "agent_url": n.config.agent_endpoint(),
                "username": n.username,
                "password": n.password.expose(),
            })
        })
        .collect();
    json!({ "nodes": list })
}

fn print_table(nodes: &[DemoNode], data_dir: &Path, seeded: usize) {
    println!(
        "TMTM demo: {} nodes on loopback (Ctrl-C to stop)",
        nodes.len()
    );
    println!();
    let w = nodes
        .iter()
        .map(|n| n.org.organization.chars().count())
        .max()
        .unwrap_or(0);
    println!(
        "  {:<w$}  {:<28}  {:<24}  {:<8}  PASSWORD",
        "NODE", "DASHBOARD", "API", "USER"
    );
    for n in nodes {
        println!(
            "  {:<w$}  {:<28}  {:<24}  {:<8}  {}",
            n.org.organization,
            format!("{}/ui/", n.api_url()),
            n.api_url(),
            n.username,
            n.password.expose()
        );
    }
    println!();
    println!(
        "These passwords are throwaway demo credentials (a real `tmtm serve` never prints \
         secrets); they are kept in {}.",
        data_dir.join(setup::CREDENTIALS_FILE).display()
    );
    if seeded > 0 {
        println!(
            "Seeded {seeded} sample containers: {}.",
            seed::container_names().join(", ")
        );
    } else {
        println!("Reusing the existing demo data (start with --fresh for a clean network).");
    }
    println!("Machine-readable: {}", data_dir.join(DEMO_JSON).display());
    if let Some(first) = nodes.first() {
        println!(
            "Try: curl -u {}:{} {}/ledgers/",
            first.username,
            first.password.expose(),
            first.api_url()
        );
    }
}

/// Waits until every node answers `/readyz`, or a node stops, or the deadline passes.
async fn wait_ready(
    http: &reqwest::Client,
    nodes: &[DemoNode],
    tasks: &mut JoinSet<Result<(), ServeError>>,
) -> Result<(), DemoError> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Some(done) = tasks.try_join_next() {
            return Err(node_failure(done));
        }
        let mut all = true;
        for n in nodes {
            if !NodeClient::new(http.clone(), n).ready().await {
                all = false;
                break;
            }
        }
        if all {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(DemoError::Client("the nodes did not become ready".into()));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn node_failure(done: Result<Result<(), ServeError>, tokio::task::JoinError>) -> DemoError {
    match done {
        Ok(Err(e)) => DemoError::Serve(e),
        Ok(Ok(())) => DemoError::Client("a node stopped unexpectedly".into()),
        Err(e) => DemoError::Client(format!("a node task failed: {e}")),
    }
}

/// Starts the nodes, seeds them, writes `demo.json`, prints the table, and runs until
/// `shutdown` completes or a node fails.
async fn run_nodes(
    options: &DemoOptions,
    nodes: &[DemoNode],
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), DemoError> {
    let cancel = CancellationToken::new();
    let mut tasks = JoinSet::new();
    for n in nodes {
        let config = n.config.clone();
        let stop = cancel.clone().cancelled_owned();
        tasks.spawn(async move { serve::serve(&config, stop).await });
    }
    let http = reqwest::Client::new();
    let started = async {
        wait_ready(&http, nodes, &mut tasks).await?;
        let seeded = seed::seed(&http, nodes).await?;
        let path = options.data_dir.join(DEMO_JSON);
        let text = serde_json::to_string_pretty(&demo_json(nodes))
            .map_err(|e| DemoError::Client(e.to_string()))?;
        fsio::write_private_atomic(&path, text.as_bytes(), true)
            .map_err(|source| DemoError::Io { path, source })?;
        print_table(nodes, &options.data_dir, seeded);
        Ok::<(), DemoError>(())
    };
    tokio::pin!(shutdown);
    let outcome = tokio::select! {
        r = started => match r {
            Ok(()) => tokio::select! {
                () = &mut shutdown => Ok(()),
                Some(done) = tasks.join_next() => Err(node_failure(done)),
            },
            Err(e) => Err(e),
        },
        () = &mut shutdown => Ok(()),
    };
    tracing::info!("stopping every demo node");
    cancel.cancel();
    let mut first_error = outcome.err();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                first_error.get_or_insert(DemoError::Serve(e));
            }
            Err(e) => {
                first_error.get_or_insert(DemoError::Client(format!("a node task failed: {e}")));
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// `tmtm demo`: prepares the data directory and runs the nodes until Ctrl-C or SIGTERM.
pub fn run(options: &DemoOptions) -> Result<(), DemoError> {
    options.check()?;
    if options.fresh {
        setup::remove_previous(&options.data_dir)?;
    }
    let nodes = setup::prepare(&options.data_dir, options.nodes, options.base_port)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| DemoError::Io {
            path: options.data_dir.clone(),
            source,
        })?;
    runtime.block_on(run_nodes(options, &nodes, serve::shutdown_signal()))
}
