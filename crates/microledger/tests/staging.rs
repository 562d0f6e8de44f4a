//! Staging semantics (§5.5) and the §5.7 examples (`test_commit_discard`, `test_get_operations`,
//! `test_append_operations`), persistence through the store, errors, and the O(log n) claims.

mod common;

use common::*;
use serde_json::{json, Value};
use tmtm_microledger::{
    leaf_hash, verify_consistency, verify_inclusion, Hash, LedgerError, LedgerState, LedgerStore,
    MemoryStore, Microledger, StoreError, Transaction,
};

fn op(n: u64) -> Transaction {
    txn(json!({"reqId": n, "identifier": "I", "op": format!("op{n}")}))
}

fn ops(range: std::ops::RangeInclusive<u64>) -> Vec<Transaction> {
    range.map(op).collect()
}

fn op_of(t: &Transaction) -> &str {
    t.as_map()["op"].as_str().unwrap()
}

#[test]
fn test_commit_discard_example() {
    let (mut l, _) = Microledger::create("cd", ops(1..=1), MemoryStore::new()).unwrap();
    l.append(ops(2..=3), None).unwrap();
    assert_eq!((l.size(), l.uncommitted_size()), (1, 3));
    assert_ne!(l.root_hash(), l.uncommitted_root_hash());
    let c = l.commit(1).unwrap();
    assert_eq!((c.start, c.end), (2, 2));
    assert_eq!(op_of(&c.txns[0]), "op2");
    assert_eq!((l.size(), l.uncommitted_size()), (2, 3));
    assert_ne!(l.root_hash(), l.uncommitted_root_hash());
    l.discard(1).unwrap();
    assert_eq!((l.size(), l.uncommitted_size()), (2, 2));
    assert_eq!(l.root_hash(), l.uncommitted_root_hash());
    let s = l.state();
    assert_eq!(s.root_hash, s.uncommitted_root_hash);
    assert_eq!(s.seq_no, 2);
}

#[test]
fn test_get_operations_example() {
    let (mut l, _) = Microledger::create("get", ops(1..=3), MemoryStore::new()).unwrap();
    l.append(ops(4..=5), None).unwrap();
    assert_eq!(
        op_of(&l.last_committed_transaction().unwrap().unwrap()),
        "op3"
    );
    assert_eq!(op_of(&l.last_transaction().unwrap().unwrap()), "op5");
    let unc: Vec<_> = l.uncommitted_transactions();
    assert_eq!(unc.iter().map(op_of).collect::<Vec<_>>(), ["op4", "op5"]);
    assert_eq!(op_of(&l.get(1).unwrap()), "op1");
    assert_eq!(op_of(&l.get_uncommitted(4).unwrap()), "op4");
    assert_eq!(op_of(&l.get_uncommitted(2).unwrap()), "op2");
    let all = l.committed_transactions().unwrap();
    assert_eq!(
        all.iter().map(op_of).collect::<Vec<_>>(),
        ["op1", "op2", "op3"]
    );
    assert!(matches!(
        l.get(4),
        Err(LedgerError::NoSuchSeqNo {
            seq_no: 4,
            available: 3
        })
    ));
    assert!(matches!(l.get(0), Err(LedgerError::NoSuchSeqNo { .. })));
    assert!(matches!(
        l.get_uncommitted(6),
        Err(LedgerError::NoSuchSeqNo { available: 5, .. })
    ));
    assert!(matches!(
        l.get_uncommitted(0),
        Err(LedgerError::NoSuchSeqNo { .. })
    ));
    assert!(matches!(
        l.get_uncommitted(u64::MAX),
        Err(LedgerError::NoSuchSeqNo { .. })
    ));
}

