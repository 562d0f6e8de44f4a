//! Cases about units of work: migrations, atomic rollback on conflict, crash (drop) safety,
//! two concurrent writers, round state, and text the backends cannot both hold.

use std::time::Duration;

use serde_json::json;
use tmtm_microledger::Microledger;
use tmtm_node::ports::{InboxDedup, OutboxStore};
use tmtm_node::storage::{LoadedLedger, RoundRecord, RoundRole, SeenRecord, StorageError};

use crate::support::{commit_to, create_ledger, outgoing, txns, Target};

fn seen(verkey: &str, id: &str, at: i64) -> SeenRecord {
    SeenRecord {
        sender_verkey: verkey.to_owned(),
        message_id: id.to_owned(),
        seen_at_ms: at,
    }
}

fn round(thread: &str, deadline_ms: i64) -> RoundRecord {
    RoundRecord {
        thread_id: thread.into(),
        role: RoundRole::Actor,
        ledger_names: vec!["c1".into(), "c2".into()],
        state: json!({"stage": "propose", "n": 1}),
        deadline_ms,
    }
}

pub async fn migrations_are_idempotent(t: Target) {
    create_ledger(&t.db, "m1", txns("g", 2), 1).await;
    let again = t.reconnect().await;
    let third = t.reconnect().await;
    assert_eq!(
        again.ledger_by_name("m1").await.unwrap(),
        t.db.ledger_by_name("m1").await.unwrap()
    );
    commit_to(&third, "m1", txns("x", 1), 2).await;
    assert_eq!(t.db.ledger_by_name("m1").await.unwrap().unwrap().size, 3);
    again.close().await;
    third.close().await;
}

pub async fn conflicting_batch_rolls_back_the_whole_unit(t: Target) {
    let db = &t.db;
    create_ledger(db, "c1", txns("g", 2), 1).await;
    let mut a = Microledger::open("c1", db.load_ledger_head("c1").await.unwrap().unwrap()).unwrap();
    let mut b = Microledger::open("c1", db.load_ledger_head("c1").await.unwrap().unwrap()).unwrap();
    a.append(txns("a", 2), None).unwrap();
    b.append(txns("b", 1), None).unwrap();

    let mut tx = db.begin().await.unwrap();
    tx.apply_ledger_batch(&a.prepare_commit(2).unwrap(), 2)
        .await
        .unwrap();
    tx.put_round(&round("thread-a", 100), 2).await.unwrap();
    tx.enqueue_outbox(&[outgoing("a")]).await.unwrap();
    tx.record_seen(&[seen("vk-a", "id-a", 2)]).await.unwrap();
    tx.commit().await.unwrap();
    a.commit(2).unwrap();

    let mut tx = db.begin().await.unwrap();
    tx.put_round(&round("thread-b", 100), 3).await.unwrap();
    tx.enqueue_outbox(&[outgoing("b1"), outgoing("b2")])
        .await
        .unwrap();
    tx.record_seen(&[seen("vk-b", "id-b", 3)]).await.unwrap();
    let stale = b.prepare_commit(1).unwrap();
    let err = tx.apply_ledger_batch(&stale, 3).await.unwrap_err();
    assert!(matches!(err, StorageError::Conflict(_)), "{err:?}");
    drop(tx);

    assert!(db.round("thread-b").await.unwrap().is_none());
    assert!(db.round("thread-a").await.unwrap().is_some());
    assert_eq!(db.depth().await.unwrap(), 1);
    assert!(
        !db.stored_seen("vk-b", "id-b").await.unwrap(),
        "rolled back"
    );
    assert!(db.stored_seen("vk-a", "id-a").await.unwrap(), "committed");
    let stored = db.ledger_by_name("c1").await.unwrap().unwrap();
    assert_eq!((stored.size, stored.root_hash), (4, a.root_hash()));
    assert_eq!(
        db.list_transactions(stored.id, 0, 100).await.unwrap().total,
        4
    );

    // Creating an existing ledger, a batch with a seqNo gap, a batch for a missing ledger.
    let (again, _) = Microledger::create("c1", txns("g", 1), LoadedLedger::default()).unwrap();
    let create = again.store().take_applied().remove(0);
    let mut gap = a.prepare_commit(0).unwrap();
    gap.transactions = stale.transactions.clone(); // seqNo 3 after size 4
    let mut missing = stale.clone();
    missing.meta.name = "no-such-ledger".into();
    // A stale batch without transactions would roll size and root back if not checked.
    let stale_empty = b.prepare_commit(0).unwrap();
    for batch in [create, gap, missing, stale_empty] {
        let mut tx = db.begin().await.unwrap();
        let err = tx.apply_ledger_batch(&batch, 5).await.unwrap_err();
        assert!(matches!(err, StorageError::Conflict(_)), "{err:?}");
    }
    assert_eq!(db.ledger_by_name("c1").await.unwrap().unwrap().size, 4);
    assert!(db.ledger_by_name("no-such-ledger").await.unwrap().is_none());
}

