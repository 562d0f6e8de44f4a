//! Unit tests of the coalescing bookkeeping: parking, merging in arrival order, the
//! per-round cap, expiry and the fan-out to requesters.

use serde_json::json;
use tmtm_consensus::problem::REQUEST_PROCESSING_ERROR;
use tmtm_consensus::{Event, StartFlow};
use tmtm_microledger::Transaction;
use tokio::sync::mpsc;

use super::{
    tell, Admitted, Batch, CommitRequest, Group, Parking, Sorted, MAX_BYTES_PER_ROUND,
    MAX_TXNS_PER_ROUND,
};
use crate::driver::handle::{RoundUpdate, StartRound};

const DEFAULT_TTL: u64 = 60;

fn txn(n: u64) -> Transaction {
    Transaction::from_value(json!({"reqId": n, "op": format!("op{n}")})).unwrap()
}

type Rx = mpsc::UnboundedReceiver<RoundUpdate>;

/// A commit request for `ledger` of the transactions numbered `ns`, arriving at `now`.
fn commit(ledger: &str, ns: &[u64], ttl: Option<u64>, now: u64) -> (CommitRequest, Rx) {
    let (tx, rx) = mpsc::unbounded_channel();
    let hex = format!("{:032x}", ns.first().copied().unwrap_or_default());
    let request = StartRound {
        thread_id: format!("thread-{hex}"),
        thread_hex: hex,
        flow: StartFlow::Commit {
            ledger: ledger.to_owned(),
            transactions: ns.iter().map(|n| txn(*n)).collect(),
        },
        ttl_sec: ttl,
        updates: tx,
    };
    let Sorted::Commit(c) = CommitRequest::from_start(request, now, DEFAULT_TTL) else {
        panic!("a commit request");
    };
    (c, rx)
}

fn req_ids(flow: &StartFlow) -> Vec<u64> {
    let StartFlow::Commit { transactions, .. } = flow else {
        panic!("a commit flow: {flow:?}");
    };
    transactions
        .iter()
        .map(|t| t.clone().into_value()["reqId"].as_u64().unwrap())
        .collect()
}

fn start_of(g: &mut Group) -> (String, StartFlow, Option<u64>) {
    (g.thread_id.clone(), g.flow(), g.ttl_sec())
}

#[test]
fn other_flows_are_not_commit_requests() {
    let (tx, _rx) = mpsc::unbounded_channel();
    let request = StartRound {
        thread_hex: "00".into(),
        thread_id: "t".into(),
        flow: StartFlow::Parallel {
            ledgers: vec!["A".into(), "B".into()],
            transactions: vec![txn(1)],
        },
        ttl_sec: None,
        updates: tx,
    };
    let Sorted::Other(back) = CommitRequest::from_start(request, 0, DEFAULT_TTL) else {
        panic!("not a commit");
    };
    assert!(matches!(back.flow, StartFlow::Parallel { .. }));
}

#[test]
fn commits_for_one_free_ledger_in_a_batch_become_one_round_in_arrival_order() {
    let mut parking = Parking::default();
    let mut batch = Batch::default();
    batch.push_event(Event::Timer);
    let (a, _ra) = commit("L", &[1, 2], None, 0);
    let (b, _rb) = commit("M", &[10], None, 0);
    let (c, _rc) = commit("L", &[3], None, 0);
    assert_eq!(batch.admit(a, &[], &mut parking), Admitted::Started);
    assert_eq!(batch.admit(b, &[], &mut parking), Admitted::Started);
    assert_eq!(batch.admit(c, &[], &mut parking), Admitted::Merged);
    assert_eq!(parking.len(), 0);

    let mut groups = Vec::new();
    let events = batch.into_events(|mut g| {
        groups.push((start_of(&mut g), g.requesters.len()));
        Event::Restarted
    });
    // The timer stays first; one start per ledger, L's in the place of its first request.
    assert_eq!(events.len(), 3);
    assert!(matches!(events[0], Event::Timer));
    assert_eq!(groups.len(), 2);
    let ((thid, flow, ttl), requesters) = &groups[0];
    assert_eq!(thid, &format!("thread-{:032x}", 1));
    assert_eq!(req_ids(flow), vec![1, 2, 3]);
    assert_eq!(*ttl, None, "no request set a time to live");
    assert_eq!(*requesters, 2);
    assert_eq!(req_ids(&groups[1].0 .1), vec![10]);
}

