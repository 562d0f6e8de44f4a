//! Crash safety with real nodes: a node stopped or killed keeps its committed data across a
//! restart over the same SQLite file, and a node killed in the middle of a round comes back
//! with no half-state — its rounds in flight are finished or rolled back — and every node
//! agrees again afterwards.

mod multinode_support;

use std::time::Duration;

use multinode_support::{same_everywhere, snapshot, txn, wait_all, wait_unlocked, Cluster};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_nodes_keep_committed_data_and_recover_rounds_in_flight() {
    let mut c = Cluster::new(3).await;
    for i in 0..3 {
        c.start(i).await;
    }
    let w = c
        .node(0)
        .handle
        .create_ledger("Container-R", vec![txn(1), txn(2)], None)
        .await
        .unwrap();
    w.result().await.expect("creation");
    wait_unlocked(&c, WAIT).await;
    let w = c
        .node(0)
        .handle
        .commit("Container-R", vec![txn(3)], None)
        .await
        .unwrap();
    w.result().await.expect("commit");
    let all = wait_all(&c, "Container-R", WAIT, |s| {
        s.as_ref().is_some_and(|s| s.size == 3)
    })
    .await;
    let before = same_everywhere(&all);
    wait_unlocked(&c, WAIT).await;

    // A graceful restart and a crash-restart keep the committed ledger exactly.
    c.stop(1).await;
    c.start(1).await;
    c.kill(2).await;
    c.start(2).await;
    for i in 0..3 {
        assert_eq!(
            snapshot(&c.node(i).db, "Container-R").await.as_ref(),
            Some(&before),
            "node {i}"
        );
    }

    // Kill a participant in the middle of a round, bring it back at once: whatever the
    // round's outcome, no node is left with half a round and all agree.
    let w = c
        .node(0)
        .handle
        .commit(
            "Container-R",
            vec![txn(4), txn(5)],
            Some(Duration::from_secs(6)),
        )
        .await
        .unwrap();
    let mut updates = w.updates;
    // Wait until the proposal is out (first progress), then crash node 2.
    let first = tokio::time::timeout(WAIT, updates.recv())
        .await
        .expect("progress");
    assert!(first.is_some());
    c.kill(2).await;
    c.start(2).await;
    let result = tokio::time::timeout(WAIT, async {
        loop {
            match updates.recv().await {
                Some(tmtm_node::driver::RoundUpdate::Finished(r)) => return r,
                Some(_) => {}
                None => panic!("driver stopped"),
            }
        }
    })
    .await
    .expect("the round ends within its time to live");
    wait_unlocked(&c, WAIT).await;
    let expected = if result.is_ok() { 5 } else { 3 };
    let all = wait_all(&c, "Container-R", WAIT, |s| {
        s.as_ref().is_some_and(|s| s.size == expected)
    })
    .await;
    let agreed = same_everywhere(&all);
    assert_eq!(
        agreed.txns[..3],
        before.txns[..],
        "the committed prefix never changes"
    );

    // Kill the actor mid-round: on restart it rolls the round back (or finishes it) and
    // the network ends consistent; then a new round succeeds.
    let w = c
        .node(0)
        .handle
        .commit("Container-R", vec![txn(6)], Some(Duration::from_secs(4)))
        .await
        .unwrap();
    let mut updates = w.updates;
    let _ = tokio::time::timeout(WAIT, updates.recv())
        .await
        .expect("progress");
    c.kill(0).await;
    c.start(0).await;
    wait_unlocked(&c, WAIT).await;
    let all = wait_all(&c, "Container-R", WAIT, |s| s.is_some()).await;
    let now = same_everywhere(&all);
    assert!(
        now.size == agreed.size || now.size == agreed.size + 1,
        "{}",
        now.size
    );
    let w = c
        .node(1)
        .handle
        .commit("Container-R", vec![txn(7)], None)
        .await
        .unwrap();
    w.result().await.expect("a new round after the restarts");
    let all = wait_all(&c, "Container-R", WAIT, |s| {
        s.as_ref().is_some_and(|s| s.size == now.size + 1)
    })
    .await;
    same_everywhere(&all);
    c.stop_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_actor_killed_mid_round_finishes_it_after_restart_or_rolls_it_back() {
    let mut c = Cluster::new(2).await;
    c.start(0).await;
    c.start(1).await;
    let w = c
        .node(0)
        .handle
        .create_ledger("Container-K", vec![txn(1)], None)
        .await
        .unwrap();
    w.result().await.expect("creation");
    wait_unlocked(&c, WAIT).await;

    // Node 1 is down, so the round waits for it; the actor is killed while it waits.
    c.stop(1).await;
    let w = c
        .node(0)
        .handle
        .commit("Container-K", vec![txn(2)], Some(Duration::from_secs(20)))
        .await
        .unwrap();
    let thid = w.thread_id.clone();
    let mut updates = w.updates;
    let _ = tokio::time::timeout(WAIT, updates.recv())
        .await
        .expect("proposal sent");
    c.kill(0).await;
    // The round is in the stored engine state, the ledger holds only committed data.
    c.start(0).await;
    assert_eq!(
        c.node(0).handle.locked_ledgers(),
        vec!["Container-K".to_owned()]
    );
    assert_eq!(
        snapshot(&c.node(0).db, "Container-K").await.map(|s| s.size),
        Some(1)
    );
    // The participant comes up, gets the durable proposal from the outbox, and the round
    // resumed from the checkpoint completes at both nodes.
    let mut done = c.node(0).handle.subscribe();
    c.start(1).await;
    let f = multinode_support::finished(&mut done, &thid, WAIT).await;
    assert!(f.result.is_ok(), "{:?}", f.result);
    let all = wait_all(&c, "Container-K", WAIT, |s| {
        s.as_ref().is_some_and(|s| s.size == 2)
    })
    .await;
    same_everywhere(&all);
    wait_unlocked(&c, WAIT).await;

    // Again, but the actor stays down past the round's deadline: on restart it rolls the
    // round back (nothing committed anywhere) and reports the failure.
    c.stop(1).await;
    let w = c
        .node(0)
        .handle
        .commit("Container-K", vec![txn(3)], Some(Duration::from_secs(2)))
        .await
        .unwrap();
    let thid = w.thread_id.clone();
    let mut updates = w.updates;
    let _ = tokio::time::timeout(WAIT, updates.recv())
        .await
        .expect("proposal sent");
    c.kill(0).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    c.start(1).await;
    c.start(0).await;
    wait_unlocked(&c, WAIT).await;
    assert!(
        c.node(0).handle.locked_ledgers().is_empty(),
        "round {thid} ended"
    );
    let all = wait_all(&c, "Container-K", WAIT, |s| {
        s.as_ref().is_some_and(|s| s.size == 2)
    })
    .await;
    same_everywhere(&all);
    c.stop_all().await;
}
