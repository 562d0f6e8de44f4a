//! The durable outbox over real HTTP: retries while a peer is down, per-peer order,
//! independence of peers, expiry, restart, clean shutdown.

mod transport_common;

use std::time::Duration;

use tmtm_node::transport::MemoryOutbox;
use transport_common::*;

const LONG: Duration = Duration::from_secs(10);

#[tokio::test]
async fn down_peer_gets_its_messages_in_order_once_it_is_up() {
    let (mut a, mut b) = sender_and_receiver('A', 'B').await;
    let msgs: Vec<_> = (0..4).map(|i| basic(&format!("m{i}"))).collect();
    for m in &msgs {
        a.transport.send(&b.peer, m).await.unwrap();
    }
    // Stored before any attempt, then retried with growing attempt counts.
    assert_eq!(a.outbox.snapshot().len(), 4);
    let outbox = a.outbox.clone();
    wait_until("the head entry is retried three times", || {
        let o = outbox.clone();
        async move { o.snapshot().first().is_some_and(|e| e.entry.attempts >= 3) }
    })
    .await;
    let snap = a.outbox.snapshot();
    assert_eq!(snap.len(), 4, "nothing may be lost while B is down");
    let head = &snap[0];
    assert!(head.last_error.as_deref().unwrap().contains("unreachable"));
    // One in flight per peer: the newer entries were never tried, only queued behind.
    for follower in &snap[1..] {
        assert_eq!(follower.entry.attempts, 0);
        let note = follower.last_error.as_deref().unwrap_or_default();
        assert!(note.contains("queued behind"), "{note}");
    }

    b.serve().await;
    for m in &msgs {
        let got = b.recv(LONG).await.expect("delivered after B came up");
        assert_eq!(&got.message, m, "per-peer order kept");
    }
    wait_until("A's outbox empties", || {
        let o = outbox.clone();
        async move { o.snapshot().is_empty() }
    })
    .await;
    assert!(b.rx.try_recv().is_err());
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_dead_peer_does_not_hold_up_a_live_one() {
    let (ka, kb, kc) = (keys('A'), keys('B'), keys('C'));
    let (pa, pb, pc) = (free_port().await, free_port().await, free_port().await);
    let peers = [peer_for(&ka, pa), peer_for(&kb, pb), peer_for(&kc, pc)];
    let mut a = Node::new(ka, pa, &peers, fast_config());
    let mut b = Node::new(kb, pb, &peers, fast_config());
    let c = Node::new(kc, pc, &peers, fast_config());
    b.serve().await;
    a.start_worker();
    let to_c = basic("to dead C");
    let to_b = basic("to live B");
    a.transport.send(&c.peer, &to_c).await.unwrap();
    a.transport.send(&b.peer, &to_b).await.unwrap();
    assert_eq!(b.recv(LONG).await.unwrap().message, to_b);
    let outbox = a.outbox.clone();
    wait_until("only C's message is left", || {
        let o = outbox.clone();
        async move {
            let s = o.snapshot();
            s.len() == 1 && s[0].entry.attempts >= 1
        }
    })
    .await;
    assert_eq!(
        a.outbox.snapshot()[0].entry.recipient_did,
        c.keys.did().as_str()
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn undelivered_messages_expire() {
    let (mut a, b) = sender_and_receiver('A', 'B').await;
    a.transport
        .send_with_ttl(&b.peer, &basic("short-lived"), Duration::from_millis(300))
        .await
        .unwrap();
    let outbox = a.outbox.clone();
    wait_until("the entry was tried", || {
        let o = outbox.clone();
        async move { o.snapshot().first().is_some_and(|e| e.entry.attempts >= 1) }
    })
    .await;
    wait_until("the entry expires", || {
        let o = outbox.clone();
        async move { o.snapshot().is_empty() }
    })
    .await;
    a.stop().await;
}

#[tokio::test]
async fn outbox_survives_a_restart() {
    let (mut a, mut b) = sender_and_receiver('A', 'B').await;
    let msg = basic("across restarts");
    a.transport.send(&b.peer, &msg).await.unwrap();
    let outbox: MemoryOutbox = a.outbox.clone();
    wait_until("a failed attempt", || {
        let o = outbox.clone();
        async move { o.snapshot().first().is_some_and(|e| e.entry.attempts >= 1) }
    })
    .await;
    a.stop().await;
    assert_eq!(outbox.snapshot().len(), 1, "still stored after shutdown");

    // A new transport over the same store, B now up.
    let peers = [a.peer.clone(), b.peer.clone()];
    let mut a2 = Node::with_outbox(a.keys.clone(), a.port, &peers, fast_config(), outbox);
    b.serve().await;
    a2.start_worker();
    let got = b
        .recv(LONG)
        .await
        .expect("delivered by the restarted worker");
    assert_eq!(got.message, msg);
    assert_eq!(got.sender_did, a.keys.did());
    a2.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn worker_shuts_down_promptly_with_work_pending() {
    let (mut a, b) = sender_and_receiver('A', 'B').await;
    for i in 0..3 {
        a.transport
            .send(&b.peer, &basic(&format!("pending {i}")))
            .await
            .unwrap();
    }
    a.cancel.cancel();
    let worker = a.worker.take().unwrap();
    tokio::time::timeout(LONG, worker)
        .await
        .expect("worker stops")
        .unwrap();
    assert_eq!(a.outbox.snapshot().len(), 3);
}
