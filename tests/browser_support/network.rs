//! The real multi-node network under test: the built `tmtm demo --nodes 3 --fresh` in a
//! temporary directory on free loopback ports, read back from its `demo.json` (the
//! dashboard URL and admin login of every node). Stopped with SIGINT (Ctrl-C) on drop.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use super::process::{free_port_range, Guard};

/// How many organisations of the route the suite runs.
pub const NODES: u16 = 3;
/// How long the demo may take to start, seed and write `demo.json` on a loaded machine.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// One node as `demo.json` describes it.
#[derive(Clone, Debug)]
pub struct Node {
    /// Organisation name (e.g. "KTZ Express").
    pub name: String,
    pub did: String,
    /// `http://127.0.0.1:<port>` — the dashboard is under `/ui/`.
    pub api_url: String,
    pub username: String,
    pub password: String,
}

impl Node {
    /// The absolute URL of a dashboard path such as `/ui/containers`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api_url)
    }
}

/// The running demo network (stopped on drop).
pub struct Network {
    pub nodes: Vec<Node>,
    _process: Guard,
    _dir: tempfile::TempDir,
}

impl Network {
    /// Starts the demo and waits for its `demo.json`.
    pub async fn start() -> Result<Network> {
        let dir = tempfile::tempdir().context("temporary directory")?;
        let base = free_port_range(NODES)?;
        let log = std::fs::File::create(dir.path().join("demo.log")).context("demo.log")?;
        let mut command = Command::new(env!("CARGO_BIN_EXE_tmtm"));
        command
            .args(["demo", "--fresh", "--nodes", &NODES.to_string()])
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["--base-port", &base.to_string()])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("demo.log")?)
            .stderr(log);
        let mut process = Guard::spawn("tmtm demo", command, "INT")?;
        let json = wait_demo_json(&dir.path().join("data"), &mut process)
            .await
            .with_context(|| demo_log(dir.path()))?;
        let nodes = parse_nodes(&json)?;
        if nodes.len() != usize::from(NODES) {
            bail!("demo.json lists {} nodes, expected {NODES}", nodes.len());
        }
        Ok(Network {
            nodes,
            _process: process,
            _dir: dir,
        })
    }
}

fn demo_log(dir: &Path) -> String {
    let log = std::fs::read_to_string(dir.join("demo.log")).unwrap_or_default();
    format!("the demo network did not start; its output:\n{log}")
}

async fn wait_demo_json(data_dir: &Path, process: &mut Guard) -> Result<Value> {
    let path = data_dir.join("demo.json");
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(text) = std::fs::read_to_string(&path) {
            return serde_json::from_str(&text).context("demo.json is not JSON");
        }
        process.check_running()?;
        if Instant::now() > deadline {
            bail!("no demo.json after {START_TIMEOUT:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn parse_nodes(json: &Value) -> Result<Vec<Node>> {
    let list = json["nodes"].as_array().context("demo.json has no nodes")?;
    list.iter()
        .map(|n| {
            let field = |k: &str| {
                n[k].as_str()
                    .map(str::to_owned)
                    .with_context(|| format!("demo.json node without {k}"))
            };
            Ok(Node {
                name: field("name")?,
                did: field("did")?,
                api_url: field("api_url")?,
                username: field("username")?,
                password: field("password")?,
            })
        })
        .collect()
}