#[test]
fn test_append_operations_example() {
    let (mut l, genesis) = Microledger::create("app", ops(1..=1), MemoryStore::new()).unwrap();
    assert_eq!(genesis[0].txn_time(), None, "genesis gets no txnTime");
    let time = json!("2020-09-04 17:31:18.355738");
    let a = l.append(ops(2..=3), Some(time.clone())).unwrap();
    assert_eq!((a.start, a.end), (2, 3));
    for (t, seq) in a.txns.iter().zip(2..) {
        assert_eq!(t.txn_time(), Some(&time));
        assert_eq!(t.seq_no(), Some(seq));
        let meta: Vec<_> = t.metadata().unwrap().keys().cloned().collect();
        assert_eq!(meta, ["txnTime", "seqNo"]);
    }
    assert_eq!(l.get_uncommitted(3).unwrap(), a.txns[1]);
    // An empty append: start == end == uncommitted size before.
    let e = l.append(Vec::new(), None).unwrap();
    assert_eq!((e.start, e.end, e.txns.len()), (3, 3, 0));
}

#[test]
fn seq_nos_are_overwritten_after_the_uncommitted_tail() {
    let broken = txn(json!({"op": "x", "txnMetadata": {"seqNo": 77}}));
    let (mut l, g) = Microledger::create(
        "s",
        vec![broken.clone(), broken.clone()],
        MemoryStore::new(),
    )
    .unwrap();
    assert_eq!(
        g.iter().map(|t| t.seq_no().unwrap()).collect::<Vec<_>>(),
        [1, 2]
    );
    l.append(vec![op(3)], None).unwrap();
    let a = l.append(vec![broken], Some(Value::Null)).unwrap();
    assert_eq!(a.txns[0].seq_no(), Some(4));
    assert_eq!(a.txns[0].txn_time(), None, "null time adds no txnTime");
}

#[test]
fn commit_and_discard_bounds() {
    let (mut l, _) = Microledger::create("b", ops(1..=2), MemoryStore::new()).unwrap();
    let before = l.state();
    assert!(matches!(
        l.commit(1),
        Err(LedgerError::CountTooLarge {
            count: 1,
            uncommitted: 0
        })
    ));
    assert!(matches!(
        l.discard(1),
        Err(LedgerError::CountTooLarge { .. })
    ));
    l.append(ops(3..=5), None).unwrap();
    assert!(matches!(
        l.discard(4),
        Err(LedgerError::CountTooLarge {
            count: 4,
            uncommitted: 3
        })
    ));
    assert!(matches!(
        l.commit(u64::MAX),
        Err(LedgerError::CountTooLarge { .. })
    ));
    assert_eq!(l.uncommitted_size(), 5, "failed calls change nothing");
    let c0 = l.commit(0).unwrap();
    assert_eq!((c0.start, c0.end, c0.txns.len()), (3, 2, 0));
    l.discard(0).unwrap();
    assert_eq!(l.uncommitted_size(), 5);
    l.reset_uncommitted().unwrap();
    assert_eq!(l.state(), before);
}

#[test]
fn roots_track_a_naive_tree_through_staging() {
    let (mut l, g) = Microledger::create("n", ops(1..=3), MemoryStore::new()).unwrap();
    let mut leaves: Vec<Hash> = g.iter().map(|t| leaf_hash(t).unwrap()).collect();
    let a = l.append(ops(4..=10), Some(json!(12345))).unwrap();
    let pending: Vec<Hash> = a.txns.iter().map(|t| leaf_hash(t).unwrap()).collect();
    let all: Vec<Hash> = leaves.iter().chain(&pending).copied().collect();
    assert_eq!(l.uncommitted_root_hash(), naive_mth(&all));
    l.commit(4).unwrap();
    leaves.extend_from_slice(&pending[..4]);
    assert_eq!(l.root_hash(), naive_mth(&leaves));
    assert_eq!(l.uncommitted_root_hash(), naive_mth(&all));
    l.discard(2).unwrap();
    assert_eq!(l.uncommitted_root_hash(), naive_mth(&all[..8]));
    assert_eq!(l.get_uncommitted(8).unwrap(), a.txns[4]);
}

#[test]
fn floats_and_bad_shapes_are_rejected_without_change() {
    let (mut l, _) = Microledger::create("f", ops(1..=1), MemoryStore::new()).unwrap();
    let before = l.state();
    let err = l
        .append(vec![op(2), txn(json!({"amount": 2.5}))], None)
        .unwrap_err();
    assert!(matches!(err, LedgerError::Canonical(_)), "{err}");
    assert_eq!(l.state(), before);
    assert!(matches!(
        Microledger::create("g", vec![txn(json!({"x": 0.1}))], MemoryStore::new()),
        Err(LedgerError::Canonical(_))
    ));
    assert!(matches!(
        Transaction::from_value(json!({"txnMetadata": "x"})),
        Err(LedgerError::MetadataNotObject)
    ));
    assert!(matches!(
        Transaction::from_value(json!(null)),
        Err(LedgerError::TransactionNotObject)
    ));
}

