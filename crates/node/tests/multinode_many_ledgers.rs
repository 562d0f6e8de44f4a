//! More ledgers than a node keeps open (`driver/ledger_cache.rs`, 64 unlocked), written by
//! three real nodes on loopback while steps are written in the background
//! (`driver/inflight.rs`): every creation and every concurrent commit succeeds, and every
//! node ends with the same ledgers. (A step once trimmed the open ledgers between loading
//! and handling its events when a unit in flight ended; a participant then refused a
//! proposal with "Ledger with name … does not exists".)

mod multinode_support;

use std::time::Duration;

use multinode_support::{same_everywhere, txn, wait_all, wait_unlocked, Cluster};

const WAIT: Duration = Duration::from_secs(60);
const LEDGERS: usize = 80;
const WRITERS: u64 = 8;
const ROUNDS: u64 = 3;
/// Genesis plus every writer's commits.
const SIZE: u64 = 1 + WRITERS * ROUNDS;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_ledgers_written_concurrently_stay_consistent() {
    let mut c = Cluster::new(3).await;
    for i in 0..3 {
        c.start(i).await;
    }
    let names: Vec<String> = (0..LEDGERS).map(|i| format!("Container-M{i:03}")).collect();
    // Created 16 at a time, actors spread over the nodes.
    for chunk in names.chunks(16) {
        let mut watches = Vec::new();
        for (k, name) in chunk.iter().enumerate() {
            let handle = &c.node(k % 3).handle;
            watches.push(
                handle
                    .create_ledger(name, vec![txn(1)], None)
                    .await
                    .unwrap(),
            );
        }
        for w in watches {
            w.result().await.expect("creation succeeds");
        }
    }
    wait_unlocked(&c, WAIT).await;
    // Then every ledger at once, eight writers each, three commits one after another per
    // writer: the node merges waiting commits into a round that starts as soon as the last
    // one ended, so each next proposal reaches the participants while the last commit is
    // being written there.
    let mut writers = Vec::new();
    for (k, name) in names.iter().enumerate() {
        for w in 0..WRITERS {
            let handle = c.node(k % 3).handle.clone();
            let name = name.clone();
            writers.push(tokio::spawn(async move {
                for round in 0..ROUNDS {
                    let watch = handle.commit(&name, vec![txn(1000 * w + round)], None);
                    watch
                        .await
                        .unwrap()
                        .result()
                        .await
                        .unwrap_or_else(|e| panic!("commit to {name} by {w}: {e:?}"));
                }
            }));
        }
    }
    for w in writers {
        w.await.unwrap();
    }
    wait_unlocked(&c, WAIT).await;
    for name in &names {
        let all = wait_all(&c, name, WAIT, |s| {
            s.as_ref().is_some_and(|s| s.size == SIZE)
        })
        .await;
        assert_eq!(same_everywhere(&all).size, SIZE);
    }
    c.stop_all().await;
}
