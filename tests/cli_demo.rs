//! Runs the built `tmtm demo`: it writes `demo.json` once every node is ready; a transaction
//! issued over the command WebSocket at the first node shows up through REST at all five; it
//! stops cleanly on SIGTERM (every node's port is free again); and a second run reuses the
//! data — same identities, the seeded containers still there and not seeded twice.
#![cfg(unix)]

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

const PREFIX: &str = "https://github.com/Sirius-social/TMTM/tree/master/transactions/1.0/";
/// A container the demo seeds (just started at KTZ Express).
const SEEDED: &str = "TKRU4471976";

/// A base port with five free ports above it.
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
        if (0..5).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no free port range");
}

fn start(dir: &Path, base: u16, fresh: bool) -> Child {
    let mut args = vec![
        "demo".to_owned(),
        "--data-dir".to_owned(),
        dir.display().to_string(),
        "--base-port".to_owned(),
        base.to_string(),
    ];
    if fresh {
        args.push("--fresh".to_owned());
    }
    Command::new(env!("CARGO_BIN_EXE_tmtm"))
        .env_clear()
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn output(child: &mut Child) -> (String, String) {
    let mut out = String::new();
    let mut err = String::new();
    let _ = child.stdout.take().unwrap().read_to_string(&mut out);
    let _ = child.stderr.take().unwrap().read_to_string(&mut err);
    (out, err)
}

/// Waits (bounded) for `demo.json` and returns it.
fn wait_demo_json(dir: &Path, child: &mut Child) -> Value {
    let path = dir.join("demo.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(text) = std::fs::read_to_string(&path) {
            return serde_json::from_str(&text).unwrap();
        }
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            let (out, err) = output(child);
            panic!("demo.json did not appear:\n{out}\n{err}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// SIGTERM, then the process must exit successfully and free every node's port.
fn stop(mut child: Child, nodes: &[Value]) -> String {
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "demo did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    let (out, err) = output(&mut child);
    assert!(status.success(), "exit status {status:?}\n{err}");
    for n in nodes {
        let port = n["api_url"].as_str().unwrap().rsplit(':').next().unwrap();
        let port: u16 = port.parse().unwrap();
        assert!(
            TcpListener::bind(("127.0.0.1", port)).is_ok(),
            "port {port} still in use after the demo stopped"
        );
    }
    out
}

fn auth(node: &Value) -> (String, String) {
    let user = node["username"].as_str().unwrap().to_owned();
    let pass = node["password"].as_str().unwrap().to_owned();
    (user, pass)
}

async fn get(http: &reqwest::Client, node: &Value, path: &str) -> Value {
    let (user, pass) = auth(node);
    let url = format!("{}{path}", node["api_url"].as_str().unwrap());
    let resp = http
        .get(url)
        .basic_auth(user, Some(pass))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap()
}

/// The transactions of ledger `name` at `node` (empty when the node does not have it yet).
async fn transactions(http: &reqwest::Client, node: &Value, name: &str) -> Vec<Value> {
    let ledgers = get(http, node, "/ledgers/").await;
    let Some(id) = ledgers["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == json!(name))
        .map(|l| l["id"].clone())
    else {
        return Vec::new();
    };
    let page = get(
        http,
        node,
        &format!("/ledgers/{id}/transactions/?page_size=1000"),
    )
    .await;
    page["results"].as_array().unwrap().clone()
}

async fn issue_over_websocket(http: &reqwest::Client, node: &Value, id: &str) -> Value {
    let (user, pass) = auth(node);
    let url = format!(
        "{}/maintenance/allocate_token/",
        node["api_url"].as_str().unwrap()
    );
    let resp = http
        .post(url)
        .basic_auth(user, Some(pass))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let token: Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    let ws_url = format!(
        "{}?token={}",
        node["ws_url"].as_str().unwrap(),
        token["token"].as_str().unwrap()
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url).await.unwrap();
    let msg = json!({
        "@type": format!("{PREFIX}issue-transaction"),
        "@id": id,
        "no": "INV-TEST-1",
        "date": "03.06.2025",
        "cargo": "Медь катодная / Copper cathodes",
        "departure_station": "Достык",
        "arrival_station": "Актау-Порт",
        "doc_type": "Invoice",
        "ledger": {"name": SEEDED},
        "time_to_live": 30
    });
    ws.send(Message::Text(msg.to_string().into()))
        .await
        .unwrap();
    let mut last = Value::Null;
    let read = async {
        while let Some(Ok(frame)) = ws.next().await {
            if let Message::Text(t) = frame {
                last = serde_json::from_str(t.as_str()).unwrap();
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .expect("the node answers and closes the socket");
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_runs_the_route_commits_everywhere_stops_and_reuses_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let base = free_base_port();
    let mut child = start(dir.path(), base, true);
    let demo = wait_demo_json(dir.path(), &mut child);
    let nodes = demo["nodes"].as_array().unwrap().clone();
    let names: Vec<&str> = nodes.iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "KTZ Express",
            "Port Aktau",
            "Port of Baku",
            "Azerbaijan Railways",
            "Georgian Railway"
        ]
    );
    for (i, n) in nodes.iter().enumerate() {
        let port = base + i as u16;
        assert_eq!(n["api_url"], json!(format!("http://127.0.0.1:{port}")));
        assert_eq!(
            n["ws_url"],
            json!(format!("ws://127.0.0.1:{port}/transactions"))
        );
        assert_eq!(
            n["agent_url"],
            json!(format!("http://127.0.0.1:{port}/agent"))
        );
        assert!(n["did"].as_str().is_some_and(|d| !d.is_empty()));
        assert!(n["verkey"].as_str().is_some_and(|v| !v.is_empty()));
    }
    let http = reqwest::Client::new();
    // The seeded container is already at every node, with the demo's documents.
    let seeded_before = transactions(&http, &nodes[4], SEEDED).await;
    assert!(
        !seeded_before.is_empty(),
        "seeded container missing at the last node"
    );
    let answer = issue_over_websocket(&http, &nodes[0], "cli-demo-1").await;
    assert_eq!(answer["done"], json!(true), "{answer}");
    let deadline = Instant::now() + Duration::from_secs(30);
    for node in &nodes {
        loop {
            let txns = transactions(&http, node, SEEDED).await;
            if txns.iter().any(|t| t["txn"]["@id"] == json!("cli-demo-1")) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "not committed at {}",
                node["name"]
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let ledgers_before = get(&http, &nodes[0], "/ledgers/").await["count"].clone();
    let txns_before = transactions(&http, &nodes[0], SEEDED).await.len();
    let first_out = stop(child, &nodes);
    assert!(
        first_out.contains("Seeded 4 sample containers"),
        "{first_out}"
    );

    // Second run: same data, same identities, nothing seeded again.
    std::fs::remove_file(dir.path().join("demo.json")).unwrap();
    let mut child = start(dir.path(), base, false);
    let again = wait_demo_json(dir.path(), &mut child);
    let again_nodes = again["nodes"].as_array().unwrap().clone();
    for (a, b) in nodes.iter().zip(&again_nodes) {
        assert_eq!(a["did"], b["did"]);
        assert_eq!(a["password"], b["password"], "credentials are reused");
    }
    assert_eq!(
        get(&http, &again_nodes[0], "/ledgers/").await["count"],
        ledgers_before
    );
    let txns_after = transactions(&http, &again_nodes[4], SEEDED).await;
    assert_eq!(txns_after.len(), txns_before);
    assert!(txns_after
        .iter()
        .any(|t| t["txn"]["@id"] == json!("cli-demo-1")));
    let second_out = stop(child, &again_nodes);
    assert!(
        second_out.contains("Reusing the existing demo data"),
        "{second_out}"
    );
}

#[test]
fn demo_refuses_a_bad_node_count_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tmtm"))
        .env_clear()
        .args(["demo", "--nodes", "7", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--nodes must be between 2 and 5"), "{err}");
    assert!(!dir.path().join("network.toml").exists());
}
