//! Unit tests of the driver's restore path and request validation (the end-to-end behaviour
//! is tested with real nodes in `tests/multinode_*.rs`).

use std::collections::BTreeMap;

use tmtm_consensus::Engine;
use tmtm_wire::keys::KeyPair;

use super::run::restore;
use super::DriverConfig;
use crate::demo::example_network;
use crate::secret::DatabaseUrl;
use crate::storage::Database;

async fn memory_db() -> Database {
    Database::connect(&DatabaseUrl::new("sqlite::memory:"))
        .await
        .unwrap()
}

fn demo_keys(i: usize) -> KeyPair {
    KeyPair::from_seed(crate::demo::TMTM_DEMO[i].seed)
}

#[tokio::test]
async fn a_fresh_node_gets_every_other_member_as_peer() {
    let db = memory_db().await;
    let net = example_network().unwrap();
    let engine = restore(&db, &demo_keys(0), &net, &DriverConfig::default())
        .await
        .unwrap();
    let value = serde_json::to_value(&engine).unwrap();
    let peers = value["peers"].as_object().unwrap();
    assert_eq!(peers.len(), 4);
    assert!(!peers.contains_key(demo_keys(0).did().as_str()));
    assert!(peers.contains_key(demo_keys(4).did().as_str()));
}

#[tokio::test]
async fn a_checkpoint_is_restored_with_the_current_roster_and_settings() {
    let db = memory_db().await;
    let me = demo_keys(0);
    // A checkpoint written when the network had no other member and another dialect.
    let old_config = tmtm_consensus::Config {
        dialect: tmtm_consensus::Dialect::V2,
        ..tmtm_consensus::Config::default()
    };
    let old = Engine::new(me.did(), BTreeMap::new(), old_config);
    let mut tx = db.begin().await.unwrap();
    tx.put_engine_state(&serde_json::to_value(&old).unwrap(), 1)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let net = example_network().unwrap();
    let engine = restore(&db, &me, &net, &DriverConfig::default())
        .await
        .unwrap();
    assert_eq!(engine.config().dialect, tmtm_consensus::Dialect::V1_0_25);
    let value = serde_json::to_value(&engine).unwrap();
    assert_eq!(value["peers"].as_object().unwrap().len(), 4);

    // Another node's checkpoint is refused.
    let err = restore(&db, &demo_keys(1), &net, &DriverConfig::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("belongs to"), "{err}");
}

#[tokio::test]
async fn an_unreadable_checkpoint_is_reported() {
    let db = memory_db().await;
    let mut tx = db.begin().await.unwrap();
    tx.put_engine_state(&serde_json::json!({"not": "an engine"}), 1)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let net = example_network().unwrap();
    let err = restore(&db, &demo_keys(0), &net, &DriverConfig::default())
        .await
        .unwrap_err();
    assert!(matches!(err, super::DriverError::CorruptState(_)), "{err}");
}

#[tokio::test]
async fn a_checkpoint_from_before_the_row_split_loads_and_moves_to_rows() {
    let db = memory_db().await;
    let me = demo_keys(0);
    let net = example_network().unwrap();
    // The pre-split form: used thread ids and finished rounds inline in the one blob.
    let mut legacy = serde_json::to_value(Engine::new(
        me.did(),
        BTreeMap::new(),
        tmtm_consensus::Config::default(),
    ))
    .unwrap();
    let finished = serde_json::json!({"old-thread": {
        "expires_ms": u64::MAX - 1, "role": "Actor", "participants": [], "reply": null,
        "sent_ids": []
    }});
    legacy["finished"] = finished;
    legacy["used_thids"] = serde_json::json!({"until": {"old-thread": u64::MAX - 1}});
    let mut tx = db.begin().await.unwrap();
    tx.put_engine_state(&legacy, 1).await.unwrap();
    tx.commit().await.unwrap();

    let mut engine = restore(&db, &me, &net, &DriverConfig::default())
        .await
        .unwrap();
    assert!(engine.remembers_thread("old-thread"));
    assert_eq!(engine.finished_rounds(), 1);

    // What the next step writes: the core without the records, the records as rows.
    let core = engine.core_json().unwrap();
    assert!(!core.contains("old-thread"), "{core}");
    let rows = engine.take_changes().unwrap();
    let mut tx = db.begin().await.unwrap();
    tx.put_engine_state_text(&core, 2).await.unwrap();
    tx.apply_engine_rows(crate::storage::EngineRowChanges {
        finished_upserts: &rows.finished_upserts,
        finished_removed: &rows.finished_removed,
        used_upserts: &rows.used_upserts,
        used_removed: &rows.used_removed,
        live_upserts: &rows.live_upserts,
        live_removed: &rows.live_removed,
        proposal_upserts: &rows.proposal_upserts,
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let mut again = restore(&db, &me, &net, &DriverConfig::default())
        .await
        .unwrap();
    assert!(again.remembers_thread("old-thread"));
    assert_eq!(again.finished_rounds(), 1);
    assert!(again.take_changes().unwrap().is_empty());
}