pub async fn dropped_unit_leaves_nothing(t: Target) {
    let (ledger, _) = Microledger::create("crash", txns("g", 3), LoadedLedger::default()).unwrap();
    let batch = ledger.store().take_applied().remove(0);
    let mut tx = t.db.begin().await.unwrap();
    tx.apply_ledger_batch(&batch, 1).await.unwrap();
    tx.set_ledger_metadata("crash", &json!({"actor": "x"}))
        .await
        .unwrap();
    tx.put_round(&round("thread-crash", 100), 1).await.unwrap();
    tx.enqueue_outbox(&[outgoing("crash")]).await.unwrap();
    tx.record_seen(&[seen("vk", "id", 1)]).await.unwrap();
    drop(tx); // the process "dies" before commit

    let fresh = t.reconnect().await;
    for db in [&t.db, &fresh] {
        assert!(db.ledger_by_name("crash").await.unwrap().is_none());
        assert!(db.load_ledger("crash").await.unwrap().is_none());
        assert!(db.rounds().await.unwrap().is_empty());
        assert_eq!(db.depth().await.unwrap(), 0);
        assert_eq!(db.list_ledgers(0, 10).await.unwrap().total, 0);
    }
    assert!(fresh.first_seen("vk", "id", 2).await.unwrap());
    // The same batch commits cleanly afterwards.
    let mut tx = t.db.begin().await.unwrap();
    tx.apply_ledger_batch(&batch, 3).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        fresh.ledger_by_name("crash").await.unwrap().unwrap().size,
        3
    );
    fresh.close().await;
}

pub async fn two_writers_on_one_ledger_one_wins(t: Target) {
    create_ledger(&t.db, "race", txns("g", 1), 1).await;
    let mut handles = Vec::new();
    for tag in ["w1", "w2"] {
        let head = t.db.load_ledger_head("race").await.unwrap().unwrap();
        let mut ledger = Microledger::open("race", head).unwrap();
        ledger.append(txns(tag, 1), None).unwrap();
        let db = t.db.clone();
        handles.push(tokio::spawn(async move {
            let batch = ledger.prepare_commit(1).unwrap();
            let mut tx = db.begin().await?;
            tx.apply_ledger_batch(&batch, 2).await?;
            tokio::time::sleep(Duration::from_millis(50)).await;
            tx.commit().await?;
            Ok::<_, StorageError>(batch.meta.root_hash)
        }));
    }
    let mut wins = Vec::new();
    for h in handles {
        match h.await.unwrap() {
            Ok(root) => wins.push(root),
            Err(StorageError::Conflict(_)) => {}
            Err(other) => panic!("[{}] unexpected {other:?}", t.label),
        }
    }
    assert_eq!(wins.len(), 1, "exactly one writer wins");
    let stored = t.db.ledger_by_name("race").await.unwrap().unwrap();
    assert_eq!((stored.size, stored.root_hash), (2, wins[0]));
}

pub async fn rounds_put_get_delete(t: Target) {
    let db = &t.db;
    let mut tx = db.begin().await.unwrap();
    tx.put_round(&round("r1", 300), 10).await.unwrap();
    let mut r2 = round("r2", 100);
    r2.role = RoundRole::Participant;
    tx.put_round(&r2, 20).await.unwrap();
    tx.commit().await.unwrap();

    let got = db.round("r1").await.unwrap().unwrap();
    assert_eq!(
        (got.record, got.created_at_ms, got.updated_at_ms),
        (round("r1", 300), 10, 10)
    );

    let mut changed = round("r1", 400);
    changed.state = json!({"stage": "commit", "votes": ["a", "b"]});
    let mut tx = db.begin().await.unwrap();
    tx.put_round(&changed, 50).await.unwrap();
    tx.commit().await.unwrap();
    let got = db.round("r1").await.unwrap().unwrap();
    assert_eq!(
        (got.record, got.created_at_ms, got.updated_at_ms),
        (changed, 10, 50)
    );

    let all: Vec<String> = db
        .rounds()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.record.thread_id)
        .collect();
    assert_eq!(all, ["r2", "r1"], "earliest deadline first");
    assert_eq!(
        db.round("r2").await.unwrap().unwrap().record.role,
        RoundRole::Participant
    );

    let mut tx = db.begin().await.unwrap();
    assert!(tx.delete_round("r1").await.unwrap());
    assert!(!tx.delete_round("r1").await.unwrap());
    tx.commit().await.unwrap();
    assert!(db.round("r1").await.unwrap().is_none());
    assert_eq!(db.rounds().await.unwrap().len(), 1);
}

pub async fn nul_text_is_refused_everywhere(t: Target) {
    let db = &t.db;
    let invalid = |r: Result<_, StorageError>| matches!(r, Err(StorageError::Invalid(_)));
    assert!(invalid(db.ledger_by_name("a\0b").await.map(|_| ())));
    let (ledger, _) = Microledger::create("a\0b", txns("g", 1), LoadedLedger::default()).unwrap();
    let batch = ledger.store().take_applied().remove(0);
    let mut tx = db.begin().await.unwrap();
    assert!(invalid(tx.apply_ledger_batch(&batch, 1).await.map(|_| ())));
    assert!(invalid(tx.record_seen(&[seen("vk\0", "id", 1)]).await));
    // An inbound pair that cannot be stored is refused before it reaches the memory record.
    assert!(db.first_seen("vk\0", "id", 1).await.is_err());
    assert!(db.take_pending_seen().is_empty());
    assert!(invalid(tx.put_round(&round("t\0", 1), 1).await));
    let mut bad = outgoing("x");
    bad.endpoint.push('\0');
    assert!(invalid(tx.enqueue_outbox(&[bad]).await.map(|_| ())));
    drop(tx);
    // NUL in a transaction's content is fine: JSON text escapes it.
    create_ledger(
        db,
        "nul-content",
        vec![crate::support::txn(json!({"t": "a\u{0}b"}))],
        1,
    )
    .await;
    let loaded = Microledger::open(
        "nul-content",
        db.load_ledger("nul-content").await.unwrap().unwrap(),
    )
    .unwrap();
    assert_eq!(loaded.get(1).unwrap().as_map()["t"], json!("a\u{0}b"));
}
