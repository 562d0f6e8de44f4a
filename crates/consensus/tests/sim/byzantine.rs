//! Byzantine participants: corrupt an outgoing message (wrong state hash, forged signer, replayed
//! signature, another thread id, wrong participant set).

use serde_json::{json, Value};

use super::world::World;

impl World {
    /// Byzantine corruption of an outgoing message.
    pub(super) fn mutate(&mut self, i: usize, mut msg: Value) -> Value {
        let Some(m) = msg.as_object_mut() else {
            return msg;
        };
        match self.rng.below(5) {
            0 => {
                if m.contains_key("hash") {
                    m.insert(
                        "hash".into(),
                        json!(format!("{:032x}", self.rng.next_u64())),
                    );
                }
            }
            1 => {
                // forged: claim another participant's key as signer
                let other = self.nodes[(i + 1) % self.nodes.len()]
                    .keys
                    .verkey()
                    .to_base58();
                for k in ["hash~sig"] {
                    if let Some(s) = m.get_mut(k).and_then(Value::as_object_mut) {
                        s.insert("signer".into(), json!(other));
                    }
                }
                if let Some(c) = m.get_mut("commits").and_then(Value::as_array_mut) {
                    for s in c.iter_mut().filter_map(Value::as_object_mut) {
                        s.insert("signer".into(), json!(other));
                    }
                }
            }
            2 => {
                // replay a signature saved from an earlier message
                if let Some(s) = m.get("hash~sig").cloned() {
                    if let Some(old) = self.nodes[i].saved_sigs.first().cloned() {
                        m.insert("hash~sig".into(), old);
                    }
                    self.nodes[i].saved_sigs.push(s);
                }
            }
            3 => {
                // message for another thread
                let other = self
                    .rounds
                    .keys()
                    .nth(self.rng.below(self.rounds.len() as u64 + 1) as usize)
                    .cloned();
                if let (Some(t), Some(th)) =
                    (other, m.get_mut("~thread").and_then(Value::as_object_mut))
                {
                    th.insert("thid".into(), json!(t));
                }
            }
            _ => {
                // wrong participant set
                let mut p: Vec<Value> = self.dids().iter().map(|d| json!(d.as_str())).collect();
                p.truncate(1);
                if m.contains_key("participants") {
                    m.insert("participants".into(), json!(p));
                }
            }
        }
        msg
    }
}
