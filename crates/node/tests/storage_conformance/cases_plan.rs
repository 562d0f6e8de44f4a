//! Cases about [`WritePlan`]s run by [`Database::write`] and [`Database::submit`]: on an
//! SQLite file they run on the writer thread (one connection of its own), on PostgreSQL
//! statement by statement. Both must commit all of a plan or nothing of it, report the same
//! errors, and be seen by every other connection.

use serde_json::json;
use tmtm_microledger::Microledger;
use tmtm_node::ports::OutboxStore;
use tmtm_node::storage::{EngineRowChanges, LoadedLedger, SeenRecord, StorageError, WritePlan};

use crate::support::{outgoing, txns, Target};

/// Adds a statement that makes the plan fail.
type Failing<'a> = Box<dyn Fn(&mut WritePlan) + Send + Sync + 'a>;

fn seen(id: &str) -> SeenRecord {
    SeenRecord {
        sender_verkey: "vk".into(),
        message_id: id.into(),
        seen_at_ms: 1,
    }
}

pub async fn plans_commit_whole_or_not_at_all(t: Target) {
    let db = &t.db;
    // A creation with everything a consensus step writes, durable.
    let (ledger, _) = Microledger::create("p1", txns("g", 2), LoadedLedger::default()).unwrap();
    let create = ledger.store().take_applied().remove(0);
    let mut plan = WritePlan::new();
    plan.seen(&[seen("m1"), seen("m2")]).unwrap();
    plan.ledger_batch(&create, 5).unwrap();
    plan.ledger_metadata("p1", &json!({"actor": "a", "z": 1, "b": 2}))
        .unwrap();
    plan.engine_core(r#"{"core":1}"#, 5).unwrap();
    let used = [("thread-1".to_owned(), 99)];
    plan.engine_rows(EngineRowChanges {
        used_upserts: &used,
        ..EngineRowChanges::default()
    })
    .unwrap();
    plan.outbox(&[outgoing("a"), outgoing("b"), outgoing("c")])
        .unwrap();
    assert!(!plan.is_empty());
    let out = db.write(plan, true).await.unwrap();
    assert_eq!(out.ids.len(), 3);
    assert!(out.ids.windows(2).all(|w| w[0] < w[1]), "{:?}", out.ids);

    let stored = db.ledger_by_name("p1").await.unwrap().unwrap();
    assert_eq!((stored.size, stored.root_hash), (2, ledger.root_hash()));
    assert_eq!(
        serde_json::to_string(&stored.metadata.unwrap()).unwrap(),
        r#"{"actor":"a","z":1,"b":2}"#,
        "metadata keeps its key order"
    );
    assert_eq!(db.depth().await.unwrap(), 3);
    assert!(db.stored_seen("vk", "m2").await.unwrap());
    assert_eq!(db.engine_state().await.unwrap(), Some(json!({"core": 1})));
    assert_eq!(
        db.engine_rows().await.unwrap().used,
        vec![("thread-1".to_owned(), 99)]
    );
    // Seen by a connection opened afterwards, too.
    let other = t.reconnect().await;
    assert_eq!(other.ledger_by_name("p1").await.unwrap().unwrap().size, 2);
    other.close().await;

    // A relaxed plan: a commit of two more transactions.
    let head = db.load_ledger_head("p1").await.unwrap().unwrap();
    let mut open = Microledger::open("p1", head).unwrap();
    open.append(txns("x", 2), None).unwrap();
    let commit = open.prepare_commit(2).unwrap();
    assert!(!commit.nodes.is_empty(), "a size-4 tree stores inner nodes");
    let mut plan = WritePlan::new();
    plan.ledger_batch(&commit, 6).unwrap();
    db.write(plan, false).await.unwrap();
    open.commit(2).unwrap();
    assert_eq!(db.ledger_by_name("p1").await.unwrap().unwrap().size, 4);

    // Each failing plan writes some rows first, then fails: none of them stays.
    let stale = commit.clone(); // expected size 2, stored 4
    let mut duplicate_nodes = commit.clone(); // right size, but subtree keys stored already
    duplicate_nodes.expected_size = Some(4);
    duplicate_nodes.meta.size = 6;
    duplicate_nodes.transactions = vec![
        (5, commit.transactions[0].1.clone()),
        (6, commit.transactions[1].1.clone()),
    ];
    let (again, _) = Microledger::create("p1", txns("g", 1), LoadedLedger::default()).unwrap();
    let exists = again.store().take_applied().remove(0);
    let cases: Vec<(&str, Failing<'_>)> = vec![
        (
            "stale batch",
            Box::new(|p: &mut WritePlan| {
                p.ledger_batch(&stale, 7).unwrap();
            }),
        ),
        (
            "duplicate subtree keys",
            Box::new(|p: &mut WritePlan| {
                p.ledger_batch(&duplicate_nodes, 7).unwrap();
            }),
        ),
        (
            "ledger exists",
            Box::new(|p: &mut WritePlan| {
                p.ledger_batch(&exists, 7).unwrap();
            }),
        ),
        (
            "metadata of a missing ledger",
            Box::new(|p: &mut WritePlan| {
                p.ledger_metadata("missing", &json!({})).unwrap();
            }),
        ),
    ];
    for (what, failing) in cases {
        let mut plan = WritePlan::new();
        plan.seen(&[seen(what)]).unwrap();
        plan.outbox(&[outgoing(what)]).unwrap();
        plan.engine_core(r#"{"core":2}"#, 7).unwrap();
        failing(&mut plan);
        let err = db.write(plan, true).await.unwrap_err();
        let expected = if what.starts_with("metadata") {
            matches!(err, StorageError::NotFound(_))
        } else {
            matches!(err, StorageError::Conflict(_))
        };
        assert!(expected, "{what}: {err:?}");
        assert_eq!(db.depth().await.unwrap(), 3, "{what}");
        assert!(!db.stored_seen("vk", what).await.unwrap(), "{what}");
        assert_eq!(
            db.engine_state().await.unwrap(),
            Some(json!({"core": 1})),
            "{what}"
        );
        let stored = db.ledger_by_name("p1").await.unwrap().unwrap();
        assert_eq!(
            (stored.size, stored.root_hash),
            (4, open.root_hash()),
            "{what}"
        );
    }

    // Input the backends cannot both hold is refused before anything runs.
    let mut plan = WritePlan::new();
    assert!(matches!(
        plan.engine_core("a\0b", 1),
        Err(StorageError::Invalid(_))
    ));
    // A deletion reports what it deleted, and the writer still works after the failures.
    let mut plan = WritePlan::new();
    plan.delete_ledger("p1").unwrap();
    plan.delete_ledger("never-there").unwrap();
    db.write(plan, true).await.unwrap();
    assert!(db.ledger_by_name("p1").await.unwrap().is_none());
}

pub async fn writes_after_close_fail_cleanly(t: Target) {
    let other = t.reconnect().await;
    other.close().await;
    let mut plan = WritePlan::new();
    plan.engine_core("{}", 1).unwrap();
    assert!(other.write(plan, true).await.is_err());
    // The original handle is unaffected.
    let mut plan = WritePlan::new();
    plan.engine_core("{}", 1).unwrap();
    t.db.write(plan, true).await.unwrap();
}

/// [`Database::submit`] (the driver's background writes): plans submitted one after another
/// without waiting run in that order — the second needs the ledger the first creates — a
/// failing one reports its error through its outcome and leaves nothing, and a closed
/// database answers with an error, not a hang.
pub async fn submitted_plans_run_in_order_and_report_their_outcome(t: Target) {
    let db = &t.db;
    let (ledger, _) = Microledger::create("s1", txns("g", 1), LoadedLedger::default()).unwrap();
    let create = ledger.store().take_applied().remove(0);
    let mut first = WritePlan::new();
    first.ledger_batch(&create, 5).unwrap();
    let mut second = WritePlan::new();
    second
        .ledger_metadata("s1", &json!({"actor": "a"}))
        .unwrap();
    second.outbox(&[outgoing("after")]).unwrap();
    let first = db.submit(first, true).await;
    let second = db.submit(second, false).await;
    assert_eq!(second.await.unwrap().ids.len(), 1);
    first.await.unwrap();
    let stored = db.ledger_by_name("s1").await.unwrap().unwrap();
    assert_eq!(stored.metadata, Some(json!({"actor": "a"})));

    let mut failing = WritePlan::new();
    failing.seen(&[seen("submitted")]).unwrap();
    failing.ledger_metadata("missing", &json!({})).unwrap();
    let outcome = db.submit(failing, true).await.await;
    assert!(outcome.is_err(), "{outcome:?}");
    assert!(!db.stored_seen("vk", "submitted").await.unwrap());

    let other = t.reconnect().await;
    other.close().await;
    let mut plan = WritePlan::new();
    plan.engine_core("{}", 1).unwrap();
    assert!(other.submit(plan, true).await.await.is_err());
}
