//! Cases for ledgers: create/commit/reload with proofs equal to an in-memory ledger, proofs
//! that fetch only O(log n) rows, API paging, and names/content with metacharacters.

use serde_json::json;
use tmtm_microledger::{LedgerError, MemoryStore, Microledger};
use tmtm_node::storage::{Database, LoadedLedger, StorageError};

use crate::support::{commit_to, create_ledger, txn, txns, Target};

/// Everything a reader can ask of both ledgers must agree.
fn assert_same(db_ledger: &Microledger<LoadedLedger>, mem: &Microledger<MemoryStore>) {
    let n = mem.size();
    assert_eq!(db_ledger.size(), n);
    assert_eq!(db_ledger.root_hash(), mem.root_hash());
    assert_eq!(db_ledger.state(), mem.state());
    for seq in 1..=n {
        assert_eq!(db_ledger.get(seq).unwrap(), mem.get(seq).unwrap());
        assert_eq!(
            db_ledger.audit_proof(seq).unwrap(),
            mem.audit_proof(seq).unwrap()
        );
        assert_eq!(
            db_ledger.merkle_info(seq).unwrap(),
            mem.merkle_info(seq).unwrap()
        );
        assert_eq!(
            db_ledger.root_hash_at(seq).unwrap(),
            mem.root_hash_at(seq).unwrap()
        );
        for old in [1, seq / 2, seq] {
            assert_eq!(
                db_ledger.consistency_proof(old, seq).unwrap(),
                mem.consistency_proof(old, seq).unwrap()
            );
        }
    }
}

async fn reload(db: &Database, name: &str) -> Microledger<LoadedLedger> {
    Microledger::open(name, db.load_ledger(name).await.unwrap().unwrap()).unwrap()
}

pub async fn create_commit_reload_and_proofs(t: Target) {
    let db = &t.db;
    let (_, created) = create_ledger(db, "box-1", txns("g", 3), 1).await;
    let (mut mem, _) = Microledger::create("box-1", txns("g", 3), MemoryStore::new()).unwrap();
    assert_eq!(created.root_hash(), mem.root_hash());
    assert_same(&reload(db, "box-1").await, &mem);

    for (round, count) in [1u64, 2, 5, 1, 8].into_iter().enumerate() {
        let time = json!(format!("2024-05-0{round} 10:00:00"));
        let mut ledger = reload(db, "box-1").await;
        let batch_txns = txns(&format!("r{round}"), count as usize + 1);
        ledger
            .append(batch_txns.clone(), Some(time.clone()))
            .unwrap();
        mem.append(batch_txns, Some(time)).unwrap();
        // Commit all but one: the last stays uncommitted (volatile) and is not stored.
        let batch = ledger.prepare_commit(count).unwrap();
        let mut tx = db.begin().await.unwrap();
        tx.apply_ledger_batch(&batch, 10 + round as i64)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        ledger.commit(count).unwrap();
        assert_eq!(
            ledger.store().take_applied(),
            vec![batch],
            "apply recorded, in memory"
        );
        mem.commit(count).unwrap();
        mem.reset_uncommitted().unwrap();
        let again = reload(db, "box-1").await;
        assert_eq!(
            (again.root_hash(), again.uncommitted_size()),
            (ledger.root_hash(), again.size())
        );
        assert_same(&again, &mem);
    }
    let record = db.ledger_by_name("box-1").await.unwrap().unwrap();
    assert_eq!(
        (record.size, record.root_hash),
        (mem.size(), mem.root_hash())
    );
    assert_eq!((record.created_at_ms, record.updated_at_ms), (1, 14));
}

pub async fn proofs_on_demand_fetch_few_rows(t: Target) {
    let db = &t.db;
    create_ledger(db, "big", txns("g", 1), 1).await;
    let (mut mem, _) = Microledger::create("big", txns("g", 1), MemoryStore::new()).unwrap();
    for chunk in 0..3 {
        let batch = txns(&format!("c{chunk}"), 33);
        commit_to(db, "big", batch.clone(), 2).await;
        mem.append(batch, None).unwrap();
        mem.commit(33).unwrap();
    }
    let head = db.load_ledger_head("big").await.unwrap().unwrap();
    assert_eq!(
        head.rows_held(),
        (3, 0),
        "100 = 64 + 32 + 4: three frontier subtrees"
    );

    let (proof, held) = db
        .read_ledger("big", |l| Ok((l.audit_proof(37)?, l.store().rows_held())))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(proof, mem.audit_proof(37).unwrap());
    assert!(
        held.0 <= 3 + 2 * 7 && held.1 == 0,
        "rows fetched for one proof: {held:?}"
    );

    let got = db.read_ledger("big", |l| l.get(50)).await.unwrap().unwrap();
    assert_eq!(got, mem.get(50).unwrap());
    let consistency = db
        .read_ledger("big", |l| l.consistency_proof(10, 100))
        .await
        .unwrap();
    assert_eq!(
        consistency.unwrap(),
        mem.consistency_proof(10, 100).unwrap()
    );
    let info = db.read_ledger("big", |l| l.merkle_info(77)).await.unwrap();
    assert_eq!(info.unwrap(), mem.merkle_info(77).unwrap());

    let err = db.read_ledger("big", |l| l.get(101)).await.unwrap_err();
    assert!(
        matches!(err, StorageError::Ledger(LedgerError::NoSuchSeqNo { .. })),
        "{err:?}"
    );
    assert!(db
        .read_ledger("nope", |l| l.get(1))
        .await
        .unwrap()
        .is_none());
}

