//! The engine's persisted form, split so that a step writes only what it changed.
//!
//! * The **core** (our DID, peers, settings, locks) is small and changes on almost every step:
//!   it is serialised whole ([`Engine::core_json`], the `Serialize` of [`Engine`]).
//! * **Rounds in progress** are rows too: a round carries its proposal with every
//!   transaction (hundreds of KB when many requests share a round), and a step touches one or
//!   a few of them, so rewriting all of them at every step made the cost of a step grow with
//!   the number and size of rounds in flight. A round's row is written when a step started,
//!   advanced or ended it.
//! * **Finished rounds** (kept about one time to live to answer retransmissions, several KB each)
//!   and **used thread ids** (kept 2 × the longest time to live) would make that blob grow with
//!   the load, so they are rows: [`Engine::take_changes`] hands over the rows added, changed or
//!   expired since the last call (including those forgotten by expiry pruning), and
//!   [`Engine::restore`] rebuilds the engine from the core and the stored rows.
//!
//! The node writes the core and the changes in the same transaction as the step's ledger
//! effects, so the stored core and rows are always one consistent engine. A core written
//! before the split still holds `rounds`, `finished` and `used_thids` inline: it is read as
//! is and every such record is marked changed, so the next step moves them into rows.

use serde_json::Value;

use super::{Engine, FinishedRound, Round};

/// The row changes since the last [`Engine::take_changes`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersistChanges {
    /// Finished rounds to insert or replace: (thread id, JSON body, expiry in Unix ms).
    pub finished_upserts: Vec<(String, String, u64)>,
    /// Finished rounds to delete (expired).
    pub finished_removed: Vec<String>,
    /// Used thread ids to insert or replace: (thread id, remembered until in Unix ms;
    /// `u64::MAX` while the round runs).
    pub used_upserts: Vec<(String, u64)>,
    /// Used thread ids to delete (retention passed).
    pub used_removed: Vec<String>,
    /// Rounds in progress to insert or replace: (thread id, JSON body).
    pub live_upserts: Vec<(String, String)>,
    /// Rounds in progress to delete (ended).
    pub live_removed: Vec<String>,
}

impl PersistChanges {
    /// Nothing to write.
    pub fn is_empty(&self) -> bool {
        self.finished_upserts.is_empty()
            && self.finished_removed.is_empty()
            && self.used_upserts.is_empty()
            && self.used_removed.is_empty()
            && self.live_upserts.is_empty()
            && self.live_removed.is_empty()
    }
}

impl Engine {
    /// The core as JSON text (everything but rounds in progress, finished rounds and used
    /// thread ids).
    pub fn core_json(&self) -> serde_json::Result<String> {
        serde_json::to_string(self)
    }

    /// The row changes since the last call (each change is handed over once).
    pub fn take_changes(&mut self) -> serde_json::Result<PersistChanges> {
        let mut changes = PersistChanges::default();
        for thid in std::mem::take(&mut self.finished_dirty) {
            match self.finished.get(&thid) {
                Some(f) => {
                    let body = serde_json::to_string(f)?;
                    changes.finished_upserts.push((thid, body, f.expires_ms));
                }
                None => changes.finished_removed.push(thid),
            }
        }
        let (used_upserts, used_removed) = self.used_thids.take_dirty();
        changes.used_upserts = used_upserts;
        changes.used_removed = used_removed;
        for thid in std::mem::take(&mut self.rounds_dirty) {
            match self.rounds.get(&thid) {
                Some(r) => changes.live_upserts.push((thid, serde_json::to_string(r)?)),
                None => changes.live_removed.push(thid),
            }
        }
        Ok(changes)
    }

