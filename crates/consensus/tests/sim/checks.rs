//! The invariants the simulation checks on the world: after every step (agreement, durability,
//! termination, via the oracle) and at the end of a run (all-or-none, rollback of failed
//! creations).

use tmtm_consensus::LedgerAccess;

use super::world::World;

impl World {
    /// Invariants after every step.
    pub fn check_step(&mut self) -> Result<(), String> {
        for i in 0..self.nodes.len() {
            if !self.honest(i) {
                continue;
            }
            let node = &self.nodes[i];
            self.oracle
                .check_ledgers(i, &node.ledgers, &node.confirmed)?;
            if node.up {
                for thid in node.engine.active_rounds() {
                    let dl = node.engine.deadline_of(&thid).unwrap_or(0);
                    if self.now > dl {
                        return Err(format!(
                            "termination: node {i} still in round {thid} after its deadline"
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// End-of-run checks: all-or-none per round. Returns the number of tolerated exceptions.
    pub fn check_end(&self) -> Result<usize, String> {
        let mut exceptions = 0;
        for (thid, (actor, is_create, names)) in &self.rounds {
            let actor_ok = self.nodes[*actor]
                .results
                .get(thid)
                .copied()
                .unwrap_or(false);
            for (i, node) in self.nodes.iter().enumerate() {
                if i == *actor || !self.honest(i) {
                    continue;
                }
                let ok = node.results.get(thid).copied().unwrap_or(false);
                if ok && !actor_ok {
                    return Err(format!(
                        "all-or-none: node {i} committed round {thid} the actor did not commit"
                    ));
                }
                if actor_ok && !ok {
                    if self.tainted.contains(&(thid.clone(), i)) {
                        exceptions += 1;
                    } else {
                        return Err(format!("all-or-none: actor committed round {thid} but node {i} did not (no fault on its link)"));
                    }
                }
                if *is_create
                    && !ok
                    && !node.confirmed.contains(&names[0])
                    && node.ledgers.exists(&names[0])
                {
                    return Err(format!(
                        "rollback: node {i} kept ledger {} of failed creation {thid}",
                        names[0]
                    ));
                }
            }
        }
        Ok(exceptions)
    }
}