#[test]
fn state_wire_shape() {
    let (l, _) = Microledger::create("Ledger-x", ops(1..=2), MemoryStore::new()).unwrap();
    let s = serde_json::to_string(&l.state()).unwrap();
    let expected = format!(
        r#"{{"name":"Ledger-x","seq_no":2,"size":2,"uncommitted_size":2,"root_hash":"{r}","uncommitted_root_hash":"{r}"}}"#,
        r = l.root_hash()
    );
    assert_eq!(s, expected);
    let back: LedgerState = serde_json::from_str(&s).unwrap();
    assert_eq!(back, l.state());
}

#[test]
fn reopen_from_store_keeps_committed_and_drops_uncommitted() {
    let (mut l, _) = Microledger::create("p", ops(1..=5), MemoryStore::new()).unwrap();
    l.append(ops(6..=9), None).unwrap();
    l.commit(2).unwrap();
    let committed = (l.size(), l.root_hash());
    let store = l.into_store();
    let reopened = Microledger::open("p", store.clone()).unwrap();
    assert_eq!((reopened.size(), reopened.root_hash()), committed);
    assert_eq!(reopened.uncommitted_size(), 7);
    assert_eq!(reopened.uncommitted_root_hash(), reopened.root_hash());
    assert_eq!(op_of(&reopened.get(7).unwrap()), "op7");
    assert!(matches!(
        Microledger::open("other", store.clone()),
        Err(LedgerError::NameMismatch { .. })
    ));
    assert!(matches!(
        Microledger::open("p", MemoryStore::new()),
        Err(LedgerError::NotFound(_))
    ));
    assert!(matches!(
        Microledger::create("p", vec![], store),
        Err(LedgerError::AlreadyExists(_))
    ));
}

#[test]
fn prepare_commit_shows_the_batch_and_stale_batches_conflict() {
    let (mut l, _) = Microledger::create("w", ops(1..=3), MemoryStore::new()).unwrap();
    l.append(ops(4..=6), None).unwrap();
    let batch = l.prepare_commit(2).unwrap();
    assert_eq!(batch.expected_size, Some(3));
    assert_eq!(batch.meta.size, 5);
    assert_eq!(
        batch
            .transactions
            .iter()
            .map(|(s, _)| *s)
            .collect::<Vec<_>>(),
        [4, 5]
    );
    // Leaves 3 and 4 (0-based), plus the subtrees they complete: [2,4) and [0,4).
    let keys: Vec<_> = batch
        .nodes
        .iter()
        .map(|(k, _)| (k.level, k.index))
        .collect();
    assert_eq!(keys, [(0, 3), (1, 1), (2, 0), (0, 4)]);
    assert_eq!(l.size(), 3, "prepare_commit writes nothing");
    let committed = l.commit(2).unwrap();
    assert_eq!(batch.meta.root_hash, l.root_hash());
    assert_eq!(
        committed.txns,
        batch
            .transactions
            .iter()
            .map(|(_, t)| t.clone())
            .collect::<Vec<_>>()
    );
    // Re-applying the same, now stale, batch is refused by the store and changes nothing.
    let mut store = l.into_store();
    assert!(matches!(store.apply(&batch), Err(StoreError::Conflict(_))));
    assert_eq!(store.meta().unwrap().unwrap().size, 5);
}

#[test]
fn corrupt_store_is_detected_on_open() {
    let (l, _) = Microledger::create("c", ops(1..=3), MemoryStore::new()).unwrap();
    let (mut other, _) = Microledger::create("c", ops(1..=2), MemoryStore::new()).unwrap();
    other.append(vec![op(99)], None).unwrap();
    let mut batch = other.prepare_commit(1).unwrap();
    batch.meta.root_hash = l.root_hash(); // a root the stored subtrees do not give
    let mut store = other.into_store();
    store.apply(&batch).unwrap();
    assert!(matches!(
        Microledger::open("c", store),
        Err(LedgerError::Store(StoreError::Corrupt(_)))
    ));
}

