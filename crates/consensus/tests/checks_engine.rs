//! Direct tests of the engine's own checks: unknown threads, strangers, reused thread ids (and
//! their bounded retention: a replay after pruning is refused or harmless), and the detection
//! of the 1.0.25 / 2.x dialect from a proposal.

mod support;

use serde_json::{json, Value};
use support::*;
use tmtm_consensus::dialect::consensus_name;
use tmtm_consensus::engine::retention_ms;
use tmtm_consensus::problem::{
    REQUEST_NOT_ACCEPTED, REQUEST_PROCESSING_ERROR, RESPONSE_NOT_ACCEPTED,
};
use tmtm_consensus::{Config, Dialect, Flow, LedgerAccess, StartFlow};

const A: usize = 0;
const B: usize = 1;

fn commit_flow(n: u64) -> StartFlow {
    StartFlow::Commit {
        ledger: "L".into(),
        transactions: vec![txn(100 + n)],
    }
}

/// 2 nodes, L everywhere, one committed commit round; returns its proposal and finish time.
fn committed_round(d: Dialect, flow: StartFlow, name: &str) -> (Net, Value, u64) {
    let mut net = Net::new(2, d);
    net.create_all("L", 1);
    net.create_all("M", 2);
    let cmds = net.start(A, 3, flow);
    let prop = sent(&cmds, name);
    net.run(A, cmds);
    assert!(net.last_result(B).is_ok());
    let done = net.now;
    (net, prop, done)
}

#[test]
fn unknown_thread_is_dropped() {
    let mut net = Net::new(2, Dialect::V1_0_25);
    net.create_all("L", 1);
    let before = net.snapshot(B);
    let a = net.did(A);
    let msg = json!({
        "@type": tmtm_consensus::dialect::msg_type("stage-commit"),
        "@id": "x", "participants": [a.as_str(), net.did(B).as_str()], "pre_commits": {},
        "~thread": {"thid": "simple-consensus-txns-0000000000000000000000000000abcd", "sender_order": 1},
    });
    assert_silent(&net.receive(&a, B, msg));
    let fin = json!({
        "@type": tmtm_consensus::dialect::msg_type("stage-post-commit"),
        "@id": "y", "participants": [], "commits": [],
        "~thread": {"thid": "nope"},
    });
    assert_silent(&net.receive(&a, B, fin));
    net.assert_unchanged(B, &before);
}

#[test]
fn proposal_from_a_stranger_is_dropped() {
    let mut net = Net::new(2, Dialect::V1_0_25);
    net.create_all("L", 1);
    let before = net.snapshot(B);
    let prop = sent(&net.start(A, 5, commit_flow(5)), "stage-propose");
    let x = net.strangers[0].did();
    assert_silent(&net.receive(&x, B, prop));
    net.assert_unchanged(B, &before);
    assert!(!net.nodes[B].engine.remembers_thread(&hex(5)));
}

/// Replaying a finished round's proposal: silent while the round's record lives, then refused
/// as a reused thread id (§9.13) — never committed twice.
#[test]
fn reused_thread_id_is_refused() {
    let (mut net, prop, done) = committed_round(Dialect::V1_0_25, commit_flow(3), "stage-propose");
    let t = thid(&prop);
    let before = net.snapshot(B);
    let a = net.did(A);
    assert_silent(&net.receive(&a, B, prop.clone()));
    net.assert_unchanged(B, &before);
    net.now = done + TTL_MS + 1;
    let cmds = net.receive(&a, B, prop);
    let want = pr(
        REQUEST_NOT_ACCEPTED,
        format!("thread id {t} was already used"),
    );
    assert_eq!(report_of(&sent(&cmds, "problem_report")), want);
    assert_eq!(sent_to(&cmds, "problem_report"), vec![a]);
    net.assert_unchanged(B, &before);
    assert!(net.nodes[B].engine.remembers_thread(&t));
}

