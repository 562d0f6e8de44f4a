//! The command WebSocket against a real 3-node network: create-ledger and issue-transaction
//! at node 0 stream progress and end with `done`, every node then shows the transactions
//! over REST with `signature_verified: true` (signed by node 0), the parallel flow commits
//! to two ledgers, and a container name full of shell/HTML metacharacters and Cyrillic
//! travels unchanged.

mod multinode_support;
mod ws_support;

use std::time::Duration;

use multinode_support::{wait_unlocked, Cluster};
use serde_json::{json, Value};
use tmtm_node::config::SignaturePolicy;
use tmtm_node::storage::{Database, StorageOptions};
use tmtm_node::transport::{PeerBook, Transport};
use tmtm_wire::message::Message;
use tokio_util::sync::CancellationToken;
use ws_support::{create, issue, last, request, rest, token, PREFIX};

const WAIT: Duration = Duration::from_secs(30);
const NASTY: &str =
    "<script>alert('x')</script>; rm -rf / && echo $(id) `w` \"q\" ТЕСТ-контейнер №1 & <b>";

fn assert_done(answers: &[Value], name: &Value) -> Value {
    let done = last(answers);
    assert_eq!(
        done["@type"],
        json!(format!("{PREFIX}progress")),
        "{answers:?}"
    );
    assert_eq!(done["done"], json!(true), "{answers:?}");
    assert_eq!(done["ledger"]["name"], *name, "{answers:?}");
    assert!(
        answers[..answers.len() - 1]
            .iter()
            .any(|a| a["progress"].is_u64() && a["message"].is_string()),
        "progress streamed before done: {answers:?}"
    );
    done.clone()
}

/// The ledger's transactions at the node on `port`, found by name through `/ledgers/`.
async fn transactions(port: u16, name: &str) -> Vec<Value> {
    let list = rest(port, "/ledgers/?page_size=1000").await;
    let ledger = list["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == json!(name))
        .unwrap_or_else(|| panic!("ledger {name:?} at port {port}: {list}"))
        .clone();
    let id = ledger["id"].as_i64().unwrap();
    let page = rest(port, &format!("/ledgers/{id}/transactions/")).await;
    page["results"].as_array().unwrap().clone()
}

fn by_no<'a>(txns: &'a [Value], no: &str) -> &'a Value {
    txns.iter()
        .find(|t| t["txn"]["no"] == json!(no))
        .unwrap_or_else(|| panic!("no transaction {no}: {txns:?}"))
}