#[test]
fn a_locked_ledger_parks_requests_and_later_ones_queue_behind_them() {
    let mut parking = Parking::default();
    let mut batch = Batch::default();
    let (a, _ra) = commit("L", &[1], None, 0);
    assert_eq!(
        batch.admit(a, &["L".to_owned()], &mut parking),
        Admitted::Parked
    );
    // The ledger is free now, but a request already waits: the new one queues behind it.
    let (b, _rb) = commit("L", &[2], None, 0);
    assert_eq!(batch.admit(b, &[], &mut parking), Admitted::Parked);
    assert!(batch.is_empty());
    assert_eq!(parking.len(), 2);

    assert!(
        parking.release(&["L".to_owned()]).is_empty(),
        "still locked"
    );
    let mut groups = parking.release(&[]);
    assert_eq!(groups.len(), 1);
    assert_eq!(req_ids(&groups[0].flow()), vec![1, 2]);
    assert_eq!(groups[0].requesters.len(), 2);
    assert_eq!(parking.len(), 0);
    assert!(!parking.waiting("L"));
    assert_eq!(parking.next_deadline(), None);
}

#[test]
fn a_round_takes_at_most_the_cap_and_the_rest_waits_for_the_next() {
    let mut parking = Parking::default();
    let total = MAX_TXNS_PER_ROUND as u64 + 44;
    let mut receivers = Vec::new();
    for n in 0..total {
        let (c, rx) = commit("L", &[n], None, 0);
        parking.park(c);
        receivers.push(rx);
    }
    let mut first = parking.release(&[]);
    assert_eq!(first.len(), 1);
    let ids = req_ids(&first[0].flow());
    assert_eq!(ids, (0..MAX_TXNS_PER_ROUND as u64).collect::<Vec<_>>());
    assert_eq!(parking.len(), 44);
    let mut second = parking.release(&[]);
    assert_eq!(
        req_ids(&second[0].flow()),
        (MAX_TXNS_PER_ROUND as u64..total).collect::<Vec<_>>()
    );
    assert_eq!(parking.len(), 0);
}

#[test]
fn a_batch_round_that_is_full_parks_the_next_request() {
    let mut parking = Parking::default();
    let mut batch = Batch::default();
    let big: Vec<u64> = (0..MAX_TXNS_PER_ROUND as u64).collect();
    let (a, _ra) = commit("L", &big, None, 0);
    let (b, _rb) = commit("L", &[999], None, 0);
    assert_eq!(batch.admit(a, &[], &mut parking), Admitted::Started);
    assert_eq!(batch.admit(b, &[], &mut parking), Admitted::Parked);
    assert!(parking.waiting("L"));
    // A single request larger than the cap still starts, alone.
    let huge: Vec<u64> = (0..MAX_TXNS_PER_ROUND as u64 + 5).collect();
    let (h, _rh) = commit("M", &huge, None, 0);
    let (m, _rm) = commit("M", &[1000], None, 0);
    parking.park(h);
    parking.park(m);
    let mut groups = parking.release(&["L".to_owned()]);
    assert_eq!(groups.len(), 1);
    assert_eq!(req_ids(&groups[0].flow()).len(), MAX_TXNS_PER_ROUND + 5);
    assert_eq!(parking.len(), 2, "L's request and M's second stay");
}

/// A commit request of one transaction of about `bytes` bytes as JSON.
fn bulky(ledger: &str, n: u64, bytes: usize) -> (CommitRequest, Rx) {
    let (tx, rx) = mpsc::unbounded_channel();
    let txn = Transaction::from_value(json!({"reqId": n, "pad": "x".repeat(bytes)})).unwrap();
    let request = StartRound {
        thread_id: format!("thread-{n}"),
        thread_hex: format!("{n:032x}"),
        flow: StartFlow::Commit {
            ledger: ledger.to_owned(),
            transactions: vec![txn],
        },
        ttl_sec: None,
        updates: tx,
    };
    let Sorted::Commit(c) = CommitRequest::from_start(request, 0, DEFAULT_TTL) else {
        panic!("a commit request");
    };
    (c, rx)
}

