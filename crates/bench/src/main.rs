//! `tmtm-bench`: node-level benchmarks of TMTM on loopback (see `docs/BENCHMARKS.md`).
//!
//! - `tmtm-bench [--quick]`: commit latency, ledger creation latency, throughput, REST read
//!   rate and peak RSS per node, printed as Markdown tables;
//! - `tmtm-bench race --k K`: the Rust half of `bench/side-by-side.sh`;
//! - `tmtm-bench node …` (internal): one node process of a bench network.

mod client;
mod costmodel;
mod network;
mod race;
mod stats;
mod suite;
mod workload;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "tmtm-bench",
    about = "Node-level benchmarks of TMTM on loopback"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// A smoke run of a few seconds (CI): every table, tiny amounts.
    #[arg(long)]
    quick: bool,
    /// First loopback port; a run uses base..base+60.
    #[arg(long, default_value_t = 8100)]
    base_port: u16,
    /// Seconds each throughput measurement writes.
    #[arg(long)]
    throughput_secs: Option<f64>,
    /// Transactions written before peak RSS is read.
    #[arg(long)]
    rss_txns: Option<u64>,
    /// Sequential rounds of the latency measurement.
    #[arg(long)]
    rounds: Option<usize>,
    /// Network sizes to measure (default 3,5).
    #[arg(long, value_delimiter = ',')]
    nodes: Vec<usize>,
    /// Writers per container of the coalesced throughput rows (default 8,64).
    #[arg(long, value_delimiter = ',')]
    writers: Vec<usize>,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Scenarios (a) and (b) of the side-by-side run on three of our nodes.
    Race {
        /// Commits per ledger.
        #[arg(long, default_value_t = 50)]
        k: usize,
        #[arg(long, default_value_t = 8200)]
        base_port: u16,
    },
    /// One node of a bench network (started by the bench itself).
    #[command(hide = true)]
    Node {
        #[arg(long)]
        data_dir: PathBuf,
        #[arg(long)]
        count: usize,
        #[arg(long)]
        base_port: u16,
        #[arg(long)]
        index: usize,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    if let Some(Cmd::Node {
        data_dir,
        count,
        base_port,
        index,
    }) = &cli.command
    {
        init_node_logging();
        return network::run_node(data_dir, *count, *base_port, *index);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    match cli.command {
        Some(Cmd::Race { k, base_port }) => runtime.block_on(race::run(k, base_port)),
        _ => {
            let mut plan = if cli.quick {
                suite::Plan::quick()
            } else {
                suite::Plan::full()
            };
            plan.base_port = cli.base_port;
            if let Some(s) = cli.throughput_secs {
                plan.throughput_time = Duration::from_secs_f64(s.max(0.1));
            }
            if let Some(n) = cli.rss_txns {
                plan.rss_txns = n;
            }
            if let Some(n) = cli.rounds {
                plan.latency_rounds = n.max(1);
            }
            if !cli.nodes.is_empty() {
                plan.node_counts = cli.nodes.iter().map(|&n| n.clamp(2, 5)).collect();
            }
            if !cli.writers.is_empty() {
                plan.coalesced = cli.writers.iter().map(|&w| (10, w.max(2))).collect();
            }
            runtime.block_on(suite::run(&plan))
        }
    }
}

/// Node processes log like `tmtm serve` (default `info`, `RUST_LOG` overrides) to their log
/// file in the bench directory.
fn init_node_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