    /// The engine from a stored core and its rows: finished rounds as (thread id, JSON body),
    /// used thread ids as (thread id, until), rounds in progress as (thread id, JSON body). A
    /// legacy core holding them inline is accepted; its records are marked changed so that
    /// the next [`Self::take_changes`] writes them as rows (stored rows win over inline
    /// records of the same thread id).
    pub fn restore(
        core: Value,
        finished: impl IntoIterator<Item = (String, String)>,
        used: impl IntoIterator<Item = (String, u64)>,
        live: impl IntoIterator<Item = (String, String)>,
    ) -> serde_json::Result<Engine> {
        let mut engine: Engine = serde_json::from_value(core)?;
        engine.finished_dirty = engine.finished.keys().cloned().collect();
        engine.rounds_dirty = engine.rounds.keys().cloned().collect();
        engine.used_thids.mark_all_dirty();
        engine.used_thids.reindex();
        for (thid, body) in live {
            let r: Round = serde_json::from_str(&body)?;
            engine.rounds_dirty.remove(&thid);
            engine.rounds.insert(thid, r);
        }
        for (thid, body) in finished {
            let f: FinishedRound = serde_json::from_str(&body)?;
            engine.finished.insert(thid, f);
        }
        for (thid, until) in used {
            engine.used_thids.restore(thid, until);
        }
        engine.reindex_finished();
        Ok(engine)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;
    use tmtm_wire::keys::KeyPair;

    use super::*;
    use crate::engine::{Config, Role};

    fn engine_with_records() -> Engine {
        let keys = KeyPair::from_seed(&[7; 32]);
        let mut e = Engine::new(keys.did(), BTreeMap::new(), Config::default());
        e.finished.insert(
            "t1".into(),
            FinishedRound {
                expires_ms: 500,
                role: Role::Actor,
                participants: vec![keys.did()],
                reply: Some(json!({"@type": "x"})),
                sent_ids: vec!["m1".into()],
            },
        );
        e.finished_dirty.insert("t1".into());
        e.reindex_finished();
        e.used_thids.open("t1");
        e.used_thids.close("t2", 100, 1_000);
        e
    }

    #[test]
    fn the_core_leaves_out_rows_and_restore_puts_them_back() {
        let mut e = engine_with_records();
        let core = e.core_json().unwrap();
        assert!(!core.contains("\"finished\"") && !core.contains("used_thids"));
        let changes = e.take_changes().unwrap();
        assert_eq!(changes.finished_upserts.len(), 1);
        assert_eq!(changes.finished_upserts[0].2, 500);
        assert_eq!(
            changes.used_upserts,
            vec![("t1".into(), u64::MAX), ("t2".into(), 1_100)]
        );
        assert!(e.take_changes().unwrap().is_empty());

        let finished = changes
            .finished_upserts
            .iter()
            .map(|(t, b, _)| (t.clone(), b.clone()));
        let mut back = Engine::restore(
            serde_json::from_str(&core).unwrap(),
            finished,
            changes.used_upserts.clone(),
            Vec::new(),
        )
        .unwrap();
        assert!(back.remembers_thread("t1") && back.remembers_thread("t2"));
        assert_eq!(back.finished.len(), 1);
        // The `@id` index of finished rounds we led is rebuilt.
        assert_eq!(back.finished_sent.get("m1").map(String::as_str), Some("t1"));
        assert_eq!(back.finished_sent.len(), 1);
        assert!(
            back.take_changes().unwrap().is_empty(),
            "rows are not rewritten"
        );
    }

    #[test]
    fn expiry_is_reported_as_removal() {
        let mut e = engine_with_records();
        e.take_changes().unwrap();
        let keys = KeyPair::from_seed(&[7; 32]);
        let mut ledgers = crate::ledger::MemoryLedgers::new();
        e.handle(crate::engine::Event::Timer, 2_000, &keys, &mut ledgers);
        let changes = e.take_changes().unwrap();
        assert_eq!(changes.finished_removed, vec!["t1".to_string()]);
        assert!(
            e.finished_sent.is_empty(),
            "expired rounds leave the @id index"
        );
        assert_eq!(changes.used_removed, vec!["t2".to_string()]);
        assert!(changes.used_upserts.is_empty(), "a running thread stays");
    }

    #[test]
    fn a_legacy_checkpoint_with_inline_records_is_migrated_to_rows() {
        let e = engine_with_records();
        // The pre-split form: the whole engine, records inline.
        let mut legacy = serde_json::to_value(&e).unwrap();
        let obj = legacy.as_object_mut().unwrap();
        obj.insert(
            "finished".into(),
            serde_json::to_value(&e.finished).unwrap(),
        );
        obj.insert(
            "used_thids".into(),
            serde_json::to_value(&e.used_thids).unwrap(),
        );
        let mut back = Engine::restore(legacy, Vec::new(), Vec::new(), Vec::new()).unwrap();
        assert!(back.remembers_thread("t2"));
        assert_eq!(back.finished_sent.get("m1").map(String::as_str), Some("t1"));
        let changes = back.take_changes().unwrap();
        assert_eq!(changes.finished_upserts.len(), 1);
        assert_eq!(changes.used_upserts.len(), 2);
        assert!(!back.core_json().unwrap().contains("used_thids"));
    }
}
