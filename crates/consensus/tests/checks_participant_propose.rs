//! Direct tests of every check a participant makes on a commit or parallel proposal (stage 1,
//! §6.5.6, §6.6, §9): each builds the offending proposal, feeds it to node B (index 1) and
//! asserts the exact problem report sent to the actor / finished with, and that B's ledgers are
//! unchanged, with nothing uncommitted and no lock or round left.

mod support;

use serde_json::{json, Value};
use support::*;
use tmtm_consensus::problem::{REQUEST_NOT_ACCEPTED, RESPONSE_NOT_ACCEPTED};
use tmtm_consensus::{Dialect, LedgerAccess, StartFlow};

const A: usize = 0;
const B: usize = 1;
const C: usize = 2;

fn commit_flow(n: u64) -> StartFlow {
    StartFlow::Commit {
        ledger: "L".into(),
        transactions: vec![txn(100 + n)],
    }
}

/// `n` nodes with ledger L; A starts a commit round; returns the net and the proposal.
fn proposed(n: usize) -> (Net, Value) {
    let mut net = Net::new(n, Dialect::V1_0_25);
    net.create_all("L", 1);
    let cmds = net.start(A, 10, commit_flow(10));
    let prop = sent(&cmds, "stage-propose");
    (net, prop)
}

/// Feed B a (modified) proposal and check it is refused with `want`, reported to A, unchanged.
fn assert_refused(net: &mut Net, msg: Value, want: (&str, String)) {
    let before = net.snapshot(B);
    let a = net.did(A);
    let cmds = net.receive(&a, B, msg);
    let want = pr(want.0, want.1);
    assert_eq!(failure(&cmds), want);
    assert_eq!(report_of(&sent(&cmds, "problem_report")), want);
    assert_eq!(sent_to(&cmds, "problem_report"), vec![a]);
    net.assert_unchanged(B, &before);
}

#[test]
fn proposal_sender_not_in_participants() {
    let (mut net, mut prop) = proposed(3);
    prop["participants"] = json!([net.did(B).as_str(), net.did(C).as_str()]);
    let a = net.did(A);
    assert_refused(
        &mut net,
        prop,
        (
            REQUEST_NOT_ACCEPTED,
            format!("Stage-1: sender {a} is not a participant"),
        ),
    );
}

#[test]
fn proposal_without_me() {
    let (mut net, mut prop) = proposed(3);
    prop["participants"] = json!([net.did(A).as_str(), net.did(C).as_str()]);
    let b = net.did(B);
    assert_refused(
        &mut net,
        prop,
        (
            RESPONSE_NOT_ACCEPTED,
            format!("Stage-1: {b} is not participant"),
        ),
    );
}

#[test]
fn proposal_with_fewer_than_two_participants() {
    let (mut net, mut prop) = proposed(2);
    prop["participants"] = json!([net.did(A).as_str()]);
    assert_refused(
        &mut net,
        prop,
        (
            RESPONSE_NOT_ACCEPTED,
            "Stage-1: participant count less than 2".into(),
        ),
    );
}

#[test]
fn proposal_with_unknown_participant() {
    let (mut net, mut prop) = proposed(2);
    let x = net.strangers[0].did();
    prop["participants"] = json!([net.did(A).as_str(), net.did(B).as_str(), x.as_str()]);
    assert_refused(
        &mut net,
        prop,
        (
            REQUEST_NOT_ACCEPTED,
            format!("Stage-1: no pairwise for participant {x}"),
        ),
    );
}

/// HEAD lists the actor twice (§6.6.1): duplicates are a set, the round completes.
#[test]
fn proposal_with_duplicate_participants_is_a_set() {
    let (mut net, mut prop) = proposed(2);
    let (a, b) = (net.did(A), net.did(B));
    prop["participants"] = json!([a.as_str(), b.as_str(), a.as_str()]);
    let cmds = net.receive(&a, B, prop);
    sent(&cmds, "stage-pre-commit");
    net.run(B, cmds);
    assert!(net.last_result(A).is_ok());
    assert!(net.last_result(B).is_ok());
    assert_eq!(net.snapshot(A), net.snapshot(B));
}

#[test]
fn proposal_with_wrong_state_hash() {
    let (mut net, mut prop) = proposed(2);
    prop["hash"] = json!("0123456789abcdef0123456789abcdef");
    assert_refused(
        &mut net,
        prop,
        (
            RESPONSE_NOT_ACCEPTED,
            "Stage-1: hash does not match the proposed state".into(),
        ),
    );
}

#[test]
fn proposal_with_empty_hash() {
    let (mut net, mut prop) = proposed(2);
    prop["hash"] = json!("");
    assert_refused(
        &mut net,
        prop,
        (RESPONSE_NOT_ACCEPTED, "Stage-1: hash is empty".into()),
    );
}

