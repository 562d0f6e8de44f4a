//! Criterion benchmarks at 10^6 committed leaves (MemoryStore): one append+commit, one
//! inclusion proof (`audit_proof`), one consistency proof. The ledger is built once, in
//! batches, and its build time is printed.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use tmtm_microledger::{MemoryStore, Microledger, Transaction};

const LEAVES: u64 = 1_000_000;
const BATCH: u64 = 50_000;

fn txn(i: u64) -> Transaction {
    Transaction::from_value(json!({
        "reqId": i,
        "identifier": "5rArie7XKukPCaEwq5XGQJnM9Fc5aZE3M9HAPVfMU2xC",
        "op": "op",
    }))
    .expect("object")
}

fn build() -> Microledger<MemoryStore> {
    let started = Instant::now();
    let (mut ledger, _) =
        Microledger::create("bench", Vec::new(), MemoryStore::new()).expect("create");
    let mut next = 1;
    while next <= LEAVES {
        let end = (next + BATCH - 1).min(LEAVES);
        ledger
            .append((next..=end).map(txn).collect(), None)
            .expect("append");
        ledger.commit(end - next + 1).expect("commit");
        next = end + 1;
    }
    eprintln!(
        "setup: {} leaves committed in {:.2?} (batches of {BATCH})",
        ledger.size(),
        started.elapsed()
    );
    ledger
}

/// A cheap deterministic spread of seqNos over the ledger.
fn spread(i: u64, size: u64) -> u64 {
    i.wrapping_mul(0x9E37_79B9_7F4A_7C15) % size + 1
}

fn benches(c: &mut Criterion) {
    let mut ledger = build();
    let size = ledger.size();
    let mut i = 0u64;
    c.bench_function("audit_proof at 1e6 leaves", |b| {
        b.iter(|| {
            i += 1;
            black_box(ledger.audit_proof(spread(i, size)).expect("proof"))
        })
    });
    c.bench_function("consistency_proof(random old, 1e6)", |b| {
        b.iter(|| {
            i += 1;
            black_box(
                ledger
                    .consistency_proof(spread(i, size), size)
                    .expect("proof"),
            )
        })
    });
    let time = json!("2020-09-04 17:31:18.355738");
    let mut n = size;
    c.bench_function("append+commit 1 txn at 1e6 leaves", |b| {
        b.iter(|| {
            n += 1;
            ledger
                .append(vec![txn(n)], Some(time.clone()))
                .expect("append");
            black_box(ledger.commit(1).expect("commit"))
        })
    });
}

criterion_group!(ledger_benches, benches);
criterion_main!(ledger_benches);
