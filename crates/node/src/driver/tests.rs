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
