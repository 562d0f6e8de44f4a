//! Direct tests of every check a participant makes in the creation flow (§6.4.3, §9): the
//! offending message is fed to node B (index 1) of 3; the exact problem report is asserted, and
//! B is left exactly as before the round (no ledger of that name unless it existed before,
//! no lock, no round).

mod support;

use serde_json::{json, Value};
use support::*;
use tmtm_consensus::hashes::ledger_hash;
use tmtm_consensus::problem::{REQUEST_NOT_ACCEPTED, REQUEST_PROCESSING_ERROR};
use tmtm_consensus::{Dialect, LedgerAccess, StartFlow};

const A: usize = 0;
const B: usize = 1;
const C: usize = 2;

fn create_flow() -> StartFlow {
    StartFlow::Create {
        name: "N".into(),
        genesis: vec![txn(1), txn(2)],
    }
}

/// 3 nodes; A starts creating N. Returns the net, the request and A's start commands.
fn requested() -> (Net, Value, Vec<tmtm_consensus::Command>) {
    let mut net = Net::new(3, Dialect::V1_0_25);
    let cmds = net.start(A, 20, create_flow());
    let req = sent(&cmds, "initialize-request");
    (net, req, cmds)
}

/// Feed B `msg` from A; assert the failure `want` is finished and reported to A, and that B
/// equals `before`.
fn assert_refused(net: &mut Net, msg: Value, before: &Snapshot, want: ProblemReportArgs) {
    let a = net.did(A);
    let cmds = net.receive(&a, B, msg);
    let want = pr(want.0, want.1);
    assert_eq!(failure(&cmds), want);
    assert_eq!(report_of(&sent(&cmds, "problem_report")), want);
    assert_eq!(sent_to(&cmds, "problem_report"), vec![a]);
    net.assert_unchanged(B, before);
}

