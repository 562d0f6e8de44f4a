//! Seeded simulation: 2..=7 nodes, message drops, delays, duplicates, reorders, timers, crashes
//! and restarts of any node (the actor included), byzantine participants; the oracle of
//! `sim/oracle.rs` runs after every step. `many_seeds` runs 1,000 seeds (override with
//! `TMTM_SIM_SEEDS=n`); `replay` runs the one seed in `TMTM_SIM_SEED`.

mod sim;

use sim::world::{txn, World, TTL_SEC};
use tmtm_consensus::StartFlow;

/// Run one seed; Err describes the first violated invariant.
fn run(seed: u64) -> Result<(usize, usize), String> {
    let mut w = World::new(seed);
    let n = w.nodes.len();
    let honest: Vec<usize> = (0..n).filter(|i| w.honest(*i)).collect();
    let t0 = w.now;
    let ttl = TTL_SEC * 1000;
    let l1 = format!("Container-{seed}-A");
    let l2 = format!("Container-{seed}-B");
    let pick = |w: &mut World| honest[w.rng.below(honest.len() as u64) as usize];
    let a = pick(&mut w);
    w.starts.push((
        t0,
        a,
        StartFlow::Create {
            name: l1.clone(),
            genesis: vec![txn(1), txn(2)],
        },
    ));
    let a = pick(&mut w);
    w.starts.push((
        t0 + 5,
        a,
        StartFlow::Create {
            name: l2.clone(),
            genesis: vec![txn(1)],
        },
    ));
    let mut at = t0 + ttl + 500;
    for k in 0..3u64 {
        let a = pick(&mut w);
        let flow = match w.rng.below(3) {
            0 => StartFlow::Parallel {
                ledgers: vec![l1.clone(), l2.clone()],
                transactions: vec![txn(10 + k)],
            },
            1 => StartFlow::Commit {
                ledger: l2.clone(),
                transactions: vec![txn(20 + k), txn(30 + k)],
            },
            _ => StartFlow::Commit {
                ledger: l1.clone(),
                transactions: vec![txn(40 + k)],
            },
        };
        w.starts.push((at, a, flow));
        // sometimes overlap rounds (locks), usually sequential
        at += if w.rng.chance(200) {
            300
        } else {
            ttl / 2 + w.rng.below(ttl)
        };
    }
    for _ in 0..w.faults.crash {
        let i = w.rng.below(n as u64) as usize;
        let when = t0 + w.rng.below(at - t0);
        let down = 100 + w.rng.below(ttl * 2);
        w.crashes.push((when, i, down));
    }
    let until = at + 4 * ttl;
    let mut steps = 0usize;
    while w.step(until) {
        steps += 1;
        if steps > 200_000 {
            return Err("livelock: too many steps".into());
        }
        w.check_step()?;
    }
    // bring everybody back and let the rounds end
    for i in 0..n {
        if !w.nodes[i].up {
            w.restart(i);
        }
    }
    let until = w.now + 4 * ttl;
    w.crashes.clear();
    while w.step(until) {
        w.check_step()?;
    }
    for i in 0..n {
        if w.nodes[i].up && !w.nodes[i].engine.active_rounds().is_empty() {
            return Err(format!("termination: node {i} has rounds left at the end"));
        }
    }
    // bounded memory: once the retention has passed, every used thread id is forgotten
    let later = w.now + tmtm_consensus::engine::retention_ms(TTL_SEC) + 1;
    w.now = later;
    for i in 0..n {
        w.deliver(i, tmtm_consensus::Event::Timer);
        let kept = w.nodes[i].engine.remembered_threads();
        if kept != 0 {
            return Err(format!(
                "retention: node {i} still remembers {kept} thread ids"
            ));
        }
    }
    if std::env::var("TMTM_SIM_DEBUG").is_ok() {
        for (t, r) in &w.rounds {
            let res: Vec<String> = w
                .nodes
                .iter()
                .map(|nd| format!("{:?}", nd.results.get(t)))
                .collect();
            eprintln!(
                "{t} actor={} {:?} byz={:?}",
                r.0,
                res,
                w.nodes.iter().map(|n| n.byzantine).collect::<Vec<_>>()
            );
        }
    }
    let exceptions = w.check_end()?;
    let committed = w
        .rounds
        .keys()
        .filter(|t| w.rounds[*t].0 < n && w.nodes[w.rounds[*t].0].results.get(*t) == Some(&true))
        .count();
    Ok((exceptions, committed))
}

fn replay_line(seed: u64) -> String {
    format!(
        "TMTM_SIM_SEED={seed} cargo test -p tmtm-consensus --test simulation replay -- --nocapture"
    )
}

#[test]
fn many_seeds() {
    let count: u64 = std::env::var("TMTM_SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let mut exceptions = 0;
    let mut committed = 0;
    for seed in 0..count {
        match run(seed) {
            Ok((e, c)) => {
                exceptions += e;
                committed += c;
            }
            Err(e) => panic!("seed {seed} failed: {e}\nreplay: {}", replay_line(seed)),
        }
    }
    println!("{count} seeds: {committed} rounds committed by their actor, {exceptions} tolerated all-or-none exceptions");
    assert!(
        committed > count as usize,
        "the simulation must commit rounds, not only fail them"
    );
}

#[test]
fn replay() {
    let Some(seed) = std::env::var("TMTM_SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    else {
        return;
    };
    match run(seed) {
        Ok((e, c)) => println!("seed {seed}: ok, {c} rounds committed, {e} tolerated exceptions"),
        Err(e) => panic!("seed {seed} failed: {e}\nreplay: {}", replay_line(seed)),
    }
}