/// After the retention (2 × max ttl) the thread id is forgotten; a replay of a committed
/// round is still refused, because its proposed state no longer matches.
#[test]
fn replay_after_pruning_is_refused_by_state() {
    let (mut net, prop, done) = committed_round(Dialect::V1_0_25, commit_flow(3), "stage-propose");
    let t = thid(&prop);
    let keep = retention_ms(net.nodes[B].engine.config().max_ttl_sec);
    assert_eq!(keep, 2 * 600 * 1000);
    net.now = done + keep - TTL_MS;
    net.handle(B, tmtm_consensus::Event::Timer);
    assert!(
        net.nodes[B].engine.remembers_thread(&t),
        "kept within the retention"
    );
    net.now = done + keep + 1;
    net.handle(B, tmtm_consensus::Event::Timer);
    assert!(
        !net.nodes[B].engine.remembers_thread(&t),
        "forgotten after it"
    );
    assert_eq!(net.nodes[B].engine.remembered_threads(), 0);
    let before = net.snapshot(B);
    let a = net.did(A);
    let cmds = net.receive(&a, B, prop);
    let want = pr(
        RESPONSE_NOT_ACCEPTED,
        "Stage-1: Non-consistent ledger state of L",
    );
    assert_eq!(failure(&cmds), want);
    assert_eq!(report_of(&sent(&cmds, "problem_report")), want);
    net.assert_unchanged(B, &before);
}

/// The flat 2.x parallel proposal carries no states: the replay is refused by the hash.
#[test]
fn replay_after_pruning_flat_parallel() {
    let flow = StartFlow::Parallel {
        ledgers: vec!["L".into(), "M".into()],
        transactions: vec![txn(9)],
    };
    let (mut net, prop, done) = committed_round(Dialect::V2, flow, "stage-propose-parallel");
    net.now = done + retention_ms(600) + 1;
    let before = net.snapshot(B);
    let a = net.did(A);
    let cmds = net.receive(&a, B, prop);
    let want = pr(
        RESPONSE_NOT_ACCEPTED,
        "Stage-1: Non-consistent ledger state",
    );
    assert_eq!(failure(&cmds), want);
    net.assert_unchanged(B, &before);
}

#[test]
fn replay_after_pruning_creation() {
    let mut net = Net::new(2, Dialect::V1_0_25);
    let cmds = net.start(
        A,
        3,
        StartFlow::Create {
            name: "L".into(),
            genesis: vec![txn(1)],
        },
    );
    let req = sent(&cmds, "initialize-request");
    net.run(A, cmds);
    net.now += retention_ms(600) + TTL_MS;
    let before = net.snapshot(B);
    let a = net.did(A);
    let cmds = net.receive(&a, B, req);
    let want = pr(
        REQUEST_NOT_ACCEPTED,
        "Stage-1: Ledger with name L already exists",
    );
    assert_eq!(failure(&cmds), want);
    net.assert_unchanged(B, &before);
}

/// A round that failed everywhere, replayed after pruning: B stages again, but the actor has no
/// such round and drops the answer; B times out and discards. Nothing is committed.
#[test]
fn replay_after_pruning_of_a_failed_round_is_harmless() {
    let mut net = Net::new(2, Dialect::V1_0_25);
    net.create_all("L", 1);
    let before = net.snapshot(B);
    let cmds = net.start(A, 3, commit_flow(3));
    let prop = sent(&cmds, "stage-propose");
    // B's pre-commit is lost; A times out and tells B
    net.pump(A, cmds, &mut |f, _, _| f != B);
    let t = thid(&prop);
    let dl = net.nodes[A].engine.deadline_of(&t).unwrap();
    let out = net.timer_at(A, dl);
    net.run(A, out);
    assert!(net.last_result(A).is_err() && net.last_result(B).is_err());
    net.assert_unchanged(B, &before);

    net.now += retention_ms(600) + 1;
    let a = net.did(A);
    let b = net.did(B);
    let cmds = net.receive(&a, B, prop);
    let pre = sent(&cmds, "stage-pre-commit");
    assert_silent(&net.receive(&b, A, pre));
    net.assert_idle(A);
    let dl = net.nodes[B].engine.deadline_of(&t).unwrap();
    let cmds = net.timer_at(B, dl);
    assert_eq!(
        failure(&cmds),
        pr(
            REQUEST_PROCESSING_ERROR,
            format!("Stage-1: Commit awaiting terminated by timeout for leader: {a}")
        )
    );
    net.assert_unchanged(B, &before);
}

