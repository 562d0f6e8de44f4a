//! Direct tests of the actor's checks of its participants' answers (§6.4.3, §6.5.6, §9):
//! invalid answers, timeouts and problem reports at each stage. Each asserts the exact report,
//! to whom it is sent, and that the actor's ledgers are back to what they were before the
//! round, with no lock or round left.

mod support;

use serde_json::{json, Value};
use support::*;
use tmtm_consensus::dialect::consensus_name;
use tmtm_consensus::problem::{
    REQUEST_PROCESSING_ERROR, RESPONSE_NOT_ACCEPTED, RESPONSE_PROCESSING_ERROR,
};
use tmtm_consensus::{Command, Dialect, LedgerAccess, ProblemReport, StartFlow};
use tmtm_wire::keys::Did;

const A: usize = 0;
const B: usize = 1;
const C: usize = 2;

fn commit_flow() -> StartFlow {
    StartFlow::Commit {
        ledger: "L".into(),
        transactions: vec![txn(10)],
    }
}

fn create_flow() -> StartFlow {
    StartFlow::Create {
        name: "N".into(),
        genesis: vec![txn(1)],
    }
}

fn net_with_l(n: usize) -> Net {
    let mut net = Net::new(n, Dialect::V1_0_25);
    net.create_all("L", 1);
    net
}

/// The round failed with `want`, reported to exactly `to`, A back to `before`.
fn assert_failed(net: &Net, cmds: &[Command], want: ProblemReport, to: &[Did], before: &Snapshot) {
    assert_eq!(failure(cmds), want);
    assert_eq!(report_of(&sent(cmds, "problem_report")), want);
    let mut got = sent_to(cmds, "problem_report");
    got.sort();
    let mut to = to.to_vec();
    to.sort();
    assert_eq!(got, to);
    net.assert_unchanged(A, before);
}

/// B's genuine pre-commit for a fresh round of 3 (A's proposal not delivered to C).
fn pre_commit_of_b(net: &mut Net, n: u64) -> (Value, Snapshot) {
    let before = net.snapshot(A);
    let cmds = net.start(A, n, commit_flow());
    let a = net.did(A);
    let out = net.receive(&a, B, sent(&cmds, "stage-propose"));
    (sent(&out, "stage-pre-commit"), before)
}

#[test]
fn pre_commit_with_wrong_hash() {
    let mut net = net_with_l(3);
    let (mut pre, before) = pre_commit_of_b(&mut net, 5);
    pre["hash"] = json!("0123456789abcdef0123456789abcdef");
    let b = net.did(B);
    let cmds = net.receive(&b, A, pre);
    let want = pr(
        RESPONSE_NOT_ACCEPTED,
        format!("Stage-1: Error for participant {b}: \"Non-consistent ledger state\""),
    );
    assert_failed(&net, &cmds, want, &[b, net.did(C)], &before);
}

fn signed_state_error(b: &Did) -> ProblemReport {
    pr(
        RESPONSE_NOT_ACCEPTED,
        format!(
            "Stage-1: Error for participant {b}: \"Stage-1: Error verifying signed ledger state for participant {b}\""
        ),
    )
}

/// A valid signature over the right hash by C's key, sent by B (§9.13).
#[test]
fn pre_commit_with_forged_signature() {
    let mut net = net_with_l(3);
    let (mut pre, before) = pre_commit_of_b(&mut net, 5);
    pre["hash~sig"] = sign(&net.nodes[C].keys, &pre["hash"], net.now);
    let b = net.did(B);
    let cmds = net.receive(&b, A, pre);
    assert_failed(
        &net,
        &cmds,
        signed_state_error(&b),
        &[b, net.did(C)],
        &before,
    );
}

/// B's genuine `hash~sig` of an earlier round with this round's (right) `hash` field.
#[test]
fn pre_commit_with_replayed_signature_from_another_round() {
    let mut net = net_with_l(3);
    let cmds = net.start(A, 4, commit_flow());
    let log = net.run_recording(A, cmds);
    let old = recorded_from(&log, B, "stage-pre-commit");
    let (mut pre, before) = pre_commit_of_b(&mut net, 5);
    assert_ne!(old["hash"], pre["hash"]);
    pre["hash~sig"] = old["hash~sig"].clone();
    let b = net.did(B);
    let cmds = net.receive(&b, A, pre);
    assert_failed(
        &net,
        &cmds,
        signed_state_error(&b),
        &[b, net.did(C)],
        &before,
    );
}

