//! Direct tests of every check a participant makes at stages 2 and 3 of a commit round
//! (`stage-commit`, final `stage-post-commit`, problem reports, timeouts; §6.5.6, §9): each
//! feeds the offending message to node B (index 1) of 3 and asserts the exact problem report
//! and that B is back to its state before the round, with no lock or round left.

mod support;

use serde_json::{json, Value};
use support::*;
use tmtm_consensus::problem::{REQUEST_NOT_ACCEPTED, REQUEST_PROCESSING_ERROR};
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

/// 3 nodes, B at stage 2 (awaiting `stage-commit`, C got its commit): returns the genuine
/// commit A sent to B and B's state before the round.
fn at_stage_2() -> (Net, Value, Snapshot) {
    let mut net = Net::new(3, Dialect::V1_0_25);
    net.create_all("L", 1);
    let before = net.snapshot(B);
    let cmds = net.start(A, 10, commit_flow(10));
    let commit = net.run_until(A, cmds, B, "stage-commit");
    (net, commit, before)
}

/// 3 nodes, B at stage 3 (awaiting the final post-commit, which A sent after committing):
/// returns B's genuine post-commit input, the final message and B's state before the round.
fn at_stage_3() -> (Net, Value, Snapshot) {
    let (mut net, commit, before) = at_stage_2();
    let a = net.did(A);
    let cmds = net.receive(&a, B, commit);
    let fin = net.run_until(B, cmds, B, "stage-post-commit");
    (net, fin, before)
}

/// A round that completed earlier (thread hex 1..), for replayed signatures: its stage-commit
/// and final post-commit as B received them.
fn previous_round(net: &mut Net, n: u64) -> (Value, Value) {
    let cmds = net.start(A, n, commit_flow(n));
    let log = net.run_recording(A, cmds);
    assert!(net.last_result(B).is_ok());
    (
        recorded(&log, B, "stage-commit"),
        log.iter()
            .rev()
            .find(|(f, t, m)| {
                *f == A
                    && *t == B
                    && tmtm_consensus::dialect::consensus_name(m) == Some("stage-post-commit")
            })
            .map(|(_, _, m)| m.clone())
            .unwrap(),
    )
}

/// Feed B a (modified) stage-2/3 message from A; the round fails with `request_not_accepted`
/// "Stage-{stage}: error for actor A: \"{inner}\"", reported to A, B back to `before`.
fn assert_stage_error(net: &mut Net, msg: Value, before: &Snapshot, stage: u8, inner: &str) {
    let a = net.did(A);
    let cmds = net.receive(&a, B, msg);
    let want = pr(
        REQUEST_NOT_ACCEPTED,
        format!("Stage-{stage}: error for actor {a}: \"{inner}\""),
    );
    assert_eq!(failure(&cmds), want);
    assert_eq!(report_of(&sent(&cmds, "problem_report")), want);
    assert_eq!(sent_to(&cmds, "problem_report"), vec![a]);
    net.assert_unchanged(B, before);
}

#[test]
fn commit_with_other_participant_set() {
    let (mut net, mut commit, before) = at_stage_2();
    commit["participants"] = json!([net.did(A).as_str(), net.did(B).as_str()]);
    assert_stage_error(&mut net, commit, &before, 2, "Non-consistent participants");
}

#[test]
fn commit_with_missing_pre_commit() {
    let (mut net, mut commit, before) = at_stage_2();
    let c = net.did(C);
    commit["pre_commits"]
        .as_object_mut()
        .unwrap()
        .remove(c.as_str());
    assert_stage_error(
        &mut net,
        commit,
        &before,
        2,
        "pre_commits do not match the participants",
    );
}

/// A valid signature over the right hash, but by C's key, attributed to A (§9.13).
#[test]
fn commit_with_forged_pre_commit() {
    let (mut net, mut commit, before) = at_stage_2();
    let a = net.did(A);
    let hash = commit["pre_commits"][a.as_str()]["sig_data"].clone();
    assert!(hash.is_string());
    let my_hash = net.nodes[B].ledgers.state("L").unwrap();
    let h = tmtm_consensus::state_hash(&my_hash).unwrap();
    let forged = sign(&net.nodes[C].keys, &json!(h), net.now);
    commit["pre_commits"][a.as_str()] = forged;
    assert_stage_error(
        &mut net,
        commit,
        &before,
        2,
        &format!("Error verifying pre_commit for participant: {a}"),
    );
}

/// A's genuine pre-commit signature of an earlier round (over another state hash).
#[test]
fn commit_with_replayed_pre_commit_from_another_round() {
    let mut net = Net::new(3, Dialect::V1_0_25);
    net.create_all("L", 1);
    let (old_commit, _) = previous_round(&mut net, 2);
    let before = net.snapshot(B);
    let cmds = net.start(A, 10, commit_flow(10));
    let mut commit = net.run_until(A, cmds, B, "stage-commit");
    let a = net.did(A);
    commit["pre_commits"][a.as_str()] = old_commit["pre_commits"][a.as_str()].clone();
    assert_stage_error(
        &mut net,
        commit,
        &before,
        2,
        &format!("Ledger state for participant {a} is not consistent"),
    );
}

