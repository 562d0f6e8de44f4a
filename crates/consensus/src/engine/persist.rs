//! The engine's persisted form, split so that a step writes only what it changed.
//!
//! * The **core** (our DID, peers, settings, locks) is small and changes on almost every step:
//!   it is serialised whole ([`Engine::core_json`], the `Serialize` of [`Engine`]).
//! * **Rounds in progress** are rows too: a round carries its proposal with every
//!   transaction (hundreds of KB when many requests share a round), and a step touches one or
//!   a few of them, so rewriting all of them at every step made the cost of a step grow with
//!   the number and size of rounds in flight. A round's row is written when a step started,
//!   advanced or ended it.
//! * A commit round's **unchanging part** ([`Apart`]: its transactions, and the actor's
//!   `stage-propose` while it waits for pre-commits) is most of its size and never changes,
//!   so it is handed over once, as a row of its own (`proposal_upserts`), when the round is
//!   first written; the round's row leaves it out. Ending the round removes both rows (the
//!   thread id in `live_removed`). A round row from before this split still holds its part
//!   inline: [`Engine::restore`] keeps it and marks the round changed, so the next step
//!   writes the two rows.
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

use std::collections::HashMap;

use serde_json::Value;

use super::{Apart, Engine, FinishedRound, Round};

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
    /// Rounds in progress to delete (ended), with their unchanging parts.
    pub live_removed: Vec<String>,
    /// Unchanging parts of rounds in progress to insert: (thread id, JSON body). Written once
    /// per round, with its first row.
    pub proposal_upserts: Vec<(String, String)>,
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
            && self.proposal_upserts.is_empty()
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
            let Some(round) = self.rounds.get_mut(&thid) else {
                self.apart_stored.remove(&thid);
                changes.live_removed.push(thid);
                continue;
            };
            let apart = round.take_apart();
            let body = serde_json::to_string(round);
            let apart_body = match &apart {
                Some(a) if !self.apart_stored.contains(&thid) => Some(serde_json::to_string(a)),
                _ => None,
            };
            if let Some(a) = apart {
                round.put_apart(a);
            }
            let body = body?;
            if let Some(apart_body) = apart_body {
                changes.proposal_upserts.push((thid.clone(), apart_body?));
                self.apart_stored.insert(thid.clone());
            }
            changes.live_upserts.push((thid, body));
        }
        Ok(changes)
    }

    /// The engine from a stored core and its rows: finished rounds as (thread id, JSON body),
    /// used thread ids as (thread id, until), rounds in progress as (thread id, JSON body) and
    /// their unchanging parts as (thread id, JSON body). A legacy core holding records inline
    /// is accepted; its records are marked changed so that the next [`Self::take_changes`]
    /// writes them as rows (stored rows win over inline records of the same thread id). So is
    /// a round stored whole, before its unchanging part had a row of its own.
    pub fn restore(
        core: Value,
        finished: impl IntoIterator<Item = (String, String)>,
        used: impl IntoIterator<Item = (String, u64)>,
        live: impl IntoIterator<Item = (String, String)>,
        proposals: impl IntoIterator<Item = (String, String)>,
    ) -> serde_json::Result<Engine> {
        let mut engine: Engine = serde_json::from_value(core)?;
        engine.finished_dirty = engine.finished.keys().cloned().collect();
        engine.rounds_dirty = engine.rounds.keys().cloned().collect();
        engine.used_thids.mark_all_dirty();
        engine.used_thids.reindex();
        let mut proposals: HashMap<String, String> = proposals.into_iter().collect();
        for (thid, body) in live {
            let mut r: Round = serde_json::from_str(&body)?;
            engine.rounds_dirty.remove(&thid);
            match proposals.remove(&thid) {
                Some(apart) => {
                    let apart: Apart = serde_json::from_str(&apart)?;
                    r.put_apart(apart);
                    engine.apart_stored.insert(thid.clone());
                }
                // Stored whole (or a creation round, which has no such part): written again
                // at the next step, split if it is a commit round.
                None if r.has_apart() => {
                    engine.rounds_dirty.insert(thid.clone());
                }
                None => {}
            }
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
        let mut back =
            Engine::restore(legacy, Vec::new(), Vec::new(), Vec::new(), Vec::new()).unwrap();
        assert!(back.remembers_thread("t2"));
        assert_eq!(back.finished_sent.get("m1").map(String::as_str), Some("t1"));
        let changes = back.take_changes().unwrap();
        assert_eq!(changes.finished_upserts.len(), 1);
        assert_eq!(changes.used_upserts.len(), 2);
        assert!(!back.core_json().unwrap().contains("used_thids"));
    }

    /// An actor engine with one peer that has started a commit round of two transactions
    /// (the round waits for its participant's pre-commit); its thread id.
    fn engine_leading_a_commit() -> (Engine, String) {
        let keys = KeyPair::from_seed(&[7; 32]);
        let peer = KeyPair::from_seed(&[8; 32]);
        let peers = BTreeMap::from([(peer.did(), peer.verkey())]);
        let mut e = Engine::new(keys.did(), peers, Config::default());
        let mut ledgers = crate::ledger::MemoryLedgers::new();
        let txn = |n: u64| {
            tmtm_microledger::Transaction::from_value(json!({"op": "doc", "n": n, "text": "x"}))
                .unwrap()
        };
        crate::ledger::LedgerAccess::create(&mut ledgers, "cargo-1", vec![txn(0)]).unwrap();
        let start = crate::engine::StartRequest {
            thread_hex: "0123456789abcdef0123456789abcdef".into(),
            flow: crate::engine::StartFlow::Commit {
                ledger: "cargo-1".into(),
                transactions: vec![txn(1), txn(2)],
            },
            participants: vec![peer.did()],
            ttl_sec: Some(60),
            txn_time: "2026-11-28 18:00:00.000000".into(),
        };
        e.handle(
            crate::engine::Event::Start(start),
            1_000,
            &keys,
            &mut ledgers,
        );
        let thid = e.rounds.keys().next().cloned().expect("a round runs");
        (e, thid)
    }

    fn whole(e: &Engine, thid: &str) -> String {
        serde_json::to_string(&e.rounds[thid]).unwrap()
    }

    #[test]
    fn a_rounds_unchanging_part_is_handed_over_once_and_put_back_at_restore() {
        let (mut e, thid) = engine_leading_a_commit();
        let before = whole(&e, &thid);
        let first = e.take_changes().unwrap();
        assert_eq!(first.proposal_upserts.len(), 1);
        let (apart_thid, apart) = &first.proposal_upserts[0];
        assert_eq!(apart_thid, &thid);
        assert!(apart.contains("\"n\":2") && apart.contains("stage-propose"));
        let (_, body) = &first.live_upserts[0];
        assert!(
            !body.contains("\"n\":2") && !body.contains("stage-propose"),
            "the round's row leaves out its transactions and proposal: {body}"
        );
        assert_eq!(
            whole(&e, &thid),
            before,
            "the round in memory is whole again"
        );

        // A later step rewrites the round's row only.
        e.rounds_dirty.insert(thid.clone());
        let second = e.take_changes().unwrap();
        assert!(second.proposal_upserts.is_empty());
        assert_eq!(second.live_upserts.len(), 1);

        let back = Engine::restore(
            serde_json::from_str(&e.core_json().unwrap()).unwrap(),
            Vec::new(),
            Vec::new(),
            second.live_upserts.clone(),
            first.proposal_upserts.clone(),
        )
        .unwrap();
        assert_eq!(whole(&back, &thid), before);
        let mut back = back;
        assert!(back.take_changes().unwrap().is_empty(), "nothing rewritten");

        // Ending the round removes both rows (one thread id in `live_removed`).
        back.rounds.remove(&thid);
        back.rounds_dirty.insert(thid.clone());
        let ended = back.take_changes().unwrap();
        assert_eq!(ended.live_removed, vec![thid.clone()]);
        assert!(!back.apart_stored.contains(&thid));
    }

    #[test]
    fn a_round_stored_whole_is_split_by_the_next_step() {
        let (e, thid) = engine_leading_a_commit();
        let before = whole(&e, &thid);
        let mut back = Engine::restore(
            serde_json::from_str(&e.core_json().unwrap()).unwrap(),
            Vec::new(),
            Vec::new(),
            vec![(thid.clone(), before.clone())],
            Vec::new(),
        )
        .unwrap();
        assert_eq!(whole(&back, &thid), before, "the inline part is kept");
        let changes = back.take_changes().unwrap();
        assert_eq!(changes.proposal_upserts.len(), 1, "its part gets a row");
        assert!(!changes.live_upserts[0].1.contains("stage-propose"));
    }

    #[test]
    fn a_broken_unchanging_part_is_an_error_not_a_round_without_transactions() {
        let (mut e, thid) = engine_leading_a_commit();
        let changes = e.take_changes().unwrap();
        let err = Engine::restore(
            serde_json::from_str(&e.core_json().unwrap()).unwrap(),
            Vec::new(),
            Vec::new(),
            changes.live_upserts,
            vec![(thid, "{\"txns\": 5}".into())],
        );
        assert!(err.is_err());
    }
}
