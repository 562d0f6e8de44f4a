//! Concurrent commit requests for one ledger at one node share rounds: twenty requests all
//! succeed, every node ends with the same ledger of genesis + 20 transactions, and the node
//! led fewer than twenty rounds. A request parked behind a round that holds the ledger
//! longer than the request's time to live fails with a problem report and changes nothing.

mod multinode_support;

use std::collections::BTreeSet;
use std::time::Duration;

use multinode_support::{same_everywhere, txn, wait_all, wait_unlocked, Cluster};
use tmtm_consensus::problem::REQUEST_PROCESSING_ERROR;
use tmtm_consensus::{Flow, Role};
use tokio::sync::broadcast::error::RecvError;

const WAIT: Duration = Duration::from_secs(30);
const LEDGER: &str = "Container-COALESCE";

async fn create(c: &Cluster, name: &str) {
    let w = c
        .node(0)
        .handle
        .create_ledger(name, vec![txn(0)], None)
        .await
        .unwrap();
    w.result().await.expect("creation");
    wait_unlocked(c, WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commits_to_one_ledger_share_rounds() {
    let mut c = Cluster::new(3).await;
    for i in 0..3 {
        c.start(i).await;
    }
    create(&c, LEDGER).await;
    let mut rounds = c.node(0).handle.subscribe();

    const N: u64 = 20;
    let jobs = (1..=N).map(|n| {
        let handle = c.node(0).handle.clone();
        async move {
            let watch = handle.commit(LEDGER, vec![txn(n)], None).await.unwrap();
            watch.result().await
        }
    });
    let results = futures_util::future::join_all(jobs).await;
    for (n, r) in results.iter().enumerate() {
        assert!(r.is_ok(), "request {}: {r:?}", n + 1);
    }

    // Rounds node 0 led on the ledger, up to the one that reached genesis + N.
    let mut led = 0;
    let last_root = tokio::time::timeout(WAIT, async {
        loop {
            match rounds.recv().await {
                Ok(f) if f.role == Role::Actor && f.flow == Flow::Commit => {
                    let outcome = f.result.expect("every round node 0 led succeeded");
                    led += 1;
                    if outcome.states[0].size == N + 1 {
                        return outcome.states[0].root_hash.clone();
                    }
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(e) => panic!("subscription closed: {e}"),
            }
        }
    })
    .await
    .expect("a round reached genesis + 20");
    assert!(
        (1..N).contains(&led),
        "{N} requests took {led} rounds: they were not merged"
    );

    let all = wait_all(&c, LEDGER, WAIT, |s| {
        s.as_ref().is_some_and(|s| s.size == N + 1)
    })
    .await;
    let ledger = same_everywhere(&all);
    assert_eq!(ledger.root, last_root);
    let ids: Vec<u64> = ledger
        .txns
        .iter()
        .map(|t| t["reqId"].as_u64().unwrap())
        .collect();
    let distinct: BTreeSet<u64> = ids.iter().copied().collect();
    assert_eq!(ids.len(), distinct.len(), "no transaction twice: {ids:?}");
    assert_eq!(distinct, (0..=N).collect(), "every request committed once");
    let seq: Vec<u64> = ledger
        .txns
        .iter()
        .map(|t| t["txnMetadata"]["seqNo"].as_u64().unwrap())
        .collect();
    assert_eq!(seq, (1..=N + 1).collect::<Vec<_>>());
    c.stop_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parked_request_fails_when_its_ledger_stays_locked_past_its_time_to_live() {
    let mut c = Cluster::new(3).await;
    for i in 0..3 {
        c.start(i).await;
    }
    create(&c, LEDGER).await;
    // Node 2 does not answer: node 0's next round holds the lock until its own deadline.
    c.stop(2).await;
    let holder = c
        .node(0)
        .handle
        .commit(LEDGER, vec![txn(1)], Some(Duration::from_secs(8)))
        .await
        .unwrap();
    let locked = tokio::time::timeout(WAIT, async {
        while !c
            .node(0)
            .handle
            .locked_ledgers()
            .contains(&LEDGER.to_owned())
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(locked.is_ok(), "the first round never locked the ledger");

    let parked = c
        .node(0)
        .handle
        .commit(LEDGER, vec![txn(2)], Some(Duration::from_secs(1)))
        .await
        .unwrap();
    let report = parked.result().await.expect_err("the parked request fails");
    assert_eq!(report.code, REQUEST_PROCESSING_ERROR, "{report:?}");
    assert!(
        report.explain.contains("stayed locked"),
        "the report names the lock: {report:?}"
    );

    holder.result().await.expect_err("a participant is down");
    // Neither request changed the ledger anywhere.
    let all = wait_all(&c, LEDGER, WAIT, |s| {
        s.as_ref().is_some_and(|s| s.size == 1)
    })
    .await;
    same_everywhere(&all);
    c.stop_all().await;
}
