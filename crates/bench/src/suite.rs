//! The measurements of one `tmtm-bench` run, each on a fresh network, and their tables.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};

use tmtm_wire::counters::CryptoOps;

use crate::costmodel::{self, OpCosts};
use crate::network::Network;
use crate::stats::{ms, Samples, Table};
use crate::workload::{self, create_containers, write_concurrently};

/// What to measure and how much.
#[derive(Clone, Debug)]
pub struct Plan {
    pub node_counts: Vec<usize>,
    pub base_port: u16,
    pub latency_rounds: usize,
    pub creations: usize,
    pub containers: Vec<usize>,
    pub throughput_time: Duration,
    /// Ledgers per round in the parallel-flow throughput rows (one document to each).
    pub per_round: usize,
    /// The coalesced throughput rows: this many containers, each written by this many
    /// concurrent writers (one document per request; the node merges the requests waiting
    /// for one ledger into one round).
    pub coalesced: Vec<(usize, usize)>,
    pub rss_nodes: usize,
    pub rss_txns: u64,
    pub rss_time: Duration,
    /// Concurrent writers per container in the RSS run (1: each container group written
    /// one round after another; more: the node coalesces them into shared rounds, which is
    /// how 100,000 transactions fit in the run's time).
    pub rss_writers: usize,
    /// Containers written in the RSS run.
    pub rss_containers: usize,
    pub rest_requests: usize,
}

impl Plan {
    /// The default run (under five minutes on a quiet 2-core machine).
    pub fn full() -> Plan {
        Plan {
            node_counts: vec![3, 5],
            base_port: 8100,
            latency_rounds: 200,
            creations: 30,
            containers: vec![1, 10, 100],
            throughput_time: Duration::from_secs(10),
            per_round: 5,
            coalesced: vec![(10, 8), (10, 64)],
            rss_nodes: 5,
            rss_txns: 100_000,
            rss_time: Duration::from_secs(150),
            rss_writers: 64,
            rss_containers: 10,
            rest_requests: 2000,
        }
    }

    /// A smoke run of a few seconds (CI).
    pub fn quick() -> Plan {
        Plan {
            node_counts: vec![3, 5],
            base_port: 8100,
            latency_rounds: 10,
            creations: 3,
            containers: vec![1, 10],
            throughput_time: Duration::from_millis(1500),
            per_round: 2,
            coalesced: vec![(10, 8)],
            rss_nodes: 3,
            rss_txns: 200,
            rss_time: Duration::from_secs(30),
            rss_writers: 4,
            rss_containers: 10,
            rest_requests: 50,
        }
    }
}

/// The tables of a run.
struct Tables {
    latency: Table,
    cost: Table,
    creation: Table,
    throughput: Table,
    rest: Table,
    rss: Table,
}

