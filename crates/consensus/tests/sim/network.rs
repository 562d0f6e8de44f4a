//! The simulated network: drops, duplicates and random delays per packet.

use serde_json::Value;

use super::world::{thid_of, Packet, World};

impl World {
    /// Queue `msg` from `from` to `to`: maybe dropped (the link is then tainted for the round),
    /// maybe duplicated, each copy delayed at random (hence reordered).
    pub(super) fn enqueue(&mut self, from: usize, to: usize, msg: Value) {
        let thid = thid_of(&msg);
        if self.rng.chance(self.faults.drop) {
            self.tainted.insert((thid, to));
            return;
        }
        let copies = if self.rng.chance(self.faults.dup) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let at = self.now + 1 + self.rng.below(self.faults.max_delay);
            self.seq += 1;
            self.queue.push(Packet {
                at,
                seq: self.seq,
                from,
                to,
                msg: msg.clone(),
            });
        }
    }
}
