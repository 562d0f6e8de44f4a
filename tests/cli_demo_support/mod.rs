//! Helpers for the CLI tests that run against a live `tmtm demo`: start a two-node demo on
//! free ports (stopped with SIGTERM when dropped), run client commands with the admin
//! password on stdin, and read REST as the admin.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub fn free_base_port() -> u16 {
    for _ in 0..50 {
        let base = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if base > 65_000 {
            continue;
        }
        if (0..2).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no free port range");
}

pub struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn demo_command(dir: &Path, base: u16) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tmtm"));
    cmd.env_clear()
        .args(["demo", "--nodes", "2", "--fresh", "--base-port"]);
    cmd.arg(base.to_string()).arg("--data-dir").arg(dir);
    cmd
}

pub fn start_demo(dir: &Path) -> (Demo, Value, Value) {
    let mut child = demo_command(dir, free_base_port())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let path = dir.join("demo.json");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(text) = std::fs::read_to_string(&path) {
            let demo: Value = serde_json::from_str(&text).unwrap();
            return (
                Demo(child),
                demo["nodes"][0].clone(),
                demo["nodes"][1].clone(),
            );
        }
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            let mut err = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            panic!("demo.json did not appear: {err}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `tmtm ARGS --url <node> --user admin --password-stdin`, `stdin` = password (+ more).
pub fn client(node: &Value, args: &[&str], password: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tmtm"))
        .env_clear()
        .args(args)
        .args(["--url", node["api_url"].as_str().unwrap(), "--user"])
        .arg(node["username"].as_str().unwrap())
        .arg("--password-stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // The command may fail before it reads stdin; its output says why.
    let _ = input.write_all(format!("{password}\n").as_bytes());
    drop(input);
    child.wait_with_output().unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn rest(node: &Value, path: &str) -> Value {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let resp = reqwest::Client::new()
            .get(format!("{}{path}", node["api_url"].as_str().unwrap()))
            .basic_auth(
                node["username"].as_str().unwrap(),
                node["password"].as_str(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap()
    })
}

pub fn rest_ledger(node: &Value, name: &str) -> Value {
    let list = rest(node, "/ledgers/?page_size=1000");
    list["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == json!(name))
        .cloned()
        .unwrap_or(Value::Null)
}
