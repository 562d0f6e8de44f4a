//! Runs the built `tmtm tx issue` and `tmtm ledger list|show|export` against a running
//! two-node `tmtm demo`: a ledger created and a document added from command files show up
//! over REST (exit 0); a bad command gives the node's problem report and exit 3; a wrong
//! password exit 3; the export holds every transaction and the root REST shows. Also: a
//! second demo on the same data directory stops at once (the data-directory lock).
#![cfg(unix)]

mod cli_demo_support;

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cli_demo_support::{client, demo_command, free_base_port, rest, rest_ledger, start_demo, text};
use serde_json::{json, Value};

const PREFIX: &str = "https://github.com/Sirius-social/TMTM/tree/master/transactions/1.0/";
const CONTAINER: &str = "CLIU1234567";

fn document(id: &str, no: &str, doc_type: &str) -> Value {
    json!({
        "@type": format!("{PREFIX}issue-transaction"),
        "@id": id,
        "no": no,
        "date": "28.11.2026",
        "cargo": "Copper cathodes",
        "departure_station": "Dostyk",
        "arrival_station": "Aktau-Port",
        "doc_type": doc_type,
        "ledger": {"name": CONTAINER},
    })
}

#[test]
fn tx_issue_and_ledger_commands_work_against_a_running_demo() {
    let dir = tempfile::tempdir().unwrap();
    let (_demo, node, other) = start_demo(dir.path());
    let password = node["password"].as_str().unwrap().to_owned();
    let files = tempfile::tempdir().unwrap();

    // Create a ledger from a command file.
    let create = json!({
        "@type": format!("{PREFIX}create-ledger"),
        "@id": "cli-create-1",
        "name": CONTAINER,
        "genesis": [document("cli-genesis-1", "WB-1", "WayBill")],
    });
    let create_file = files.path().join("create.json");
    std::fs::write(&create_file, create.to_string()).unwrap();
    let out = client(
        &node,
        &["tx", "issue", create_file.to_str().unwrap()],
        &password,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("Done: ledger {CONTAINER} created")),
        "{stdout}"
    );
    assert!(
        stdout.contains("% "),
        "plain progress lines when not on a terminal: {stdout}"
    );

    // Add a document.
    let add_file = files.path().join("invoice.json");
    std::fs::write(
        &add_file,
        document("cli-invoice-1", "INV-7", "Invoice").to_string(),
    )
    .unwrap();
    let out = client(
        &node,
        &["tx", "issue", add_file.to_str().unwrap(), "--quiet"],
        &password,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Done: transaction cli-invoice-1 committed"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("ledger {CONTAINER}: seq no 2")),
        "{stdout}"
    );
    assert!(
        !stdout.contains('%'),
        "--quiet prints no progress: {stdout}"
    );

    let ledger = rest_ledger(&node, CONTAINER);
    assert_eq!(ledger["size"], 2, "{ledger}");
    let txns = rest(&node, &format!("/ledgers/{}/transactions/", ledger["id"]));
    let ids: Vec<&Value> = txns["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["txn"]["@id"])
        .collect();
    assert_eq!(ids, [&json!("cli-invoice-1"), &json!("cli-genesis-1")]);

    // A bad command: the node's problem report, exit 3, nothing committed.
    let mut bad = document("cli-bad-1", "X", "Invoice");
    bad.as_object_mut().unwrap().remove("no");
    let bad_file = files.path().join("bad.json");
    std::fs::write(&bad_file, bad.to_string()).unwrap();
    let out = client(
        &node,
        &["tx", "issue", bad_file.to_str().unwrap()],
        &password,
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("the node refused the command (request_error)"),
        "{err}"
    );
    assert!(err.contains("Transaction: missing [no] attribute"), "{err}");
    assert_eq!(rest_ledger(&node, CONTAINER)["size"], 2);

    // Not JSON: exit 2 before anything is sent. Wrong password: exit 3.
    let junk = files.path().join("junk.json");
    std::fs::write(&junk, "{not json").unwrap();
    let out = client(&node, &["tx", "issue", junk.to_str().unwrap()], &password);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("is not valid JSON"));
    let out = client(
        &node,
        &["tx", "issue", add_file.to_str().unwrap()],
        "wrong-password",
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("login refused"),
        "{}",
        text(&out.stderr)
    );

    // ledger list: the container with its size and the root REST shows.
    let ledger = rest_ledger(&node, CONTAINER);
    let root = ledger["root"].as_str().unwrap().to_owned();
    assert!(root.len() >= 32, "{ledger}");
    let out = client(&node, &["ledger", "list"], &password);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("NAME"), "{stdout}");
    let row = stdout
        .lines()
        .find(|l| l.starts_with(CONTAINER))
        .expect("listed");
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cols[1], "2", "{row}");
    assert_eq!(cols[2], root, "{row}");
    let all = rest(&node, "/ledgers/?page_size=1000")["count"]
        .as_u64()
        .unwrap();
    assert!(stdout.contains(&format!("{all} ledgers")), "{stdout}");

    // ledger show: one row per transaction in seq-no order.
    let out = client(&node, &["ledger", "show", CONTAINER], &password);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 2, "{stdout}");
    assert_eq!(rows[0][..3], ["1", "28.11.2026", "WayBill"], "{stdout}");
    assert_eq!(rows[1][..3], ["2", "28.11.2026", "Invoice"], "{stdout}");
    assert!(
        rows.iter().all(|r| r.last() == Some(&"yes")),
        "signatures verified: {stdout}"
    );
    let out = client(&node, &["ledger", "show", "NO-SUCH-LEDGER"], &password);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no ledger \"NO-SUCH-LEDGER\""));

    // ledger export: every transaction, with the root.
    let out = client(&node, &["ledger", "export", CONTAINER], &password);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["ledger"], CONTAINER);
    assert_eq!(lines[0]["root"], root.as_str());
    assert_eq!(lines[0]["size"], 2);
    assert_eq!(lines[1]["seq_no"], 1);
    assert_eq!(lines[1]["txn"]["@id"], "cli-genesis-1");
    assert_eq!(lines[2]["txn"]["@id"], "cli-invoice-1");
    let exported = files.path().join("export.json");
    let out = client(
        &node,
        &[
            "ledger",
            "export",
            CONTAINER,
            "--format",
            "json",
            "-o",
            exported.to_str().unwrap(),
        ],
        &password,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&exported).unwrap()).unwrap();
    assert_eq!(doc["ledger"]["root"], root.as_str());
    assert_eq!(doc["transactions"].as_array().unwrap().len(), 2);

    // The command file from stdin with a token instead of a login.
    let token = {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let resp = reqwest::Client::new()
                .post(format!(
                    "{}/maintenance/allocate_token/",
                    node["api_url"].as_str().unwrap()
                ))
                .basic_auth(node["username"].as_str().unwrap(), Some(&password))
                .send()
                .await
                .unwrap();
            let v: Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
            v["token"].as_str().unwrap().to_owned()
        })
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_tmtm"))
        .env_clear()
        .args([
            "tx",
            "issue",
            "-",
            "--url",
            node["api_url"].as_str().unwrap(),
            "--token",
            &token,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let doc = document("cli-packing-1", "PL-3", "PackingList").to_string();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(doc.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let here = rest_ledger(&node, CONTAINER);
    assert_eq!(here["size"], 3);
    // The root is the consensus root: the other node shows the same one for the same size.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let there = rest_ledger(&other, CONTAINER);
        if there["size"] == here["size"] {
            assert_eq!(there["root"], here["root"]);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not committed at the second node: {there}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // The data-directory lock: a second demo on the same directory stops at once.
    let out = demo_command(dir.path(), free_base_port()).output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("is in use by another tmtm process"), "{err}");
    assert!(
        dir.path().join("demo.json").exists(),
        "--fresh removed nothing"
    );
}