/// A at stage 2: B's post-commit (intercepted, not delivered) and A's state before the round.
fn post_commit_of_b(net: &mut Net, n: u64) -> (Value, Snapshot) {
    let before = net.snapshot(A);
    let cmds = net.start(A, n, commit_flow());
    let mut caught = None;
    net.pump(A, cmds, &mut |f, t, m| {
        if f == B && t == A && consensus_name(m) == Some("stage-post-commit") {
            caught = Some(m.clone());
            return false;
        }
        true
    });
    (caught.unwrap(), before)
}

fn commit_sig_error(b: &Did) -> ProblemReport {
    pr(
        RESPONSE_NOT_ACCEPTED,
        format!("Stage-2: Error for participant {b}: \"commit signature is missing or invalid\""),
    )
}

#[test]
fn post_commit_with_forged_signature() {
    let mut net = net_with_l(3);
    let (mut post, before) = post_commit_of_b(&mut net, 5);
    let vk = tmtm_wire::keys::Verkey::from_base58(post["commits"][0]["signer"].as_str().unwrap())
        .unwrap();
    let payload = tmtm_consensus::sig::verify_bound(&post["commits"][0], &vk).unwrap();
    post["commits"] = json!([sign(&net.nodes[C].keys, &payload, net.now)]);
    let b = net.did(B);
    let cmds = net.receive(&b, A, post);
    assert_failed(&net, &cmds, commit_sig_error(&b), &[b, net.did(C)], &before);
}

#[test]
fn post_commit_with_replayed_signature_from_another_round() {
    let mut net = net_with_l(3);
    let cmds = net.start(A, 4, commit_flow());
    let log = net.run_recording(A, cmds);
    let old = recorded_from(&log, B, "stage-post-commit");
    let (mut post, before) = post_commit_of_b(&mut net, 5);
    post["commits"] = old["commits"].clone();
    let b = net.did(B);
    let cmds = net.receive(&b, A, post);
    assert_failed(&net, &cmds, commit_sig_error(&b), &[b, net.did(C)], &before);
}

#[test]
fn post_commit_without_commits() {
    let mut net = net_with_l(3);
    let (mut post, before) = post_commit_of_b(&mut net, 5);
    post["commits"] = json!([]);
    let b = net.did(B);
    let cmds = net.receive(&b, A, post);
    assert_failed(&net, &cmds, commit_sig_error(&b), &[b, net.did(C)], &before);
}

#[test]
fn too_late_to_commit() {
    let mut net = net_with_l(2);
    let (post, before) = post_commit_of_b(&mut net, 5);
    let t = net.nodes[A].engine.active_rounds()[0].clone();
    let deadline = net.nodes[A].engine.deadline_of(&t).unwrap();
    net.now = deadline - TTL_MS / 4 + 1; // past decide_by, before the deadline
    let b = net.did(B);
    let cmds = net.receive(&b, A, post);
    let want = pr(
        REQUEST_PROCESSING_ERROR,
        "Stage-3: too late to commit within the time to live",
    );
    assert_failed(&net, &cmds, want, &[b], &before);
}

#[test]
fn problem_report_from_participant_in_commit_stages() {
    for stage in [1, 2] {
        let mut net = net_with_l(3);
        let (msg, before) = if stage == 1 {
            pre_commit_of_b(&mut net, 5)
        } else {
            post_commit_of_b(&mut net, 5)
        };
        let b = net.did(B);
        let cmds = net.receive(&b, A, problem(&thid(&msg), "x_code", "boom"));
        // spec text (§6.5.6); forwarded to the others, not back to B
        let want = pr(
            RESPONSE_NOT_ACCEPTED,
            format!("Stage-{stage}: Problem report from participant {b} \"boom\""),
        );
        assert_failed(&net, &cmds, want, &[net.did(C)], &before);
    }
}

/// A creation round of 3 where B's response (stage 1) or B's ack (stage 2) is intercepted.
fn create_intercept(net: &mut Net, name: &str) -> (Value, Snapshot) {
    let before = net.snapshot(A);
    let cmds = net.start(A, 5, create_flow());
    let mut caught = None;
    net.pump(A, cmds, &mut |f, t, m| {
        if caught.is_none() && f == B && t == A && consensus_name(m) == Some(name) {
            caught = Some(m.clone());
            return false;
        }
        true
    });
    (caught.unwrap(), before)
}

