//! `tmtm-bench race`: the two scenarios of the side-by-side run against the Python SDK
//! (`bench/side-by-side.sh`), on three of our nodes, printed as `RESULT` lines the script reads:
//! (a) one ledger, K commits one after another at the first node — latency per round;
//! (b) ten ledgers written concurrently, K commits each, all led by the first node — txns/s.

use std::time::Instant;

use anyhow::Result;

use crate::network::Network;
use crate::stats::Samples;
use crate::workload;

/// Runs both scenarios with `k` commits per ledger on 3 nodes from `base_port`.
pub async fn run(k: usize, base_port: u16) -> Result<()> {
    let net = Network::start(3, base_port).await?;
    let first = &net.clients[0];
    workload::create_ledger(first, "race-a").await?;
    let mut samples = Samples::default();
    for _ in 0..k {
        samples.push(workload::issue(first, "race-a").await?);
    }
    println!(
        "RESULT impl=rust scenario=a rounds={} p50_ms={:.3} p99_ms={:.3} max_ms={:.3}",
        samples.len(),
        samples.p50_ms(),
        samples.p99_ms(),
        samples.max_ms()
    );
    let names: Vec<String> = (0..10).map(|i| format!("race-b-{i}")).collect();
    for name in &names {
        workload::create_ledger(first, name).await?;
    }
    let started = Instant::now();
    let jobs = names.iter().map(|name| async move {
        for _ in 0..k {
            workload::issue(first, name).await?;
        }
        Ok::<(), anyhow::Error>(())
    });
    for r in futures_util::future::join_all(jobs).await {
        r?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let total = names.len() * k;
    println!(
        "RESULT impl=rust scenario=b txns={total} seconds={elapsed:.3} txns_per_sec={:.1}",
        total as f64 / elapsed.max(1e-9)
    );
    net.stop();
    Ok(())
}
