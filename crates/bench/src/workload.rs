//! What the bench sends: ledger creations and `issue-transaction` documents over the command
//! WebSocket, sequential (latency) or from many concurrent container writers (throughput;
//! one writer per container, or several, whose requests the node coalesces into shared rounds).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::{json, Value};

use crate::client::NodeClient;
use crate::stats::Samples;

const PREFIX: &str = "https://github.com/Sirius-social/TMTM/tree/master/transactions/1.0/";
/// Time to live of every round the bench starts.
const TTL_SECS: u64 = 60;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// A small shipping document for `ledger` (the fields §3.6 requires); `ledger` is a name,
/// or a list of names for the parallel flow.
pub fn document(ledger: impl Into<Value>) -> Value {
    let ledger: Value = ledger.into();
    let n = next_id();
    json!({
        "@type": format!("{PREFIX}issue-transaction"),
        "@id": format!("bench-{n}"),
        "no": format!("WB-{n}"),
        "date": "2026-11-28",
        "cargo": "coal",
        "departure_station": "Dostyk",
        "arrival_station": "Aktau-Port",
        "doc_type": "WayBill",
        "ledger": {"name": ledger},
        "time_to_live": TTL_SECS,
    })
}

/// Creates `name` with a one-document genesis; returns the local ledger id and the latency.
pub async fn create_ledger(client: &NodeClient, name: &str) -> Result<(i64, Duration)> {
    let mut genesis = document(name);
    if let Some(m) = genesis.as_object_mut() {
        m.remove("time_to_live");
    }
    let msg = json!({
        "@type": format!("{PREFIX}create-ledger"),
        "@id": format!("bench-create-{}", next_id()),
        "name": name,
        "genesis": [genesis],
        "time_to_live": TTL_SECS,
    });
    let answer = client.command(&msg).await?;
    let id = answer
        .body
        .get("ledger")
        .and_then(|l| l.get("id"))
        .and_then(Value::as_i64)
        .unwrap_or_default();
    Ok((id, answer.elapsed))
}

/// Issues one document to `ledger`; returns the issue → done latency.
pub async fn issue(client: &NodeClient, ledger: &str) -> Result<Duration> {
    Ok(client.command(&document(ledger)).await?.elapsed)
}

/// Issues one document to every ledger of `ledgers` in one round (the parallel flow).
pub async fn issue_parallel(client: &NodeClient, ledgers: &[String]) -> Result<Duration> {
    Ok(client.command(&document(ledgers.to_vec())).await?.elapsed)
}

/// Result of a throughput run.
pub struct Throughput {
    /// Ledger transactions committed.
    pub committed: u64,
    /// Rounds that failed.
    pub failed: u64,
    pub elapsed: Duration,
    pub latency: Samples,
    pub first_error: Option<String>,
}

impl Throughput {
    pub fn per_sec(&self) -> f64 {
        self.committed as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Creates `containers` ledgers, container `i` led by node `i % nodes` (at most 16
/// creations at once); returns their names and the creation latencies.
pub async fn create_containers(
    clients: &[NodeClient],
    prefix: &str,
    containers: usize,
) -> Result<(Vec<(usize, String)>, Samples)> {
    let names: Vec<(usize, String)> = (0..containers)
        .map(|i| (i % clients.len(), format!("{prefix}-{i}")))
        .collect();
    let mut samples = Samples::default();
    for chunk in names.chunks(16) {
        let jobs = chunk
            .iter()
            .map(|(node, name)| create_ledger(&clients[*node], name));
        for r in futures_util::future::join_all(jobs).await {
            samples.push(r?.1);
        }
    }
    Ok((names, samples))
}

/// Writers over `containers` ledgers: one ledger each, or (`per_round` > 1) groups of
/// `per_round` ledgers led by the same node, each group written in parallel-flow rounds.
pub fn writers(containers: &[(usize, String)], per_round: usize) -> Vec<(usize, Vec<String>)> {
    let per_round = per_round.max(1);
    let mut by_node: std::collections::BTreeMap<usize, Vec<String>> = Default::default();
    for (node, name) in containers {
        by_node.entry(*node).or_default().push(name.clone());
    }
    let mut out = Vec::new();
    for (node, names) in by_node {
        for group in names.chunks(per_round) {
            out.push((node, group.to_vec()));
        }
    }
    out
}

/// `per_container` writers for every ledger of `containers`, each led by the container's
/// node: concurrent requests to one ledger, which the node merges into shared rounds.
pub fn several_writers(
    containers: &[(usize, String)],
    per_container: usize,
) -> Vec<(usize, Vec<String>)> {
    containers
        .iter()
        .flat_map(|(node, name)| {
            std::iter::repeat_n((*node, vec![name.clone()]), per_container.max(1))
        })
        .collect()
}

/// Every writer (a leading node and one ledger, or several for the parallel flow) issues
/// documents one after another until `target_total` ledger transactions committed or
/// `duration` passed (whichever first). A round to k ledgers commits k transactions.
pub async fn write_concurrently(
    clients: &[NodeClient],
    writers: &[(usize, Vec<String>)],
    duration: Duration,
    target_total: u64,
) -> Throughput {
    let committed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for (node, names) in writers {
        let client = clients[*node].clone();
        let names = names.clone();
        let per_round = names.len() as u64;
        let committed = Arc::clone(&committed);
        tasks.spawn(async move {
            let mut samples = Samples::default();
            let mut failed = 0u64;
            let mut first_error = None;
            while Instant::now() < deadline && committed.load(Ordering::Relaxed) < target_total {
                let round = match names.as_slice() {
                    [one] => issue(&client, one).await,
                    many => issue_parallel(&client, many).await,
                };
                match round {
                    Ok(d) => {
                        samples.push(d);
                        committed.fetch_add(per_round, Ordering::Relaxed);
                    }
                    Err(e) => {
                        failed += 1;
                        first_error.get_or_insert(e.to_string());
                    }
                }
            }
            (samples, failed, first_error)
        });
    }
    let mut result = Throughput {
        committed: 0,
        failed: 0,
        elapsed: Duration::ZERO,
        latency: Samples::default(),
        first_error: None,
    };
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok((samples, failed, error)) => {
                result.latency.extend(samples);
                result.failed += failed;
                if result.first_error.is_none() {
                    result.first_error = error;
                }
            }
            Err(e) => {
                result.failed += 1;
                result.first_error.get_or_insert(e.to_string());
            }
        }
    }
    result.elapsed = started.elapsed();
    result.committed = committed.load(Ordering::Relaxed);
    result
}
