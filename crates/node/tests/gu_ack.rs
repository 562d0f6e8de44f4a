//! GU-11 application-level acknowledgement over a real 3-node network: the sender keeps a
//! pending delivery per recipient until the recipient's ack arrives, re-sends (same `@id`)
//! to a node that was down until it acknowledges, and a re-sent duplicate is acked again
//! but stored once.

mod multinode_support;
mod ws_support;

use std::time::Duration;

use multinode_support::Cluster;
use serde_json::{json, Value};
use tmtm_node::storage::Database;
use ws_support::{last, request, rest, token, PREFIX};

const WAIT: Duration = Duration::from_secs(30);

fn gu11(id: &str) -> Value {
    json!({
        "@type": format!("{PREFIX}gu-11"), "@id": id, "no": "ГУ-11/9", "date": "28.11.2026",
        "cargo_name": "Ячмень", "depart_station": "Омск",
        "arrival_station": "Алтынколь", "month": "12", "year": "2026", "decade": "2",
        "tonnage": "1200", "shipper": "ТОО \"Зерно\"", "~attach": []
    })
}

async fn gu_list(port: u16) -> Vec<Value> {
    rest(port, "/gu-11/").await["results"]
        .as_array()
        .unwrap()
        .clone()
}

/// Waits until the delivery of `id` to `did` is acknowledged (or not) at `db`.
async fn wait_acked(db: &Database, id: &str, did: &str, acked: bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let rows = db.gu_deliveries(id).await.unwrap();
        let row = rows.iter().find(|r| r.recipient_did == did);
        if row.is_some_and(|r| r.acked_at_ms.is_some() == acked) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "delivery of {id} to {did} never became acked={acked}: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_records(port: u16, n: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let r = gu_list(port).await;
        if r.len() >= n {
            return r;
        }
        assert!(tokio::time::Instant::now() < deadline, "no GU-11 at {port}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gu11_is_acknowledged_retried_to_a_late_node_and_reacked_once_stored() {
    let mut c = Cluster::new(3).await;
    c.start(0).await;
    c.start(1).await;
    let t = token(&c.node(0).db).await;
    token(&c.node(1).db).await;
    let answers = request(c.ports[0], &t, &gu11("gu-ack-1")).await;
    assert_eq!(last(&answers)["done"], json!(true), "{answers:?}");
    let (b, cdid) = (c.did(1), c.did(2));
    let rows = c.node(0).db.gu_deliveries("gu-ack-1").await.unwrap();
    assert_eq!(
        rows.len(),
        2,
        "one delivery per other participant: {rows:?}"
    );

    // B stores and acknowledges; C is down, so its delivery stays pending and is re-sent.
    wait_acked(&c.node(0).db, "gu-ack-1", b.as_str(), true).await;
    assert_eq!(wait_records(c.ports[1], 1).await.len(), 1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let rows = c.node(0).db.gu_deliveries("gu-ack-1").await.unwrap();
    let at_c = rows
        .iter()
        .find(|r| r.recipient_did == cdid.as_str())
        .unwrap();
    assert!(at_c.acked_at_ms.is_none(), "{rows:?}");
    assert!(at_c.attempts >= 1, "re-sent while C was down: {rows:?}");

    // C starts: it stores the record once (however many copies arrive) and acknowledges it.
    c.start(2).await;
    token(&c.node(2).db).await;
    wait_acked(&c.node(0).db, "gu-ack-1", cdid.as_str(), true).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let at_c = gu_list(c.ports[2]).await;
    assert_eq!(at_c.len(), 1, "{at_c:?}");
    assert_eq!(at_c[0]["sender"], json!(c.did(0).as_str()));
    assert_eq!(at_c[0]["@id"], json!("gu-ack-1"));

    // Re-open A's delivery to B: A re-sends the same @id, B acks again, still one record.
    c.stop(0).await;
    let pool = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        c.dir.path().join("node0.sqlite3").display()
    ))
    .await
    .unwrap();
    let n = sqlx::query(
        "UPDATE gu_deliveries SET acked_at_ms = NULL, next_attempt_ms = 0, attempts = 0 \
         WHERE message_id = 'gu-ack-1' AND recipient_did = $1",
    )
    .bind(b.as_str())
    .execute(&pool)
    .await
    .unwrap()
    .rows_affected();
    assert_eq!(n, 1);
    pool.close().await;
    c.start(0).await;
    wait_acked(&c.node(0).db, "gu-ack-1", b.as_str(), true).await;
    let rows = c.node(0).db.gu_deliveries("gu-ack-1").await.unwrap();
    let at_b_row = rows.iter().find(|r| r.recipient_did == b.as_str()).unwrap();
    assert!(at_b_row.attempts >= 1, "acked after a re-send: {rows:?}");
    let at_b = gu_list(c.ports[1]).await;
    assert_eq!(at_b.len(), 1, "the duplicate was stored once: {at_b:?}");
    // An ack for an unknown id, or from someone who is not the recipient, changes nothing.
    assert!(!c
        .node(0)
        .db
        .ack_gu_delivery("gu-nope", b.as_str(), 1)
        .await
        .unwrap());
    assert_eq!(
        c.node(0).db.gu_deliveries("gu-ack-1").await.unwrap().len(),
        2
    );
    c.stop_all().await;
}