#[test]
fn proposal_transaction_without_metadata() {
    let (mut net, mut prop) = proposed(2);
    prop["transactions"][0]
        .as_object_mut()
        .unwrap()
        .remove("txnMetadata");
    // the README's example text (§6.7)
    assert_refused(
        &mut net,
        prop,
        (REQUEST_NOT_ACCEPTED, "Transaction has not metadata".into()),
    );
}

/// The actor's committed size differs from ours (it committed something we lack).
#[test]
fn state_mismatch_committed_size() {
    let mut net = Net::new(2, Dialect::V1_0_25);
    net.create_all("L", 1);
    net.nodes[A]
        .ledgers
        .append("L", vec![txn(50)], None)
        .unwrap();
    net.nodes[A].ledgers.commit("L", 1).unwrap();
    let prop = sent(&net.start(A, 10, commit_flow(10)), "stage-propose");
    assert_refused(
        &mut net,
        prop,
        (
            RESPONSE_NOT_ACCEPTED,
            "Stage-1: Non-consistent ledger state of L".into(),
        ),
    );
}

/// Same committed size, different committed root.
#[test]
fn state_mismatch_committed_root() {
    let mut net = Net::new(2, Dialect::V1_0_25);
    net.create_all("L", 1);
    for (i, t) in [(A, 50), (B, 60)] {
        net.nodes[i]
            .ledgers
            .append("L", vec![txn(t)], None)
            .unwrap();
        net.nodes[i].ledgers.commit("L", 1).unwrap();
    }
    let prop = sent(&net.start(A, 10, commit_flow(10)), "stage-propose");
    assert_refused(
        &mut net,
        prop,
        (
            RESPONSE_NOT_ACCEPTED,
            "Stage-1: Non-consistent ledger state of L".into(),
        ),
    );
}

/// 2.x parallel proposals carry no states: our hash after appending must equal the proposal's.
#[test]
fn state_mismatch_flat_parallel_hash() {
    let mut net = Net::new(2, Dialect::V2);
    net.create_all("P", 1);
    net.create_all("Q", 2);
    net.nodes[A]
        .ledgers
        .append("Q", vec![txn(50)], None)
        .unwrap();
    net.nodes[A].ledgers.commit("Q", 1).unwrap();
    let cmds = net.start(
        A,
        10,
        StartFlow::Parallel {
            ledgers: vec!["P".into(), "Q".into()],
            transactions: vec![txn(7)],
        },
    );
    let prop = sent(&cmds, "stage-propose-parallel");
    assert_refused(
        &mut net,
        prop,
        (
            RESPONSE_NOT_ACCEPTED,
            "Stage-1: Non-consistent ledger state".into(),
        ),
    );
}

#[test]
fn ledger_missing_on_commit() {
    let mut net = Net::new(2, Dialect::V1_0_25);
    net.nodes[A].ledgers.create("L", vec![txn(1)]).unwrap();
    let prop = sent(&net.start(A, 10, commit_flow(10)), "stage-propose");
    assert_refused(
        &mut net,
        prop,
        (
            RESPONSE_NOT_ACCEPTED,
            "Stage-1: Ledger with name L does not exists".into(),
        ),
    );
}

/// Parallel round where B lacks one of the two ledgers: refused, the other ledger untouched.
#[test]
fn parallel_with_one_ledger_missing() {
    for d in [Dialect::V1_0_25, Dialect::V2] {
        let mut net = Net::new(2, d);
        net.create_all("P", 1);
        net.nodes[A].ledgers.create("Q", vec![txn(1)]).unwrap();
        let cmds = net.start(
            A,
            10,
            StartFlow::Parallel {
                ledgers: vec!["P".into(), "Q".into()],
                transactions: vec![txn(7)],
            },
        );
        let prop = sent(&cmds, "stage-propose-parallel");
        assert_refused(
            &mut net,
            prop,
            (
                RESPONSE_NOT_ACCEPTED,
                "Stage-1: Ledger with name Q does not exists".into(),
            ),
        );
    }
}

/// A second proposal for a ledger locked by a running round is refused; the first round goes on.
#[test]
fn lock_conflict() {
    let (mut net, prop) = proposed(2);
    let a = net.did(A);
    let first = net.receive(&a, B, prop.clone());
    sent(&first, "stage-pre-commit");
    let before = net.snapshot(B);
    let mut second = prop.clone();
    second["~thread"]["thid"] = json!("simple-consensus-txns-ffffffffffffffffffffffffffffffff");
    let cmds = net.receive(&a, B, second);
    let want = pr(
        REQUEST_NOT_ACCEPTED,
        "Preparing: Ledgers [ledgers/L] are locked by other state-machine",
    );
    assert_eq!(failure(&cmds), want);
    assert_eq!(report_of(&sent(&cmds, "problem_report")), want);
    assert_eq!(net.snapshot(B), before, "the refused round changed nothing");
    assert_eq!(net.nodes[B].engine.locked_ledgers(), vec!["L".to_string()]);
    net.run(B, first);
    assert!(net.last_result(B).is_ok(), "the first round is unaffected");
    assert_eq!(net.snapshot(A), net.snapshot(B));
    net.assert_idle(B);
}
