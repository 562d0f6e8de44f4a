//! Cases about the consensus engine's persisted form: the core checkpoint row and the
//! rows of rounds in progress (with their unchanging parts), finished rounds and thread ids,
//! changed with their unit of work.

use serde_json::json;
use tmtm_node::storage::EngineRowChanges;

use crate::support::Target;

pub async fn engine_rows_upsert_delete_and_roll_back(t: Target) {
    let db = &t.db;
    let finished = vec![("t1".to_string(), "{\"a\":1}".to_string(), 50)];
    let used = vec![("t1".to_string(), u64::MAX), ("t2".to_string(), 70)];
    let live = vec![
        ("r1".to_string(), "{\"stage\":1}".to_string()),
        ("r2".to_string(), "{\"stage\":1}".to_string()),
    ];
    let proposals = vec![
        ("r1".to_string(), "{\"txns\":[1]}".to_string()),
        ("r2".to_string(), "{\"txns\":[2]}".to_string()),
    ];
    let mut tx = db.begin().await.unwrap();
    tx.put_engine_state(&json!({"core": 1}), 1).await.unwrap();
    tx.apply_engine_rows(EngineRowChanges {
        finished_upserts: &finished,
        used_upserts: &used,
        live_upserts: &live,
        proposal_upserts: &proposals,
        ..EngineRowChanges::default()
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let rows = db.engine_rows().await.unwrap();
    assert_eq!(rows.finished, vec![("t1".into(), "{\"a\":1}".into())]);
    assert_eq!(
        rows.used, used,
        "the running marker survives the round trip"
    );
    assert_eq!(rows.live, live);
    assert_eq!(rows.proposals, proposals);

    let closed = vec![("t1".to_string(), 90)];
    let gone = vec!["t2".to_string()];
    let finished_gone = vec!["t1".to_string()];
    let advanced = vec![("r1".to_string(), "{\"stage\":2}".to_string())];
    let ended = vec!["r2".to_string()];
    let changes = EngineRowChanges {
        finished_removed: &finished_gone,
        used_upserts: &closed,
        used_removed: &gone,
        live_upserts: &advanced,
        live_removed: &ended,
        ..EngineRowChanges::default()
    };
    // Dropped without commit: rows and core stay as they were.
    let mut tx = db.begin().await.unwrap();
    tx.put_engine_state(&json!({"core": 2}), 2).await.unwrap();
    tx.apply_engine_rows(changes).await.unwrap();
    drop(tx);
    assert_eq!(db.engine_rows().await.unwrap(), rows, "rolled back");
    assert_eq!(db.engine_state().await.unwrap(), Some(json!({"core": 1})));

    let mut tx = db.begin().await.unwrap();
    tx.apply_engine_rows(changes).await.unwrap();
    tx.commit().await.unwrap();
    let rows = db.engine_rows().await.unwrap();
    assert!(rows.finished.is_empty());
    assert_eq!(rows.used, closed);
    assert_eq!(rows.live, advanced, "r1 replaced, r2 deleted");
    assert_eq!(
        rows.proposals,
        vec![("r1".to_string(), "{\"txns\":[1]}".to_string())],
        "r1's part untouched by its progress, r2's deleted with its round"
    );
}