#[test]
fn a_round_stays_under_the_byte_cap_so_the_proposal_fits_a_peer_s_limit() {
    let mut parking = Parking::default();
    let third = MAX_BYTES_PER_ROUND / 3;
    let mut receivers = Vec::new();
    for n in 0..4 {
        let (c, rx) = bulky("L", n, third);
        parking.park(c);
        receivers.push(rx);
    }
    let mut first = parking.release(&[]);
    assert_eq!(
        req_ids(&first[0].flow()),
        vec![0, 1],
        "a third request would pass the cap"
    );
    let mut second = parking.release(&[]);
    assert_eq!(req_ids(&second[0].flow()), vec![2, 3]);
    // One request above the cap still starts, alone.
    let (big, _rb) = bulky("M", 9, MAX_BYTES_PER_ROUND * 2);
    let (small, _rs) = bulky("M", 10, 10);
    parking.park(big);
    parking.park(small);
    let mut alone = parking.release(&[]);
    assert_eq!(req_ids(&alone[0].flow()), vec![9]);
}

#[test]
fn requesters_that_went_away_are_dropped_before_the_round() {
    let mut parking = Parking::default();
    let (a, ra) = commit("L", &[1], None, 0);
    let (b, _rb) = commit("L", &[2], None, 0);
    parking.park(a);
    parking.park(b);
    drop(ra);
    let mut groups = parking.release(&[]);
    assert_eq!(req_ids(&groups[0].flow()), vec![2]);
    assert_eq!(groups[0].requesters.len(), 1);
    assert_eq!(
        groups[0].thread_id,
        format!("thread-{:032x}", 2),
        "the first live request names the round"
    );

    let (c, rc) = commit("M", &[3], None, 0);
    parking.park(c);
    drop(rc);
    assert!(parking.release(&[]).is_empty(), "nobody left to start for");
    assert_eq!(parking.len(), 0);
}

#[test]
fn the_merged_round_lives_as_long_as_the_shortest_request_allows() {
    let mut parking = Parking::default();
    let (a, _ra) = commit("L", &[1], None, 0);
    let (b, _rb) = commit("L", &[2], Some(100), 0);
    let (c, _rc) = commit("L", &[3], Some(30), 0);
    parking.park(a);
    parking.park(b);
    assert_eq!(parking.release(&[])[0].ttl_sec(), Some(DEFAULT_TTL));
    parking.park(c);
    let (d, _rd) = commit("L", &[4], None, 0);
    parking.park(d);
    assert_eq!(parking.release(&[])[0].ttl_sec(), Some(30));
}

#[tokio::test]
async fn a_request_waiting_past_its_time_to_live_fails_with_a_report() {
    let mut parking = Parking::default();
    let (short, mut r_short) = commit("L", &[1], Some(2), 1_000);
    let (long, mut r_long) = commit("L", &[2], None, 1_000);
    parking.park(short);
    parking.park(long);
    assert_eq!(parking.next_deadline(), Some(3_000));
    assert_eq!(parking.expire(2_999), 0);
    assert_eq!(parking.expire(3_000), 1);
    let Some(RoundUpdate::Finished(Err(report))) = r_short.recv().await else {
        panic!("a final failure");
    };
    assert_eq!(report.code, REQUEST_PROCESSING_ERROR);
    assert!(
        report.explain.contains("ledger L stayed locked"),
        "{report:?}"
    );
    assert!(r_long.try_recv().is_err(), "the other request still waits");
    assert_eq!(parking.next_deadline(), Some(61_000));
    assert_eq!(parking.len(), 1);
    parking.clear();
    assert!(
        r_long.recv().await.is_none(),
        "shutdown drops the waiting request's sender"
    );
}

#[tokio::test]
async fn every_requester_gets_the_same_updates() {
    let (a, mut ra) = commit("L", &[1], None, 0);
    let (b, mut rb) = commit("L", &[2], None, 0);
    let mut parking = Parking::default();
    parking.park(a);
    parking.park(b);
    let groups = parking.release(&[]);
    let update = RoundUpdate::Progress {
        percent: 20,
        message: "sent".into(),
    };
    tell(&groups[0].requesters, &update);
    assert_eq!(ra.recv().await, Some(update.clone()));
    assert_eq!(rb.recv().await, Some(update));
}