/// The actor's proposals carry the markers of its dialect, and the participant detects them.
#[test]
fn dialect_of_proposals() {
    for d in [Dialect::V1_0_25, Dialect::V2] {
        let mut net = Net::new(2, d);
        net.create_all("L", 1);
        net.create_all("M", 2);
        let flows = [
            (Flow::Commit, commit_flow(7), "stage-propose"),
            (
                Flow::Parallel,
                StartFlow::Parallel {
                    ledgers: vec!["L".into(), "M".into()],
                    transactions: vec![txn(8)],
                },
                "stage-propose-parallel",
            ),
        ];
        for (k, (flow, start, name)) in flows.into_iter().enumerate() {
            let cmds = net.start(A, 10 + k as u64, start);
            let prop = sent(&cmds, name);
            assert!(thid(&prop).starts_with(d.thread_prefix(flow)));
            assert_eq!(
                prop.get("ledgers").is_some(),
                d == Dialect::V2 && flow == Flow::Parallel
            );
            net.run(A, cmds);
            assert!(net.last_result(B).is_ok());
        }
    }
    // 2.x markers (§3.5, §6.6.1)
    for marker in [
        json!({"~please_ack": {"message_id": "x"}}),
        json!({"~thread": {"thid": "t", "received_orders": {}}}),
        json!({"ledgers": ["L"]}),
    ] {
        assert_eq!(Dialect::detect(&marker), Dialect::V2);
    }
    assert_eq!(
        Dialect::detect(&json!({"~thread": {"thid": "t", "sender_order": 0}})),
        Dialect::V1_0_25
    );
}

/// The detected dialect decides the final-message rule of the parallel flow: 1.0.25 peers sign
/// no post-commit, so only the actor's signature is required; a 2.x proposal (same content plus
/// `~please_ack`) requires every participant's.
#[test]
fn dialect_detection_decides_final_post_commit_rule() {
    for marked in [false, true] {
        let mut net = Net::with_config(
            2,
            Config {
                dialect: Dialect::V1_0_25,
                tolerate_v1_precommit_echo: false,
                ..Config::default()
            },
        );
        net.create_all("L", 1);
        net.create_all("M", 2);
        let before = net.snapshot(B);
        let cmds = net.start(
            A,
            9,
            StartFlow::Parallel {
                ledgers: vec!["L".into(), "M".into()],
                transactions: vec![txn(8)],
            },
        );
        let mut final_msg = None;
        net.pump(A, cmds, &mut |f, t, m| {
            if marked && consensus_name(m) == Some("stage-propose-parallel") {
                m["~please_ack"] = json!({"message_id": "p"});
            }
            if f == A && t == B && consensus_name(m) == Some("stage-post-commit-parallel") {
                final_msg = Some(m.clone());
                return false;
            }
            true
        });
        let mut fin = final_msg.unwrap();
        let avk = net.nodes[A].keys.verkey().to_base58();
        let only_actor: Vec<Value> = fin["commits"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["signer"] == json!(avk))
            .cloned()
            .collect();
        assert_eq!(only_actor.len(), 1);
        fin["commits"] = json!(only_actor);
        let a = net.did(A);
        let cmds = net.receive(&a, B, fin);
        if marked {
            let b = net.did(B);
            let want = pr(
                REQUEST_NOT_ACCEPTED,
                format!("Stage-3: error for actor {a}: \"commit signature of {b} is missing\""),
            );
            assert_eq!(failure(&cmds), want);
            net.assert_unchanged(B, &before);
        } else {
            assert!(finished(&cmds).unwrap().1.is_ok());
            assert_eq!(net.snapshot(A), net.snapshot(B));
            assert_eq!(net.nodes[B].ledgers.state("M").unwrap().size, 3);
        }
    }
}