#[test]
fn create_response_with_forged_signature() {
    let mut net = Net::new(3, Dialect::V1_0_25);
    let (mut resp, before) = create_intercept(&mut net, "initialize-response");
    let b = net.did(B);
    let lh = resp["ledger~hash"].clone();
    let forged = sign(&net.nodes[C].keys, &lh, net.now);
    for e in resp["signatures"].as_array_mut().unwrap() {
        if e["participant"] == json!(b.as_str()) {
            e["signature"] = forged.clone();
        }
    }
    let cmds = net.receive(&b, A, resp);
    let want = pr(
        RESPONSE_NOT_ACCEPTED,
        format!("Stage-1: Error for participant {b}: \"signature of ledger~hash is missing or invalid\""),
    );
    assert_failed(&net, &cmds, want, &[b, net.did(C)], &before);
    assert!(!net.nodes[A].ledgers.exists("N"));
}

#[test]
fn create_problem_report_at_stage_1_is_propagated() {
    let mut net = Net::new(3, Dialect::V1_0_25);
    let (resp, before) = create_intercept(&mut net, "initialize-response");
    let b = net.did(B);
    let cmds = net.receive(
        &b,
        A,
        problem(&thid(&resp), "request_not_accepted", "no way"),
    );
    let want = pr("request_not_accepted", "no way");
    assert_failed(&net, &cmds, want, &[net.did(C)], &before);
    assert!(!net.nodes[A].ledgers.exists("N"));
}

#[test]
fn create_problem_report_at_stage_2() {
    let mut net = Net::new(3, Dialect::V1_0_25);
    let (ack, before) = create_intercept(&mut net, "ack");
    let b = net.did(B);
    let cmds = net.receive(&b, A, problem(&thid(&ack), "request_not_accepted", "boom"));
    // spec text (§6.4.3 actor step 6)
    let want = pr(
        RESPONSE_PROCESSING_ERROR,
        format!("Participant DID: {b} declined operation with error: \"boom\""),
    );
    assert_failed(&net, &cmds, want, &[net.did(C)], &before);
}

/// Time out at `stage` with C silent: "Stage-{n}: Participants [C] unreachable" (§6.4.3).
fn assert_unreachable(net: &mut Net, before: &Snapshot, stage: u8) {
    let t = net.nodes[A].engine.active_rounds()[0].clone();
    let deadline = net.nodes[A].engine.deadline_of(&t).unwrap();
    assert!(finished(&net.timer_at(A, deadline - 1)).is_none());
    let cmds = net.timer_at(A, deadline);
    let c = net.did(C);
    let want = pr(
        REQUEST_PROCESSING_ERROR,
        format!("Stage-{stage}: Participants [{c}] unreachable"),
    );
    let everyone = [net.did(B), c];
    assert_failed(net, &cmds, want, &everyone, before);
}

/// Run a round of 3, dropping every message named `drop` that C sends.
fn silence_c(net: &mut Net, flow: StartFlow, drop: &str) -> Snapshot {
    let before = net.snapshot(A);
    let cmds = net.start(A, 5, flow);
    net.pump(A, cmds, &mut |f, _, m| {
        !(f == C && consensus_name(m) == Some(drop))
    });
    before
}

#[test]
fn ttl_expiry_create_stage_1_and_2() {
    for (stage, drop) in [(1, "initialize-response"), (2, "ack")] {
        let mut net = Net::new(3, Dialect::V1_0_25);
        let before = silence_c(&mut net, create_flow(), drop);
        assert_unreachable(&mut net, &before, stage);
        assert!(!net.nodes[A].ledgers.exists("N"));
    }
}

#[test]
fn ttl_expiry_commit_stage_1_and_2() {
    for (stage, drop) in [(1, "stage-pre-commit"), (2, "stage-post-commit")] {
        let mut net = net_with_l(3);
        let before = silence_c(&mut net, commit_flow(), drop);
        assert_unreachable(&mut net, &before, stage);
    }
}

/// Only the round's participants are heard: C (known, not in this round) and a stranger are
/// ignored.
#[test]
fn answers_from_non_participants_are_ignored() {
    let mut net = net_with_l(3);
    let cmds = net.start_with(A, 5, commit_flow(), vec![net.did(B)]);
    let a = net.did(A);
    let prop = sent(&cmds, "stage-propose");
    let pre = sent(&net.receive(&a, B, prop.clone()), "stage-pre-commit");
    let staged = net.snapshot(A);
    let c = net.did(C);
    let x = net.strangers[0].did();
    assert_silent(&net.receive(&c, A, pre.clone()));
    assert_silent(&net.receive(&x, A, pre.clone()));
    assert_silent(&net.receive(&c, A, problem(&thid(&prop), "x", "y")));
    assert_eq!(net.snapshot(A), staged);
    assert_eq!(net.nodes[A].engine.active_rounds().len(), 1);
    let b = net.did(B);
    let out = net.receive(&b, A, pre);
    sent(&out, "stage-commit");
}