/// Runs every measurement of `plan` and prints the tables.
pub async fn run(plan: &Plan) -> Result<()> {
    let mut t = Tables {
        latency: Table::new(
            "Commit latency (WebSocket issue-transaction -> done, one round at a time)",
            &["nodes", "rounds", "p50 ms", "p99 ms", "max ms", "failed"],
        ),
        cost: Table::new(
            "Crypto cost model per commit round (all nodes together; costs timed in this run)",
            &[
                "nodes",
                "packs",
                "unpacks",
                "signs",
                "verifies",
                "crypto CPU ms",
                "round p50 ms",
                "crypto / round",
            ],
        ),
        creation: Table::new(
            "Ledger creation latency (create-ledger -> done, 16 at a time)",
            &["nodes", "ledgers", "p50 ms", "p99 ms", "max ms", "failed"],
        ),
        throughput: Table::new(
            "Throughput (containers written concurrently; each writer one request after another; \
             several writers per container: the node coalesces their requests into shared rounds)",
            &[
                "nodes",
                "containers",
                "ledger txns/round",
                "committed",
                "failed",
                "seconds",
                "txns/s",
                "p50 ms",
                "p99 ms",
                "writers/container",
            ],
        ),
        rest: Table::new(
            "REST read rate (GET /ledgers/{id}/transactions/, one 100-transaction page, 8 clients)",
            &["nodes", "page size", "requests", "failed", "req/s"],
        ),
        rss: Table::new(
            "Peak RSS per node (VmHWM) after writing transactions",
            &["nodes", "node", "transactions", "VmHWM MiB"],
        ),
    };
    let started = Instant::now();
    let costs = costmodel::measure(300)?;
    eprintln!(
        "crypto op costs (µs): pack {:.1}, unpack {:.1}, sign {:.1}, verify {:.1}",
        costs.pack_us, costs.unpack_us, costs.sign_us, costs.verify_us
    );
    for (i, &count) in plan.node_counts.iter().enumerate() {
        let base = plan.base_port + (i as u16) * 10;
        let elapsed = || started.elapsed().as_secs_f64();
        eprintln!(
            "[{:>6.1}s] {count} nodes on ports {base}..: latency",
            elapsed()
        );
        let net = Network::start(count, base).await?;
        let p50 = latency(plan, &net, count, &mut t).await?;
        let ops = net.stop_counting();
        cost_row(&mut t, count, &ops, plan.latency_rounds, &costs, p50);
        eprintln!(
            "[{:>6.1}s] {count} nodes on ports {}..: load",
            elapsed(),
            base + 5
        );
        let net = Network::start(count, base + 5).await?;
        rest(plan, &net, count, &mut t).await?;
        load(plan, &net, count, &mut t).await?;
        net.stop();
    }
    let base = plan.base_port + 50;
    eprintln!(
        "[{:>6.1}s] RSS run: {} nodes",
        started.elapsed().as_secs_f64(),
        plan.rss_nodes
    );
    let net = Network::start(plan.rss_nodes, base).await?;
    rss(plan, &net, &mut t).await?;
    net.stop();
    for table in [
        &t.latency,
        &t.cost,
        &t.creation,
        &t.throughput,
        &t.rest,
        &t.rss,
    ] {
        table.print();
    }
    println!();
    println!("bench complete in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// One ledger, rounds one after another at the first node; returns the p50 in ms.
async fn latency(plan: &Plan, net: &Network, count: usize, t: &mut Tables) -> Result<f64> {
    let first = &net.clients[0];
    workload::create_ledger(first, "latency").await?;
    let (mut samples, mut failed) = (Samples::default(), 0usize);
    for _ in 0..plan.latency_rounds {
        match workload::issue(first, "latency").await {
            Ok(d) => samples.push(d),
            Err(e) => {
                failed += 1;
                eprintln!("latency round failed: {e}");
            }
        }
    }
    t.latency.row(vec![
        count.to_string(),
        samples.len().to_string(),
        ms(samples.p50_ms()),
        ms(samples.p99_ms()),
        ms(samples.max_ms()),
        failed.to_string(),
    ]);
    Ok(samples.p50_ms())
}

/// The cost-model row of the latency network: its counts cover one creation and `rounds`
/// commits, attributed to the commits (the creation is under 1/`rounds` of it).
fn cost_row(
    t: &mut Tables,
    count: usize,
    ops: &[Option<CryptoOps>],
    rounds: usize,
    costs: &OpCosts,
    p50_ms: f64,
) {
    let known: Vec<CryptoOps> = ops.iter().flatten().copied().collect();
    if known.len() != ops.len() {
        eprintln!("cost model: a node did not report its crypto operations");
    }
    let sum = costmodel::total(&known);
    let r = rounds.max(1) as f64;
    let crypto_ms = costs.of(&sum) / 1000.0 / r;
    t.cost.row(vec![
        count.to_string(),
        format!("{:.1}", sum.packs as f64 / r),
        format!("{:.1}", sum.unpacks as f64 / r),
        format!("{:.1}", sum.signs as f64 / r),
        format!("{:.1}", sum.verifies as f64 / r),
        ms(crypto_ms),
        ms(p50_ms),
        format!("{:.0}%", 100.0 * crypto_ms / p50_ms.max(1e-9)),
    ]);
}

/// Ledger creation latency, then the throughput rows.
async fn load(plan: &Plan, net: &Network, count: usize, t: &mut Tables) -> Result<()> {
    let (_, created) = create_containers(&net.clients, "create", plan.creations).await?;
    t.creation.row(vec![
        count.to_string(),
        created.len().to_string(),
        ms(created.p50_ms()),
        ms(created.p99_ms()),
        ms(created.max_ms()),
        (plan.creations - created.len()).to_string(),
    ]);
    // (containers, ledgers per round, writers per container)
    let mut runs: Vec<(usize, usize, usize)> = plan.containers.iter().map(|&c| (c, 1, 1)).collect();
    if let Some(&most) = plan.containers.iter().max() {
        runs.push((most, plan.per_round, 1));
    }
    for &(coalesced, per_container) in &plan.coalesced {
        runs.push((coalesced, 1, per_container));
    }
    for (containers, per_round, per_container) in runs {
        let prefix = format!("tp{containers}x{per_round}w{per_container}");
        let (names, _) = create_containers(&net.clients, &prefix, containers).await?;
        let writers = if per_container > 1 {
            workload::several_writers(&names, per_container)
        } else {
            workload::writers(&names, per_round)
        };
        let r = write_concurrently(&net.clients, &writers, plan.throughput_time, u64::MAX).await;
        if let Some(e) = &r.first_error {
            eprintln!(
                "throughput ({containers} containers x{per_round}, {per_container} writers each): \
                 first error: {e}"
            );
        }
        let txns_per_round = if per_container > 1 {
            "coalesced".to_owned()
        } else {
            per_round.to_string()
        };
        t.throughput.row(vec![
            count.to_string(),
            containers.to_string(),
            txns_per_round,
            r.committed.to_string(),
            r.failed.to_string(),
            format!("{:.1}", r.elapsed.as_secs_f64()),
            format!("{:.0}", r.per_sec()),
            ms(r.latency.p50_ms()),
            ms(r.latency.p99_ms()),
            per_container.to_string(),
        ]);
    }
    Ok(())
}

/// Fills a ledger with a page of transactions (genesis + `latency_rounds`, at most 99
/// rounds), then reads its newest page from 8 concurrent clients.
async fn rest(plan: &Plan, net: &Network, count: usize, t: &mut Tables) -> Result<()> {
    let first = &net.clients[0];
    workload::create_ledger(first, "rest").await?;
    for _ in 0..plan.latency_rounds.min(99) {
        workload::issue(first, "rest").await?;
    }
    let list = first.get_json("/ledgers/?page_size=1000").await?;
    let id = list
        .get("results")
        .and_then(|r| r.as_array())
        .and_then(|a| {
            a.iter()
                .find(|l| l.get("name").and_then(|n| n.as_str()) == Some("rest"))
        })
        .and_then(|l| l.get("id"))
        .and_then(|i| i.as_i64());
    let Some(id) = id else {
        bail!("the rest ledger is not listed by the REST API");
    };
    let path = format!("/ledgers/{id}/transactions/");
    let page = first.get_json(&path).await?;
    let size = page
        .get("results")
        .and_then(|r| r.as_array())
        .map_or(0, Vec::len);
    let started = Instant::now();
    let per_client = plan.rest_requests.div_ceil(8);
    let jobs = (0..8).map(|_| {
        let client = first.clone();
        let path = path.clone();
        async move {
            let mut failed = 0usize;
            for _ in 0..per_client {
                match client.get(&path).await {
                    Ok((200, _)) => {}
                    _ => failed += 1,
                }
            }
            failed
        }
    });
    let failed: usize = futures_util::future::join_all(jobs).await.into_iter().sum();
    let total = per_client * 8;
    let rate = (total - failed) as f64 / started.elapsed().as_secs_f64().max(1e-9);
    t.rest.row(vec![
        count.to_string(),
        size.to_string(),
        total.to_string(),
        failed.to_string(),
        format!("{rate:.0}"),
    ]);
    Ok(())
}

async fn rss(plan: &Plan, net: &Network, t: &mut Tables) -> Result<()> {
    let containers = plan.rss_containers.min(plan.rss_txns.max(1) as usize);
    let (names, _) = create_containers(&net.clients, "rss", containers).await?;
    let writers = if plan.rss_writers > 1 {
        workload::several_writers(&names, plan.rss_writers)
    } else {
        workload::writers(&names, plan.per_round)
    };
    let r = write_concurrently(&net.clients, &writers, plan.rss_time, plan.rss_txns).await;
    if let Some(e) = &r.first_error {
        eprintln!("RSS run: first error: {e}");
    }
    eprintln!(
        "RSS run: {} committed, {} failed in {:.1} s ({:.0} txns/s)",
        r.committed,
        r.failed,
        r.elapsed.as_secs_f64(),
        r.per_sec()
    );
    for (i, kib) in net.peak_rss_kib().into_iter().enumerate() {
        t.rss.row(vec![
            plan.rss_nodes.to_string(),
            net.nodes[i].org.organization.to_owned(),
            r.committed.to_string(),
            kib.map_or_else(|| "n/a".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
        ]);
    }
    Ok(())
}