pub async fn paging_of_ledgers_and_transactions(t: Target) {
    let db = &t.db;
    let mut ids = Vec::new();
    for i in 0..5 {
        let (id, _) = create_ledger(db, &format!("L{i}"), txns("g", 1), 1000 + i).await;
        ids.push(id);
    }
    let names = |page: &tmtm_node::storage::Page<tmtm_node::storage::LedgerRecord>| {
        page.items
            .iter()
            .map(|l| l.name.clone())
            .collect::<Vec<_>>()
    };
    let page = db.list_ledgers(0, 2).await.unwrap();
    assert_eq!(
        (page.total, names(&page)),
        (5, vec!["L4".to_string(), "L3".into()])
    );
    assert_eq!(names(&db.list_ledgers(2, 2).await.unwrap()), ["L2", "L1"]);
    assert_eq!(names(&db.list_ledgers(4, 2).await.unwrap()), ["L0"]);
    let past = db.list_ledgers(10, 2).await.unwrap();
    assert_eq!((past.total, past.items.len()), (5, 0));

    commit_to(db, "L4", txns("x", 6), 2000).await;
    let id = ids[4];
    let page = db.list_transactions(id, 2, 3).await.unwrap();
    let seqs: Vec<u64> = page.items.iter().map(|r| r.seq_no).collect();
    assert_eq!((page.total, seqs), (7, vec![3, 4, 5]));
    assert!(page
        .items
        .iter()
        .all(|r| r.txn.seq_no() == Some(r.seq_no) && r.ledger_id == id));
    assert_eq!(
        db.list_transactions(id, 6, 10).await.unwrap().items.len(),
        1
    );
    assert_eq!(db.list_transactions(ids[0], 0, 10).await.unwrap().total, 1);
    let seventh = db.transaction(id, 7).await.unwrap().unwrap();
    assert_eq!((seventh.seq_no, seventh.committed_at_ms), (7, 2000));
    assert!(db.transaction(id, 8).await.unwrap().is_none());
    assert!(db.transaction(id, 0).await.unwrap().is_none());
    assert!(db.transaction(id, u64::MAX).await.unwrap().is_none());

    let by_id = db.ledger_by_id(id).await.unwrap().unwrap();
    assert_eq!(
        Some(&by_id),
        db.ledger_by_name("L4").await.unwrap().as_ref()
    );
    assert_eq!((by_id.size, by_id.metadata.clone()), (7, None));
    assert!(db.ledger_by_id(-1).await.unwrap().is_none());

    let metadata = json!({"actor": {"label": "KTZ", "did": "X"}, "local_timestamp_utc": "t", "participants": ["b", "a"]});
    let mut tx = db.begin().await.unwrap();
    tx.set_ledger_metadata("L4", &metadata).await.unwrap();
    let err = tx
        .set_ledger_metadata("missing", &metadata)
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::NotFound(_)), "{err:?}");
    drop(tx);
    assert_eq!(
        db.ledger_by_id(id).await.unwrap().unwrap().metadata,
        None,
        "dropped unit"
    );
    let mut tx = db.begin().await.unwrap();
    tx.set_ledger_metadata("L4", &metadata).await.unwrap();
    tx.commit().await.unwrap();
    let stored = db
        .ledger_by_id(id)
        .await
        .unwrap()
        .unwrap()
        .metadata
        .unwrap();
    assert_eq!(stored.to_string(), metadata.to_string(), "key order kept");
}

pub async fn metacharacters_survive_byte_for_byte(t: Target) {
    let db = &t.db;
    let name = "Контейнер №7 — 集装箱 🚢 $(rm -rf ~); `id` <script>alert('x')</script> \"q\" & | ; \\ %s %n ' OR 1=1 --";
    let content = txn(json!({
        "<b>ключ</b>": "значение ${HOME} `whoami` </textarea><img src=x onerror=alert(1)>",
        "ctl": "\u{1}\u{7f}\u{2028}\u{fffd}\t\n\r",
        "path": "C:\\Windows\\..\\/etc/passwd",
        "nested": {"z": 1, "a": [true, null, -9007199254740993i64, "😀"]},
    }));
    let (_, created) = create_ledger(db, name, vec![content], 1).await;
    let original = serde_json::to_string(&created.get(1).unwrap()).unwrap();

    let record = db.ledger_by_name(name).await.unwrap().unwrap();
    assert_eq!(record.name.as_bytes(), name.as_bytes());
    assert_eq!(db.list_ledgers(0, 10).await.unwrap().items[0].name, name);
    let row = db.transaction(record.id, 1).await.unwrap().unwrap();
    assert_eq!(serde_json::to_string(&row.txn).unwrap(), original);
    let loaded = reload(db, name).await;
    assert_eq!(
        serde_json::to_string(&loaded.get(1).unwrap()).unwrap(),
        original
    );
    assert_eq!(loaded.root_hash(), created.root_hash());

    let metadata = json!({"actor": {"label": name, "did": "<did>"}});
    let mut tx = db.begin().await.unwrap();
    tx.set_ledger_metadata(name, &metadata).await.unwrap();
    tx.commit().await.unwrap();
    let stored = db
        .ledger_by_id(record.id)
        .await
        .unwrap()
        .unwrap()
        .metadata
        .unwrap();
    assert_eq!(stored.to_string(), metadata.to_string());
}
