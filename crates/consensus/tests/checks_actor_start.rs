//! Direct tests of the actor's checks when it is asked to start a round (§6.3, §6.4.3, §6.5.6,
//! §6.6): each refusal is reported locally only (nothing sent), with the exact problem report,
//! and the actor's ledgers are unchanged, with no lock or round left.

mod support;

use serde_json::json;
use support::*;
use tmtm_consensus::problem::{
    REQUEST_NOT_ACCEPTED, REQUEST_PROCESSING_ERROR, RESPONSE_NOT_ACCEPTED,
};
use tmtm_consensus::{Dialect, ProblemReport, StartFlow};

const A: usize = 0;
const B: usize = 1;

fn commit_flow() -> StartFlow {
    StartFlow::Commit {
        ledger: "L".into(),
        transactions: vec![txn(10)],
    }
}

fn net_with_l(n: usize) -> Net {
    let mut net = Net::new(n, Dialect::V1_0_25);
    net.create_all("L", 1);
    net
}

/// A start refused locally: the Finished error, nothing sent, A unchanged.
fn assert_start_refused(net: &mut Net, n: u64, flow: StartFlow, want: ProblemReport) {
    let before = net.snapshot(A);
    let cmds = net.start(A, n, flow);
    assert_eq!(failure(&cmds), want);
    assert!(sends(&cmds).is_empty(), "a refused start sends nothing");
    net.assert_unchanged(A, &before);
}

#[test]
fn start_with_unknown_participant() {
    let mut net = net_with_l(2);
    let x = net.strangers[0].did();
    let before = net.snapshot(A);
    let cmds = net.start_with(A, 5, commit_flow(), vec![net.did(B), x.clone()]);
    assert_eq!(
        failure(&cmds),
        pr(
            REQUEST_NOT_ACCEPTED,
            format!("Stage-1: no pairwise for participant {x}")
        )
    );
    assert!(sends(&cmds).is_empty());
    net.assert_unchanged(A, &before);
}

#[test]
fn start_create_of_existing_ledger() {
    let mut net = net_with_l(2);
    let flow = StartFlow::Create {
        name: "L".into(),
        genesis: vec![txn(1)],
    };
    let want = pr(REQUEST_NOT_ACCEPTED, "Ledger with name L already exists");
    assert_start_refused(&mut net, 5, flow, want);
}

#[test]
fn start_create_with_empty_name() {
    let mut net = Net::new(2, Dialect::V1_0_25);
    let flow = StartFlow::Create {
        name: String::new(),
        genesis: vec![txn(1)],
    };
    assert_start_refused(
        &mut net,
        5,
        flow,
        pr(REQUEST_PROCESSING_ERROR, "Ledger name is Empty!"),
    );
}

#[test]
fn start_commit_on_missing_ledger() {
    let mut net = Net::new(2, Dialect::V1_0_25);
    let want = pr(
        RESPONSE_NOT_ACCEPTED,
        "Stage-1: Ledger with name L does not exists",
    );
    assert_start_refused(&mut net, 5, commit_flow(), want);
}

#[test]
fn start_parallel_with_one_ledger_missing() {
    for d in [Dialect::V1_0_25, Dialect::V2] {
        let mut net = Net::new(2, d);
        net.create_all("L", 1);
        let flow = StartFlow::Parallel {
            ledgers: vec!["L".into(), "M".into()],
            transactions: vec![txn(3)],
        };
        let want = pr(
            RESPONSE_NOT_ACCEPTED,
            "Stage-1: Ledger with name M does not exists",
        );
        assert_start_refused(&mut net, 5, flow, want);
    }
}

#[test]
fn start_with_transaction_metadata() {
    let mut net = net_with_l(2);
    let t =
        tmtm_microledger::Transaction::from_value(json!({"op": "x", "txnMetadata": {"seqNo": 4}}))
            .unwrap();
    let flow = StartFlow::Commit {
        ledger: "L".into(),
        transactions: vec![t],
    };
    assert_start_refused(
        &mut net,
        5,
        flow,
        pr(REQUEST_NOT_ACCEPTED, "Transaction has metadata"),
    );
}

#[test]
fn start_on_locked_ledger() {
    let mut net = net_with_l(2);
    let first = net.start(A, 5, commit_flow());
    sent(&first, "stage-propose");
    let staged = net.snapshot(A);
    let cmds = net.start(A, 6, commit_flow());
    // spec text (§6.3); the actor does not tell anyone
    assert_eq!(
        failure(&cmds),
        pr(
            REQUEST_NOT_ACCEPTED,
            "Preparing: Ledgers [ledgers/L] are locked by other state-machine"
        )
    );
    assert!(sends(&cmds).is_empty());
    assert_eq!(net.snapshot(A), staged);
    net.run(A, first);
    assert!(net.last_result(A).is_ok(), "the first round is unaffected");
    net.assert_idle(A);
}

#[test]
fn start_with_reused_thread_id() {
    let mut net = net_with_l(2);
    let cmds = net.start(A, 5, commit_flow());
    let t = thid(&sent(&cmds, "stage-propose"));
    net.run(A, cmds);
    assert!(net.last_result(A).is_ok());
    let want = pr(
        REQUEST_NOT_ACCEPTED,
        format!("thread id {t} was already used"),
    );
    assert_start_refused(&mut net, 5, commit_flow(), want);
}
