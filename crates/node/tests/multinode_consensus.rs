//! Five real nodes on loopback (in-process: own SQLite file, own transport and driver each):
//! ledger creation, commits in two rounds and a parallel commit over three ledgers end with
//! identical ledgers everywhere; a round with a participant down fails within its time to
//! live and leaves no trace at any node, and succeeds once the node is back.

mod multinode_support;

use std::time::Duration;

use multinode_support::{
    finished, same_everywhere, snapshot, txn, wait_all, wait_unlocked, Cluster,
};
use tmtm_consensus::{Flow, Role};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_nodes_create_commit_and_commit_in_parallel() {
    let mut c = Cluster::new(5).await;
    for i in 0..5 {
        c.start(i).await;
    }

    // 1. Node 0 creates a ledger with two genesis transactions: all five report success.
    let mut subs = c.subscribe_all();
    let watch = c
        .node(0)
        .handle
        .create_ledger("Container-TEST1", vec![txn(1), txn(2)], None)
        .await
        .unwrap();
    let thid = watch.thread_id.clone();
    let outcome = watch.result().await.expect("creation succeeds");
    assert_eq!(outcome.ledgers, vec!["Container-TEST1".to_owned()]);
    for (i, rx) in &mut subs {
        let f = finished(rx, &thid, WAIT).await;
        assert!(f.result.is_ok(), "node {i}: {:?}", f.result);
        assert_eq!(f.flow, Flow::Create);
        assert_eq!(
            f.role,
            if *i == 0 {
                Role::Actor
            } else {
                Role::Participant
            }
        );
    }
    let all = wait_all(&c, "Container-TEST1", WAIT, |s| s.is_some()).await;
    let created = same_everywhere(&all);
    assert_eq!(created.size, 2);
    assert_eq!(created.root, outcome.states[0].root_hash);
    assert_eq!(created.txns[0]["op"], "op1");
    // The API metadata names the actor and the participants at every node.
    for i in 0..5 {
        let rec = c
            .node(i)
            .db
            .ledger_by_name("Container-TEST1")
            .await
            .unwrap()
            .unwrap();
        let meta = rec.metadata.expect("metadata set");
        assert_eq!(meta["actor"]["did"], c.did(0).as_str());
        assert_eq!(meta["participants"].as_array().map(Vec::len), Some(5));
    }

    wait_unlocked(&c, WAIT).await;
    // 2. Three transactions in two rounds, led by two different nodes.
    let r1 = c
        .node(1)
        .handle
        .commit("Container-TEST1", vec![txn(3), txn(4)], None)
        .await
        .unwrap();
    r1.result().await.expect("first commit");
    wait_unlocked(&c, WAIT).await;
    let r2 = c
        .node(3)
        .handle
        .commit("Container-TEST1", vec![txn(5)], None)
        .await
        .unwrap();
    let out2 = r2.result().await.expect("second commit");
    let all = wait_all(&c, "Container-TEST1", WAIT, |s| {
        s.as_ref().is_some_and(|s| s.size == 5)
    })
    .await;
    let after = same_everywhere(&all);
    assert_eq!(after.root, out2.states[0].root_hash);
    let seq: Vec<u64> = after
        .txns
        .iter()
        .map(|t| t["txnMetadata"]["seqNo"].as_u64().unwrap())
        .collect();
    assert_eq!(seq, vec![1, 2, 3, 4, 5]);
    let t3 = &after.txns[2]["txnMetadata"]["txnTime"];
    assert!(t3.is_string(), "committed transactions carry txnTime");
    assert_eq!(
        &after.txns[3]["txnMetadata"]["txnTime"], t3,
        "one txnTime per block"
    );
    assert!(
        after.txns[0]["txnMetadata"].get("txnTime").is_none(),
        "genesis has no txnTime"
    );

    wait_unlocked(&c, WAIT).await;
    // 3. Parallel commit of one transaction into three ledgers.
    let names: Vec<String> = ["Container-P1", "Container-P2", "Container-P3"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for (k, name) in names.iter().enumerate() {
        let w = c
            .node(k)
            .handle
            .create_ledger(name, vec![txn(10 + k as u64)], None)
            .await
            .unwrap();
        w.result().await.expect("creation");
        wait_unlocked(&c, WAIT).await;
    }
    let w = c
        .node(2)
        .handle
        .commit_parallel(&names, vec![txn(99)], None)
        .await
        .unwrap();
    let out = w.result().await.expect("parallel commit");
    assert_eq!(out.ledgers.len(), 3);
    for name in &names {
        let all = wait_all(&c, name, WAIT, |s| s.as_ref().is_some_and(|s| s.size == 2)).await;
        let s = same_everywhere(&all);
        assert_eq!(s.txns[1]["op"], "op99");
    }
    c.stop_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_down_participant_fails_the_round_cleanly_then_it_succeeds() {
    let mut c = Cluster::new(5).await;
    for i in 0..4 {
        c.start(i).await; // node 4 is down
    }
    let ttl = Duration::from_secs(3);
    let started = tokio::time::Instant::now();
    let w = c
        .node(0)
        .handle
        .create_ledger("Container-DOWN", vec![txn(1)], Some(ttl))
        .await
        .unwrap();
    let report = w.result().await.expect_err("the round must fail");
    let took = started.elapsed();
    assert!(took < ttl + Duration::from_secs(5), "failed after {took:?}");
    assert!(!report.code.is_empty(), "a problem report: {report:?}");
    // No live node keeps the ledger (participants roll back on the actor's report or their
    // own deadline).
    wait_all(&c, "Container-DOWN", WAIT, Option::is_none).await;

    // Bring node 4 up: the same request now succeeds everywhere.
    wait_unlocked(&c, WAIT).await;
    c.start(4).await;
    let w = c
        .node(0)
        .handle
        .create_ledger(
            "Container-DOWN",
            vec![txn(1)],
            Some(Duration::from_secs(10)),
        )
        .await
        .unwrap();
    w.result().await.expect("creation with everyone up");
    wait_unlocked(&c, WAIT).await;
    let all = wait_all(&c, "Container-DOWN", WAIT, |s| s.is_some()).await;
    assert_eq!(same_everywhere(&all).size, 1);

    // A commit while node 4 is down fails and leaves the ledger unchanged at every node.
    c.stop(4).await;
    let w = c
        .node(1)
        .handle
        .commit("Container-DOWN", vec![txn(2)], Some(ttl))
        .await
        .unwrap();
    w.result().await.expect_err("commit without node 4 fails");
    let all = wait_all(&c, "Container-DOWN", WAIT, |s| {
        s.as_ref().is_some_and(|s| s.size == 1)
    })
    .await;
    same_everywhere(&all);
    wait_unlocked(&c, WAIT).await;
    c.start(4).await;
    assert_eq!(
        snapshot(&c.node(4).db, "Container-DOWN")
            .await
            .map(|s| s.size),
        Some(1)
    );
    wait_unlocked(&c, WAIT).await;
    // And with everyone up again, a commit goes through.
    let w = c
        .node(1)
        .handle
        .commit(
            "Container-DOWN",
            vec![txn(3)],
            Some(Duration::from_secs(10)),
        )
        .await
        .unwrap();
    w.result().await.expect("commit with everyone up");
    let all = wait_all(&c, "Container-DOWN", WAIT, |s| {
        s.as_ref().is_some_and(|s| s.size == 2)
    })
    .await;
    same_everywhere(&all);
    c.stop_all().await;
}
