//! Runs the built `tmtm network check` on a three-organisation network where one peer runs
//! (`tmtm serve`) and one is down: the table shows `ok` with a round-trip time for the first
//! and an error for the second, the exit code is 4, `--json` says the same; checking from a
//! node whose listen address is taken fails with a clear line. Also: a second `tmtm serve`
//! on a data directory in use stops at once (the data-directory lock).
#![cfg(unix)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use tmtm_node::config::WalletKeySource;
use tmtm_node::demo::setup::{prepare, DemoNode};

/// A base port with three free ports above it.
fn free_base_port() -> u16 {
    for _ in 0..50 {
        let base = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if base > 65_000 {
            continue;
        }
        if (0..3).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no free port range");
}

fn key_file(node: &DemoNode) -> PathBuf {
    match &node.config.wallet_key {
        Some(WalletKeySource::File(p)) => p.clone(),
        _ => panic!("demo nodes keep their wallet key in a file"),
    }
}

/// `tmtm ARGS` as `node` (its data dir, wallet key file, network file, listen address).
fn as_node(node: &DemoNode, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tmtm"));
    cmd.env_clear()
        .current_dir(node.config.data_dir.parent().unwrap())
        .env("TMTM_DATA_DIR", &node.config.data_dir)
        .env("TMTM_WALLET_KEY_FILE", key_file(node))
        .env("TMTM_NETWORK_FILE", &node.config.network_file)
        .env("TMTM_LISTEN", node.config.listen.to_string())
        .env("TMTM_PUBLIC_URL", node.config.public_url.as_str())
        .args(args);
    cmd
}

fn output(cmd: &mut Command) -> Output {
    cmd.output().expect("run tmtm")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_ready(addr: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(addr) {
            use std::io::{Read, Write};
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let req = format!("GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
            let mut answer = String::new();
            if s.write_all(req.as_bytes()).is_ok()
                && s.read_to_string(&mut answer).is_ok()
                && answer.starts_with("HTTP/1.1 200")
            {
                return;
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "tmtm serve exited early"
        );
        assert!(Instant::now() < deadline, "tmtm serve did not become ready");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn setup(dir: &Path) -> Vec<DemoNode> {
    prepare(dir, 3, free_base_port()).expect("prepare three demo nodes")
}

#[test]
fn network_check_reports_the_running_peer_ok_and_the_stopped_one_failed() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = setup(dir.path());
    let mut serve = as_node(&nodes[1], &["serve"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_ready(&nodes[1].config.listen.to_string(), &mut serve);
    let _serve = Running(serve);

    let out = output(&mut as_node(
        &nodes[0],
        &["network", "check", "--timeout", "10"],
    ));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(4), "{stdout}\n{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "error: 1 of 2 participants did not answer"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[1].starts_with("ORGANIZATION"), "{stdout}");
    let up = lines
        .iter()
        .find(|l| l.starts_with(nodes[1].org.organization))
        .unwrap();
    let down = lines
        .iter()
        .find(|l| l.starts_with(nodes[2].org.organization))
        .unwrap();
    assert!(up.contains(&nodes[1].keys_did), "{up}");
    assert!(up.contains("/agent"), "{up}");
    let cols: Vec<&str> = up.split_whitespace().collect();
    assert_eq!(cols[cols.len() - 2], "ok", "{up}");
    assert!(cols[cols.len() - 1].parse::<u64>().is_ok(), "{up}");
    assert!(down.contains("peer unreachable"), "{down}");
    assert!(down.trim_end().ends_with('-'), "{down}");
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with(nodes[0].org.organization)),
        "not itself"
    );

    let out = output(&mut as_node(&nodes[0], &["network", "check", "--json"]));
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["success"], false);
    assert_eq!(doc["from"], nodes[0].keys_did.as_str());
    let ps = doc["participants"].as_array().unwrap();
    assert_eq!(ps.len(), 2);
    assert_eq!(ps[0]["did"], nodes[1].keys_did.as_str());
    assert_eq!(ps[0]["ok"], true);
    assert!(ps[0]["rtt_ms"].is_u64());
    assert_eq!(ps[1]["ok"], false);
    assert!(ps[1]["error"].as_str().unwrap().contains("unreachable"));

    // The running node's own listen address is taken: one clear line, exit 1.
    let out = output(&mut as_node(&nodes[1], &["network", "check"]));
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("is this node running?"), "{err}");

    // The data-directory lock: a second serve on the same data stops at once.
    let other_port = free_base_port();
    let out = output(
        as_node(&nodes[1], &["serve"]).env("TMTM_LISTEN", format!("127.0.0.1:{other_port}")),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "data directory {} is in use by another tmtm process",
            nodes[1].config.data_dir.display()
        )),
        "{err}"
    );
}

#[test]
fn network_check_with_every_peer_down_fails_without_a_wallet_key_it_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = setup(dir.path());
    let out = output(&mut as_node(
        &nodes[0],
        &["network", "check", "--timeout", "2"],
    ));
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("0 of 2 participants answered"));

    let out = output(as_node(&nodes[0], &["network", "check"]).env_remove("TMTM_WALLET_KEY_FILE"));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("wallet key"),
        "{}",
        text(&out.stderr)
    );
}