async fn wait_count(port: u16, name: &str, n: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let list = rest(port, "/ledgers/?page_size=1000").await;
        let present = list["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["name"] == json!(name));
        if present {
            let txns = transactions(port, name).await;
            if txns.len() >= n {
                return txns;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name:?} never had {n} transactions at {port}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_issue_and_parallel_over_the_websocket() {
    let mut c = Cluster::new(3).await;
    c.proposal_signatures = Some(SignaturePolicy::Strict);
    for i in 0..3 {
        c.start(i).await;
    }
    let port = c.ports[0];
    let t = token(&c.node(0).db).await;
    for i in 0..3 {
        token(&c.node(i).db).await; // creates the REST user at every node
    }

    let answers = request(port, &t, &create("c-1", NASTY)).await;
    let done = assert_done(&answers, &json!(NASTY));
    assert!(done["ledger"]["id"].is_i64(), "{done}");
    wait_unlocked(&c, WAIT).await;

    let answers = request(port, &t, &Value::Object(issue("i-1", "N-1", json!(NASTY)))).await;
    assert_done(&answers, &json!(NASTY));
    wait_unlocked(&c, WAIT).await;

    for i in 0..3 {
        let txns = wait_count(c.ports[i], NASTY, 2).await;
        assert_eq!(txns.len(), 2);
        for t in &txns {
            assert_eq!(t["signature_verified"], json!(true), "node {i}: {t}");
            assert_eq!(t["txn"]["ledger"]["name"], json!(NASTY));
            assert!(t["txn"].get("time_to_live").is_none(), "{t}");
            assert_eq!(
                t["txn"]["msg~sig"]["signer"],
                json!(c.keys[0].verkey().to_base58())
            );
        }
        let issued = by_no(&txns, "N-1");
        assert_eq!(issued["txn"]["cargo"], json!("Уголь каменный"));
        assert!(by_no(&txns, "G-1")["txn"]["~attach"].is_array());
    }

    // Parallel: a second ledger, then one transaction to both.
    let answers = request(port, &t, &create("c-2", "KZ-2")).await;
    assert_done(&answers, &json!("KZ-2"));
    wait_unlocked(&c, WAIT).await;
    let both = json!([NASTY, "KZ-2"]);
    let answers = request(port, &t, &Value::Object(issue("i-2", "N-2", both.clone()))).await;
    assert_done(&answers, &both);
    wait_unlocked(&c, WAIT).await;
    for i in 0..3 {
        for (name, n) in [(NASTY, 3), ("KZ-2", 2)] {
            let txns = wait_count(c.ports[i], name, n).await;
            let added = by_no(&txns, "N-2");
            assert_eq!(added["signature_verified"], json!(true));
        }
    }

    // A failure of consensus is a request_processing_error with the original's prefix.
    let answers = request(
        port,
        &t,
        &Value::Object(issue("i-3", "N-3", json!("no-such-ledger"))),
    )
    .await;
    let p = last(&answers);
    assert_eq!(
        p["problem-code"],
        json!("request_processing_error"),
        "{answers:?}"
    );
    assert!(
        p["explain"]
            .as_str()
            .unwrap()
            .starts_with("Accepting of new transactions was terminated with error: \n\""),
        "{p}"
    );
    c.stop_all().await;
}

fn gu11(id: &str) -> Value {
    json!({
        "@type": format!("{PREFIX}gu-11"), "@id": id, "no": "ГУ-11/7", "date": "28.11.2026",
        "cargo_name": "Пшеница <i>&amp;</i>", "depart_station": "Достык",
        "arrival_station": "Алтынколь", "month": "12", "year": "2026", "decade": "1",
        "tonnage": "1200", "shipper": "ТОО \"Зерно\"", "~attach": []
    })
}

async fn gu_list(port: u16) -> Vec<Value> {
    rest(port, "/gu-11/").await["results"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gu11_is_stored_sent_to_every_participant_and_deduplicated() {
    let mut c = Cluster::new(3).await;
    for i in 0..3 {
        c.start(i).await;
    }
    let t = token(&c.node(0).db).await;
    for i in 1..3 {
        token(&c.node(i).db).await;
    }
    let answers = request(c.ports[0], &t, &gu11("gu-a1")).await;
    assert_eq!(answers.len(), 1, "{answers:?}");
    let done = last(&answers);
    assert_eq!(done["progress"], json!(100));
    assert_eq!(
        done["message"],
        json!("Transaction successfully accepted and was broadcast for all participants")
    );
    // The same @id again: success, no second record anywhere.
    let again = request(c.ports[0], &t, &gu11("gu-a1")).await;
    assert_eq!(last(&again)["done"], json!(true), "{again:?}");
    let deadline = tokio::time::Instant::now() + WAIT;
    for i in 0..3 {
        let records = loop {
            let r = gu_list(c.ports[i]).await;
            if !r.is_empty() {
                break r;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no GU-11 at node {i}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(records.len(), 1, "node {i}: {records:?}");
        assert_eq!(records[0]["sender"], json!(c.did(0).as_str()), "node {i}");
        assert_eq!(records[0]["@id"], json!("gu-a1"));
        assert_eq!(records[0]["cargo_name"], json!("Пшеница <i>&amp;</i>"));
        assert_eq!(records[0]["decade"], json!("1"));
        // The record carries node 0's own signature, verifiable by anyone who holds it.
        let sig: tmtm_wire::signature::SignatureDecorator =
            serde_json::from_value(records[0]["msg~sig"].clone()).unwrap();
        let signed = tmtm_wire::signature::verify_from(&sig, &c.keys[0].verkey()).unwrap();
        assert_eq!(signed.value["cargo_name"], json!("Пшеница <i>&amp;</i>"));
    }
    // A peer re-sending the same record (same sender, same @id) is dropped by the receiver.
    // (A second transport with node 0's keys, over its own database, so that the receiver's
    // check is what drops it.)
    let db = Database::open_sqlite_file(
        &c.dir.path().join("resend.sqlite3"),
        &StorageOptions::default(),
    )
    .await
    .unwrap();
    let (resend, _inbound) = Transport::new(
        c.keys[0].clone(),
        PeerBook::from_network(&c.network),
        db.clone(),
        db.clone(),
        multinode_support::transport_config(),
    )
    .unwrap();
    let cancel = CancellationToken::new();
    let worker = resend.spawn_worker(cancel.clone());
    let peer = resend.peers().by_did(&c.did(1)).unwrap().clone();
    let mut fresh = gu11("gu-a2");
    let id = resend
        .send(&peer, &Message::from_value(gu11("gu-a1")).unwrap())
        .await
        .unwrap();
    fresh["no"] = json!("ГУ-11/8");
    resend
        .send(&peer, &Message::from_value(fresh).unwrap())
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    while gu_list(c.ports[1]).await.len() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the second record never arrived"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let records = gu_list(c.ports[1]).await;
    assert_eq!(
        records.len(),
        2,
        "the duplicate @id was dropped: {records:?} (outbox id {id})"
    );
    assert!(records
        .iter()
        .all(|r| r["sender"] == json!(c.did(0).as_str())));
    cancel.cancel();
    let _ = worker.await;
    db.close().await;
    c.stop_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn participants_refuse_proposals_not_signed_by_the_proposer() {
    let mut c = Cluster::new(3).await;
    c.proposal_signatures = Some(SignaturePolicy::Strict);
    for i in 0..3 {
        c.start(i).await;
    }
    // Unsigned genesis straight through the driver (the WebSocket would have signed it).
    let started = std::time::Instant::now();
    let watch = c
        .node(0)
        .handle
        .create_ledger(
            "U-1",
            vec![multinode_support::txn(1)],
            Some(Duration::from_secs(15)),
        )
        .await
        .unwrap();
    let result = watch.result().await;
    let report = result.unwrap_err();
    assert!(
        report.explain.contains("not signed by the proposer"),
        "{report:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "refused, not timed out"
    );
    wait_unlocked(&c, WAIT).await;
    for i in 1..3 {
        assert!(c.node(i).db.ledger_by_name("U-1").await.unwrap().is_none());
    }
    // A correctly signed request over the WebSocket still goes through.
    let t = token(&c.node(0).db).await;
    let answers = request(c.ports[0], &t, &create("c-ok", "U-2")).await;
    assert_done(&answers, &json!("U-2"));
    c.stop_all().await;
}
