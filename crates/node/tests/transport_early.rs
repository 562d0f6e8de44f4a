//! Early sends over real HTTP: rows handed to the worker before their unit commits
//! (`Transport::send_early`), then settled with the unit's outcome. They go out at once,
//! keep per-peer order, are recorded under their real id once stored (removed when
//! delivered, retried when not), and leave nothing when their unit failed.

mod transport_common;

use std::time::Duration;

use tmtm_node::ports::OutboxStore;
use tmtm_node::transport::{EarlyTickets, MemoryOutbox};
use tmtm_wire::message::Message;
use transport_common::*;

const LONG: Duration = Duration::from_secs(10);
const TTL: Duration = Duration::from_secs(60);

/// Hands `msg` for `b` to A's worker early; returns the tickets and the row to store.
fn early(a: &Node, b: &Node, msg: &Message) -> (EarlyTickets, tmtm_node::ports::NewOutgoing) {
    let row = a.transport.pack_for(&b.peer, msg, TTL).unwrap();
    let tickets = a.transport.send_early(std::slice::from_ref(&row));
    assert_eq!(tickets.len(), 1);
    (tickets, row)
}

/// Stores the row (the unit commits) and settles its tickets with the id it got.
async fn commit(a: &Node, tickets: EarlyTickets, row: tmtm_node::ports::NewOutgoing) -> i64 {
    let ids = a.outbox.enqueue(vec![row]).await.unwrap();
    a.transport.settle_early(tickets, Some(&ids));
    ids[0]
}

async fn outbox_empties(outbox: &MemoryOutbox) {
    let outbox = outbox.clone();
    wait_until("A's outbox empties", || {
        let o = outbox.clone();
        async move { o.snapshot().is_empty() }
    })
    .await;
}

#[tokio::test]
async fn an_early_message_arrives_before_its_unit_commits_and_its_row_goes_once_delivered() {
    let (mut a, mut b) = sender_and_receiver('E', 'F').await;
    b.serve().await;
    let m = basic("early");
    let (tickets, row) = early(&a, &b, &m);
    // Nothing is stored yet, and the message is already there.
    let got = b.recv(LONG).await.expect("sent before its unit committed");
    assert_eq!(got.message, m);
    assert!(a.outbox.snapshot().is_empty());
    commit(&a, tickets, row).await;
    outbox_empties(&a.outbox).await;
    // Sent once: the stored row was not sent again.
    let next = basic("next");
    a.transport.send(&b.peer, &next).await.unwrap();
    assert_eq!(b.recv(LONG).await.unwrap().message, next);
    assert!(b.rx.try_recv().is_err());
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn an_early_message_that_failed_is_retried_under_its_row_once_its_unit_commits() {
    let (mut a, mut b) = sender_and_receiver('E', 'F').await;
    let m = basic("retried");
    let (tickets, row) = early(&a, &b, &m);
    // B is down: the attempt fails (most likely before the unit commits; the outcome is
    // the same either way).
    tokio::time::sleep(Duration::from_millis(100)).await;
    let id = commit(&a, tickets, row).await;
    let outbox = a.outbox.clone();
    wait_until("the stored row records the failed attempts", || {
        let o = outbox.clone();
        async move {
            o.snapshot()
                .first()
                .is_some_and(|e| e.entry.id == id && e.entry.attempts >= 1)
        }
    })
    .await;
    b.serve().await;
    assert_eq!(b.recv(LONG).await.unwrap().message, m);
    outbox_empties(&a.outbox).await;
    assert!(b.rx.try_recv().is_err());
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn an_early_message_waits_behind_an_older_one_to_its_peer() {
    let (mut a, mut b) = sender_and_receiver('E', 'F').await;
    // The older message is stored and failing: its peer is blocked.
    let older = basic("older");
    a.transport.send(&b.peer, &older).await.unwrap();
    let outbox = a.outbox.clone();
    wait_until("the older message failed once", || {
        let o = outbox.clone();
        async move { o.snapshot().first().is_some_and(|e| e.entry.attempts >= 1) }
    })
    .await;
    let newer = basic("newer");
    let (tickets, row) = early(&a, &b, &newer);
    commit(&a, tickets, row).await;
    b.serve().await;
    assert_eq!(b.recv(LONG).await.unwrap().message, older, "order kept");
    assert_eq!(b.recv(LONG).await.unwrap().message, newer);
    outbox_empties(&a.outbox).await;
    assert!(b.rx.try_recv().is_err());
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn many_early_messages_in_a_row_arrive_in_order_and_leave_no_rows() {
    let (mut a, mut b) = sender_and_receiver('E', 'F').await;
    b.serve().await;
    let msgs: Vec<_> = (0..30).map(|i| basic(&format!("m{i}"))).collect();
    for m in &msgs {
        let (tickets, row) = early(&a, &b, m);
        commit(&a, tickets, row).await;
    }
    for m in &msgs {
        assert_eq!(
            &b.recv(LONG).await.unwrap().message,
            m,
            "per-peer order kept"
        );
    }
    outbox_empties(&a.outbox).await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_failed_units_early_message_leaves_nothing_and_the_peer_goes_on() {
    let (mut a, mut b) = sender_and_receiver('E', 'F').await;
    // While B is down: the unit fails, so the message is never stored nor retried.
    let lost = basic("lost");
    let (tickets, _row) = early(&a, &b, &lost);
    a.transport.settle_early(tickets, None);
    // A stored message goes after the lost one's attempt; once it has failed too, that
    // attempt is over.
    let probe = basic("probe");
    a.transport.send(&b.peer, &probe).await.unwrap();
    let outbox = a.outbox.clone();
    wait_until("the probe failed once", || {
        let o = outbox.clone();
        async move { o.snapshot().first().is_some_and(|e| e.entry.attempts >= 1) }
    })
    .await;
    assert_eq!(a.outbox.snapshot().len(), 1, "only the probe is stored");
    b.serve().await;
    assert_eq!(b.recv(LONG).await.unwrap().message, probe);
    outbox_empties(&a.outbox).await;
    // While B is up: sent before its unit failed; nothing is recorded either.
    let sent = basic("sent anyway");
    let (tickets, _row) = early(&a, &b, &sent);
    assert_eq!(b.recv(LONG).await.unwrap().message, sent);
    a.transport.settle_early(tickets, None);
    let next = basic("next");
    a.transport.send(&b.peer, &next).await.unwrap();
    assert_eq!(b.recv(LONG).await.unwrap().message, next);
    outbox_empties(&a.outbox).await;
    assert!(b.rx.try_recv().is_err(), "the lost message never arrives");
    a.stop().await;
    b.stop().await;
}
