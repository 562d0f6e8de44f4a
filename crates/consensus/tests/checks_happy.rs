//! Happy paths of the three flows, 2 and 3 nodes, both dialects: every node finishes Ok, the
//! final committed states (and transactions) are equal across nodes, and nothing is left locked
//! or uncommitted.

mod support;

use support::{txn, Net};
use tmtm_consensus::dialect::consensus_name;
use tmtm_consensus::{Dialect, LedgerAccess, Role, StartFlow};

const DIALECTS: [Dialect; 2] = [Dialect::V1_0_25, Dialect::V2];

fn assert_same_everywhere(net: &Net, names: &[&str]) {
    let first = net.snapshot(0);
    for i in 0..net.nodes.len() {
        assert_eq!(net.snapshot(i), first, "node {i} differs from node 0");
        net.assert_idle(i);
    }
    for n in names {
        let st = net.nodes[0].ledgers.state(n).unwrap();
        assert_eq!(st.size, st.uncommitted_size);
    }
}

#[test]
fn create_two_and_three_nodes() {
    for d in DIALECTS {
        for n in [2, 3] {
            let mut net = Net::new(n, d);
            net.create_all("L", 1);
            for i in 0..n {
                let (_, role, res) = net.nodes[i].finished.last().unwrap().clone();
                assert_eq!(
                    role,
                    if i == 0 {
                        Role::Actor
                    } else {
                        Role::Participant
                    }
                );
                let out = res.unwrap();
                assert_eq!(out.ledgers, vec!["L".to_string()]);
                assert_eq!(out.states[0].size, 2);
            }
            assert_same_everywhere(&net, &["L"]);
        }
    }
}

#[test]
fn commit_two_and_three_nodes() {
    for d in DIALECTS {
        for n in [2, 3] {
            let mut net = Net::new(n, d);
            net.create_all("L", 1);
            let leader = n - 1; // a non-creator leads
            let cmds = net.start(
                leader,
                2,
                StartFlow::Commit {
                    ledger: "L".into(),
                    transactions: vec![txn(3), txn(4)],
                },
            );
            net.run(leader, cmds);
            for i in 0..n {
                let out = net.last_result(i).unwrap();
                assert_eq!(out.states[0].size, 4, "node {i} dialect {d:?}");
            }
            assert_same_everywhere(&net, &["L"]);
        }
    }
}

#[test]
fn parallel_two_and_three_nodes() {
    for d in DIALECTS {
        for n in [2, 3] {
            let mut net = Net::new(n, d);
            net.create_all("A", 1);
            net.create_all("B", 2);
            let mut seen_proposal = None;
            let cmds = net.start(
                0,
                3,
                StartFlow::Parallel {
                    ledgers: vec!["B".into(), "A".into()],
                    transactions: vec![txn(5)],
                },
            );
            net.pump(0, cmds, &mut |_, _, m| {
                if consensus_name(m) == Some("stage-propose-parallel") {
                    seen_proposal = Some(m.clone());
                }
                true
            });
            let p = seen_proposal.unwrap();
            assert_eq!(
                Dialect::detect(&p),
                d,
                "the proposal is in the network's dialect"
            );
            for i in 0..n {
                let out = net.last_result(i).unwrap();
                assert_eq!(out.ledgers, vec!["A".to_string(), "B".to_string()]);
                assert!(out.states.iter().all(|s| s.size == 3));
            }
            assert_same_everywhere(&net, &["A", "B"]);
        }
    }
}