type ProblemReportArgs = (&'static str, String);

/// Re-sign a modified request as A would (new `ledger~hash`, A's signature over it).
fn resign(net: &Net, req: &mut Value) {
    let h = ledger_hash(&req["ledger"]).unwrap();
    req["ledger~hash"] = h.clone();
    req["signatures"][0]["signature"] = sign(&net.nodes[A].keys, &h, net.now);
}

#[test]
fn ledger_already_exists() {
    let (mut net, req, _) = requested();
    net.nodes[B].ledgers.create("N", vec![txn(9)]).unwrap();
    let before = net.snapshot(B);
    assert_refused(
        &mut net,
        req,
        &before,
        (
            REQUEST_NOT_ACCEPTED,
            "Stage-1: Ledger with name N already exists".into(),
        ),
    );
    assert!(
        net.nodes[B].ledgers.exists("N"),
        "an existing ledger is never deleted"
    );
}

/// A valid signature over the right `ledger~hash`, by C's key, in A's entry (§9.13).
#[test]
fn forged_actor_signature() {
    let (mut net, mut req, _) = requested();
    let before = net.snapshot(B);
    req["signatures"][0]["signature"] = sign(&net.nodes[C].keys, &req["ledger~hash"], net.now);
    assert_refused(
        &mut net,
        req,
        &before,
        (
            REQUEST_NOT_ACCEPTED,
            "Stage-1: the actor's signature is invalid".into(),
        ),
    );
}

#[test]
fn missing_actor_signature() {
    let (mut net, mut req, _) = requested();
    let before = net.snapshot(B);
    req["signatures"] = json!([]);
    assert_refused(
        &mut net,
        req,
        &before,
        (
            REQUEST_NOT_ACCEPTED,
            "Stage-1: the actor's signature is missing".into(),
        ),
    );
}

#[test]
fn ledger_hash_does_not_match_ledger() {
    let (mut net, mut req, _) = requested();
    let before = net.snapshot(B);
    req["ledger"]["genesis"][0]["op"] = json!("tampered");
    assert_refused(
        &mut net,
        req,
        &before,
        (
            REQUEST_NOT_ACCEPTED,
            "Stage-1: ledger~hash does not match the ledger".into(),
        ),
    );
}

#[test]
fn root_hash_mismatch() {
    let (mut net, mut req, _) = requested();
    let before = net.snapshot(B);
    req["ledger"]["root_hash"] = json!("3sgNJmsXpmin7P5C6jpHiqYfeWwej5L6uYdYoXTMc1XQ");
    resign(&net, &mut req);
    // spec text (§6.4.3 step 4)
    assert_refused(
        &mut net,
        req,
        &before,
        (
            REQUEST_PROCESSING_ERROR,
            "Stage-1: Non-consistent Root Hash".into(),
        ),
    );
}

#[test]
fn empty_ledger_name() {
    let (mut net, mut req, _) = requested();
    let before = net.snapshot(B);
    req["ledger"]["name"] = json!("");
    // spec text (§6.4.3 participant step 1)
    assert_refused(
        &mut net,
        req,
        &before,
        (REQUEST_PROCESSING_ERROR, "Ledger name is Empty!".into()),
    );
}

#[test]
fn request_with_unknown_participant() {
    let (mut net, mut req, _) = requested();
    let before = net.snapshot(B);
    let x = net.strangers[1].did();
    req["participants"]
        .as_array_mut()
        .unwrap()
        .push(json!(x.as_str()));
    assert_refused(
        &mut net,
        req,
        &before,
        (
            REQUEST_NOT_ACCEPTED,
            format!("Stage-1: no pairwise for participant {x}"),
        ),
    );
}

#[test]
fn lock_conflict_with_a_running_creation() {
    let (mut net, req, _) = requested();
    let a = net.did(A);
    let first = net.receive(&a, B, req.clone());
    sent(&first, "initialize-response");
    let staged = net.snapshot(B);
    let mut second = req;
    second["~thread"]["thid"] = json!("simple-consensus-eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee");
    let cmds = net.receive(&a, B, second);
    let want = pr(
        REQUEST_NOT_ACCEPTED,
        "Preparing: Ledgers [ledgers/N] are locked by other state-machine",
    );
    assert_eq!(failure(&cmds), want);
    assert_eq!(report_of(&sent(&cmds, "problem_report")), want);
    assert_eq!(net.snapshot(B), staged, "the first round's ledger is kept");
    assert_eq!(net.nodes[B].engine.active_rounds().len(), 1);
}

/// B at stage 2: returns the commit request A sent to B (intercepted) and B's empty state.
fn at_stage_2() -> (Net, Value, Snapshot) {
    let (mut net, _, cmds) = requested();
    let before = net.snapshot(B);
    let commit = net.run_until(A, cmds, B, "initialize-response");
    (net, commit, before)
}

/// B at stage 3: it acked; returns A's final ack to B (intercepted).
fn at_stage_3() -> (Net, Value, Snapshot) {
    let (mut net, commit, before) = at_stage_2();
    let a = net.did(A);
    let cmds = net.receive(&a, B, commit);
    let fin = net.run_until(B, cmds, B, "ack");
    (net, fin, before)
}

#[test]
fn commit_request_with_other_ledger_hash() {
    let (mut net, mut commit, before) = at_stage_2();
    commit["ledger~hash"]["base58"] = json!("11111111111111111111111111111111");
    let a = net.did(A);
    assert_refused(
        &mut net,
        commit,
        &before,
        (
            REQUEST_NOT_ACCEPTED,
            format!("Stage-2: NonEqual Ledger hash with participant {a}"),
        ),
    );
}

#[test]
fn commit_request_with_other_participant_set() {
    let (mut net, mut commit, before) = at_stage_2();
    commit["participants"] = json!([net.did(A).as_str(), net.did(B).as_str()]);
    assert_refused(
        &mut net,
        commit,
        &before,
        (
            REQUEST_NOT_ACCEPTED,
            "Stage-2: Set of signers differs from proposed participants set".into(),
        ),
    );
}

/// C's entry signed with B's key (valid signature, wrong signer).
#[test]
fn commit_request_with_forged_signature() {
    let (mut net, mut commit, before) = at_stage_2();
    let c = net.did(C);
    let lh = commit["ledger~hash"].clone();
    let sigs = commit["signatures"].as_array_mut().unwrap();
    let entry = sigs
        .iter_mut()
        .find(|e| e["participant"] == json!(c.as_str()))
        .unwrap();
    entry["signature"] = sign(&net.nodes[B].keys, &lh, net.now);
    assert_refused(
        &mut net,
        commit,
        &before,
        (
            REQUEST_NOT_ACCEPTED,
            format!("Stage-2: NonEqual Ledger hash with participant {c}"),
        ),
    );
}

#[test]
fn commit_request_missing_a_signer() {
    let (mut net, mut commit, before) = at_stage_2();
    let c = net.did(C);
    commit["signatures"]
        .as_array_mut()
        .unwrap()
        .retain(|e| e["participant"] != json!(c.as_str()));
    assert_refused(
        &mut net,
        commit,
        &before,
        (
            REQUEST_NOT_ACCEPTED,
            "Stage-2: Set of signers differs from commit participants set".into(),
        ),
    );
}

#[test]
fn commit_request_of_unexpected_type() {
    let (mut net, mut commit, before) = at_stage_2();
    commit["@type"] = json!(tmtm_consensus::dialect::msg_type("stage-commit"));
    assert_refused(
        &mut net,
        commit,
        &before,
        (
            REQUEST_NOT_ACCEPTED,
            "Unexpected message @type: stage-commit".into(),
        ),
    );
}

#[test]
fn problem_report_from_actor_at_stage_2_and_3() {
    for stage in [2, 3] {
        let (mut net, msg, before) = if stage == 2 {
            at_stage_2()
        } else {
            at_stage_3()
        };
        let a = net.did(A);
        let cmds = net.receive(&a, B, problem(&thid(&msg), "request_not_accepted", "nope"));
        assert_eq!(failure(&cmds), pr("request_not_accepted", "nope"));
        assert!(sends(&cmds).is_empty());
        net.assert_unchanged(B, &before);
    }
}

#[test]
fn ttl_expiry_at_stage_2_and_3() {
    for stage in [2, 3] {
        let (mut net, _, before) = if stage == 2 {
            at_stage_2()
        } else {
            at_stage_3()
        };
        let a = net.did(A);
        let round = net.nodes[B].engine.active_rounds()[0].clone();
        let deadline = net.nodes[B].engine.deadline_of(&round).unwrap();
        assert!(finished(&net.timer_at(B, deadline - 1)).is_none());
        let cmds = net.timer_at(B, deadline);
        // spec texts (§6.4.3 participant steps 5 and 7)
        let explain = if stage == 2 {
            format!("Stage-2: Commit response awaiting was terminated by timeout for actor: {a}")
        } else {
            format!("Stage-3: Commit accepting was terminated by timeout for actor: {a}")
        };
        let want = pr(REQUEST_PROCESSING_ERROR, explain);
        assert_eq!(failure(&cmds), want);
        assert_eq!(report_of(&sent(&cmds, "problem_report")), want);
        net.assert_unchanged(B, &before);
    }
}

#[test]
fn final_ack_completes() {
    let (mut net, fin, _) = at_stage_3();
    let a = net.did(A);
    let cmds = net.receive(&a, B, fin);
    assert!(finished(&cmds).unwrap().1.is_ok());
    assert_eq!(net.snapshot(A), net.snapshot(B));
    net.assert_idle(B);
}