#[test]
fn proofs_on_a_staged_ledger() {
    let (mut l, _) = Microledger::create("pr", ops(1..=3), MemoryStore::new()).unwrap();
    l.append(ops(4..=11), None).unwrap();
    l.commit(5).unwrap();
    assert_eq!(l.size(), 8);
    for seq in 1..=8 {
        let leaf = leaf_hash(&l.get(seq).unwrap()).unwrap();
        let p = l.audit_proof(seq).unwrap();
        verify_inclusion(&leaf, seq - 1, p.ledger_size, &p.audit_path, &p.root_hash).unwrap();
        let m = l.merkle_info(seq).unwrap();
        verify_inclusion(&leaf, seq - 1, seq, &m.audit_path, &m.root_hash).unwrap();
        assert_eq!(m.root_hash, l.root_hash_at(seq).unwrap());
    }
    // Q7: uncommitted or absent seqNos are an error, not a meaningless path.
    for seq in [0, 9, 11, 12, u64::MAX] {
        assert!(matches!(
            l.audit_proof(seq),
            Err(LedgerError::NoSuchSeqNo { .. })
        ));
        assert!(matches!(
            l.merkle_info(seq),
            Err(LedgerError::NoSuchSeqNo { .. })
        ));
    }
    for old in 0..=8 {
        for new in old..=8 {
            let proof = l.consistency_proof(old, new).unwrap();
            let (ro, rn) = (l.root_hash_at(old).unwrap(), l.root_hash_at(new).unwrap());
            verify_consistency(old, new, &ro, &rn, &proof).unwrap();
        }
    }
    assert!(matches!(
        l.consistency_proof(3, 9),
        Err(LedgerError::InvalidSizes { .. })
    ));
    assert!(matches!(
        l.consistency_proof(5, 4),
        Err(LedgerError::InvalidSizes { .. })
    ));
    assert!(l.root_hash_at(9).is_err());
}

#[test]
fn append_touches_no_store_and_proofs_read_logarithmically() {
    let n = 5000u64;
    let (mut l, _) = Microledger::create("log", Vec::new(), CountingStore::default()).unwrap();
    for chunk in 0..10 {
        l.append(
            (chunk * 500 + 1..=chunk * 500 + 500)
                .map(|i| numbered(i, 1))
                .collect(),
            None,
        )
        .unwrap();
        l.commit(500).unwrap();
    }
    assert_eq!(l.size(), n);
    let reads =
        |l: &Microledger<CountingStore>| l.store().node_reads.get() + l.store().txn_reads.get();
    let r0 = reads(&l);
    l.append(vec![numbered(0, 2)], Some(json!("t"))).unwrap();
    l.commit(1).unwrap();
    assert_eq!(reads(&l), r0, "append + commit read nothing from the store");
    // log2(5001) ≈ 12.3: a path or proof needs at most ~2 lookups per level.
    for seq in [1, 2, 2500, 4096, 4097, 5000, 5001] {
        let r = reads(&l);
        l.audit_proof(seq).unwrap();
        assert!(
            reads(&l) - r <= 2 * 13,
            "audit_proof({seq}) read {}",
            reads(&l) - r
        );
        let r = reads(&l);
        l.merkle_info(seq).unwrap();
        assert!(
            reads(&l) - r <= 3 * 13,
            "merkle_info({seq}) read {}",
            reads(&l) - r
        );
    }
    for (old, new) in [(1, 5001), (777, 5001), (4096, 5000), (2047, 4095)] {
        let r = reads(&l);
        l.consistency_proof(old, new).unwrap();
        assert!(
            reads(&l) - r <= 2 * 13,
            "consistency({old},{new}) read {}",
            reads(&l) - r
        );
    }
    let store = l.into_store();
    let r = store.node_reads.get();
    let l = Microledger::open("log", store).unwrap();
    assert!(
        l.store().node_reads.get() - r <= 13,
        "open reads one node per set bit"
    );
    assert_eq!(l.store().meta().unwrap().unwrap().size, 5001);
}
