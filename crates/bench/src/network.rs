//! A network of real nodes on loopback, one `tmtm-bench node` process per node (so each has
//! its own runtime, database and peak RSS). The data directory, key stores, network file and
//! configurations are the ones `tmtm demo` prepares ([`tmtm_node::demo::setup::prepare`]).
//!
//! A node process serves until its stdin closes (then it shuts down cleanly); [`Network`]
//! keeps every child's stdin and closes it on [`Network::stop`] or drop. The directory (with
//! each node's log, `node-<i>.log`) is removed afterwards unless `TMTM_BENCH_KEEP` is set.

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use tmtm_node::demo::setup::{self, DemoNode};

use tmtm_wire::counters::CryptoOps;

use crate::client::NodeClient;
use crate::costmodel;

/// How long the nodes may take to answer `/readyz`.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a node may take to stop after its stdin closed.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// One running node process.
struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    log: PathBuf,
}

/// A running network of `count` nodes.
pub struct Network {
    pub nodes: Vec<DemoNode>,
    pub clients: Vec<NodeClient>,
    procs: Vec<Proc>,
    _dir: tempfile::TempDir,
}

impl Network {
    /// Prepares a fresh data directory and starts `count` node processes on
    /// `base_port..base_port+count`.
    pub async fn start(count: usize, base_port: u16) -> Result<Network> {
        let mut dir = tempfile::Builder::new()
            .prefix("tmtm-bench-")
            .tempdir()
            .context("cannot create the bench data directory")?;
        if std::env::var_os("TMTM_BENCH_KEEP").is_some() {
            dir.disable_cleanup(true);
            eprintln!("keeping {}", dir.path().display());
        }
        let nodes = setup::prepare(dir.path(), count, base_port)
            .context("cannot prepare the node configurations")?;
        let exe = std::env::current_exe().context("cannot find the bench binary")?;
        let mut procs = Vec::with_capacity(count);
        for (i, node) in nodes.iter().enumerate() {
            let log = dir.path().join(format!("node-{i}.log"));
            procs.push(spawn_node(
                &exe,
                dir.path(),
                count,
                base_port,
                i,
                &log,
                node,
            )?);
        }
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()
            .context("cannot build the HTTP client")?;
        let clients = nodes
            .iter()
            .map(|n| NodeClient::new(http.clone(), n))
            .collect::<Vec<_>>();
        let mut net = Network {
            nodes,
            clients,
            procs,
            _dir: dir,
        };
        net.wait_ready().await?;
        for c in &mut net.clients {
            c.login().await?;
        }
        Ok(net)
    }

    async fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            for (i, p) in self.procs.iter_mut().enumerate() {
                if let Some(status) = p.child.try_wait()? {
                    bail!("node {i} exited before it was ready ({status})");
                }
            }
            let mut all = true;
            for c in &self.clients {
                if !c.ready().await {
                    all = false;
                    break;
                }
            }
            if all {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("the nodes did not become ready within {READY_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Peak resident set size (`VmHWM`) of every node process, in KiB.
    pub fn peak_rss_kib(&self) -> Vec<Option<u64>> {
        self.procs
            .iter()
            .map(|p| vm_hwm_kib(p.child.id()))
            .collect()
    }

    /// Closes every node's stdin and waits for the processes to end.
    pub fn stop(mut self) {
        self.shutdown();
    }

    /// [`Network::stop`], then the crypto operations each node counted (from its log).
    pub fn stop_counting(mut self) -> Vec<Option<CryptoOps>> {
        let logs: Vec<PathBuf> = self.procs.iter().map(|p| p.log.clone()).collect();
        self.shutdown();
        logs.iter()
            .map(|l| {
                std::fs::read_to_string(l)
                    .ok()
                    .and_then(|t| costmodel::parse_ops(&t))
            })
            .collect()
    }

    fn shutdown(&mut self) {
        for p in &mut self.procs {
            drop(p.stdin.take());
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        for p in &mut self.procs {
            loop {
                match p.child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() > deadline => {
                        let _ = p.child.kill();
                        let _ = p.child.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        }
        self.procs.clear();
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn spawn_node(
    exe: &Path,
    dir: &Path,
    count: usize,
    base_port: u16,
    index: usize,
    log: &PathBuf,
    node: &DemoNode,
) -> Result<Proc> {
    let log_file =
        std::fs::File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
    let mut child = Command::new(exe)
        .arg("node")
        .arg("--data-dir")
        .arg(dir)
        .arg("--count")
        .arg(count.to_string())
        .arg("--base-port")
        .arg(base_port.to_string())
        .arg("--index")
        .arg(index.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log_file))
        .spawn()
        .with_context(|| format!("cannot start node {}", node.org.organization))?;
    let stdin = child.stdin.take();
    Ok(Proc {
        child,
        stdin,
        log: log.clone(),
    })
}

/// `VmHWM` of a process from `/proc/<pid>/status`, in KiB.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The `node` subcommand: serves node `index` of the prepared directory until stdin closes,
/// then writes its crypto operation counts to its log.
pub fn run_node(dir: &Path, count: usize, base_port: u16, index: usize) -> Result<()> {
    let nodes = setup::prepare(dir, count, base_port).context("cannot read the bench setup")?;
    let Some(node) = nodes.get(index) else {
        bail!("no node {index} in a network of {count}");
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
        let _ = tx.send(());
    });
    let stop = async move {
        let _ = rx.await;
    };
    runtime
        .block_on(tmtm_node::serve::serve(&node.config, stop))
        .context("node failed")?;
    eprintln!(
        "{}",
        costmodel::format_ops(&tmtm_wire::counters::snapshot())
    );
    Ok(())
}