#[test]
fn unexpected_message_type_at_stage_2() {
    let (mut net, mut commit, before) = at_stage_2();
    commit["@type"] = json!(tmtm_consensus::dialect::msg_type("stage-post-commit"));
    assert_stage_error(
        &mut net,
        commit,
        &before,
        2,
        "Unexpected message @type: stage-post-commit",
    );
}

/// Inside a round only the actor is heard: the same valid commit from C is ignored.
#[test]
fn commit_from_non_actor_is_ignored() {
    let (mut net, commit, _) = at_stage_2();
    let staged = net.snapshot(B);
    let c = net.did(C);
    assert_silent(&net.receive(&c, B, commit.clone()));
    let x = net.strangers[0].did();
    assert_silent(&net.receive(&x, B, commit.clone()));
    assert_eq!(net.snapshot(B), staged);
    assert_eq!(net.nodes[B].engine.active_rounds().len(), 1);
    let a = net.did(A);
    let cmds = net.receive(&a, B, commit);
    sent(&cmds, "stage-post-commit");
}

#[test]
fn final_with_forged_commit_signature() {
    let (mut net, mut fin, before) = at_stage_3();
    let x = net.strangers[0].clone();
    let sig0 = fin["commits"][0].clone();
    let payload = tmtm_consensus::sig::verify_bound(
        &sig0,
        &tmtm_wire::keys::Verkey::from_base58(sig0["signer"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    fin["commits"][0] = sign(&x, &payload, net.now);
    assert_stage_error(
        &mut net,
        fin,
        &before,
        3,
        &format!(
            "commit signed by a non-participant key {}",
            x.verkey().to_base58()
        ),
    );
}

/// A's valid commit signature of an earlier round.
#[test]
fn final_with_replayed_commit_signature_from_another_round() {
    let mut net = Net::new(3, Dialect::V1_0_25);
    net.create_all("L", 1);
    let (_, old_final) = previous_round(&mut net, 2);
    let before = net.snapshot(B);
    let cmds = net.start(A, 10, commit_flow(10));
    let commit = net.run_until(A, cmds, B, "stage-commit");
    let a = net.did(A);
    let cmds = net.receive(&a, B, commit);
    let mut fin = net.run_until(B, cmds, B, "stage-post-commit");
    fin["commits"][0] = old_final["commits"][0].clone();
    assert_stage_error(
        &mut net,
        fin,
        &before,
        3,
        &format!("commit signature of {a} is over another message"),
    );
}

#[test]
fn final_without_my_signature() {
    let (mut net, mut fin, before) = at_stage_3();
    let b = net.did(B);
    let bvk = net.nodes[B].keys.verkey().to_base58();
    let kept: Vec<Value> = fin["commits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["signer"] != json!(bvk))
        .cloned()
        .collect();
    fin["commits"] = json!(kept);
    assert_stage_error(
        &mut net,
        fin,
        &before,
        3,
        &format!("commit signature of {b} is missing"),
    );
}

#[test]
fn final_with_empty_commits() {
    let (mut net, mut fin, before) = at_stage_3();
    fin["commits"] = json!([]);
    assert_stage_error(&mut net, fin, &before, 3, "commits are empty");
}

/// A problem report from the actor ends the round with its code and text, silently.
#[test]
fn problem_report_from_actor_at_stage_2_and_3() {
    for stage in [2, 3] {
        let (mut net, msg, before) = if stage == 2 {
            at_stage_2()
        } else {
            at_stage_3()
        };
        let a = net.did(A);
        let cmds = net.receive(&a, B, problem(&thid(&msg), "some_code", "it broke"));
        assert_eq!(failure(&cmds), pr("some_code", "it broke"));
        assert!(sends(&cmds).is_empty(), "no answer to a problem report");
        net.assert_unchanged(B, &before);
    }
}

#[test]
fn ttl_expiry_at_stage_1_and_3() {
    for stage in [2, 3] {
        let (mut net, _, before) = if stage == 2 {
            at_stage_2()
        } else {
            at_stage_3()
        };
        let a = net.did(A);
        let deadline = net.nodes[B]
            .engine
            .deadline_of(&net.nodes[B].engine.active_rounds()[0])
            .unwrap();
        assert_silent(
            &net.timer_at(B, deadline - 1)
                .into_iter()
                .filter(|c| !matches!(c, tmtm_consensus::Command::Send { .. }))
                .collect::<Vec<_>>(),
        );
        let cmds = net.timer_at(B, deadline);
        let explain = if stage == 2 {
            format!("Stage-1: Commit awaiting terminated by timeout for leader: {a}")
        } else {
            format!("Stage-3: Post-Commit awaiting terminated by timeout for leader: {a}")
        };
        let want = pr(REQUEST_PROCESSING_ERROR, explain);
        assert_eq!(failure(&cmds), want);
        assert_eq!(report_of(&sent(&cmds, "problem_report")), want);
        net.assert_unchanged(B, &before);
    }
}
