//! Criterion bench: writing one consensus step's rows to an SQLite file — a de-dup record,
//! the engine core, a round-in-progress row (~3 KB), a thread id and two outbox rows (~3 KB
//! envelopes) — through sqlx one statement at a time in a `Tx` (each statement a round trip
//! to sqlx's connection thread), and as one `WritePlan` on the writer thread
//! (`storage/sqlite_writer.rs`). Relaxed (`synchronous=NORMAL`) and durable (`FULL`, one fsync).
//!
//! `cargo bench -p tmtm-node --bench step_write -- --warm-up-time 1 --measurement-time 3`

use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{criterion_group, criterion_main, Criterion};
use tmtm_node::ports::NewOutgoing;
use tmtm_node::storage::{Database, EngineRowChanges, SeenRecord, StorageOptions, Tx, WritePlan};

static NEXT: AtomicU64 = AtomicU64::new(1);

/// The rows of one step, unique per call (de-dup record and thread id).
struct StepRows {
    seen: Vec<SeenRecord>,
    core: String,
    live: Vec<(String, String)>,
    used: Vec<(String, u64)>,
    outgoing: Vec<NewOutgoing>,
}

fn step_rows() -> StepRows {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let thid = format!("simple-consensus-{n:032x}");
    StepRows {
        seen: vec![SeenRecord {
            sender_verkey: "8PcErMoPsWDsbMbEUVqejAVpJ7YRVzWAjiGcu8fKL3hy".into(),
            message_id: format!("{n:036x}"),
            seen_at_ms: 1,
        }],
        core: format!("{{\"me\":\"4U2z24VVk4fyTbhP1wgpVs\",\"locks\":{{\"c{n}\":\"{thid}\"}}}}"),
        live: vec![(
            thid.clone(),
            format!("{{\"round\":\"{}\"}}", "x".repeat(3000)),
        )],
        used: vec![(thid, u64::MAX)],
        outgoing: (0..2)
            .map(|i| NewOutgoing {
                recipient_did: format!("did:peer:{i}"),
                endpoint: "http://127.0.0.1:9/agent".into(),
                body: vec![b'e'; 3000],
                expires_at_ms: i64::MAX,
                not_before_ms: 0,
            })
            .collect(),
    }
}

fn changes(rows: &StepRows) -> EngineRowChanges<'_> {
    EngineRowChanges {
        live_upserts: &rows.live,
        used_upserts: &rows.used,
        ..EngineRowChanges::default()
    }
}

async fn by_statements(db: &Database, durable: bool) {
    let rows = step_rows();
    let mut tx = if durable {
        db.begin().await.unwrap()
    } else {
        Tx::begin_relaxed(db).await.unwrap()
    };
    tx.record_seen(&rows.seen).await.unwrap();
    tx.put_engine_state_text(&rows.core, 1).await.unwrap();
    tx.apply_engine_rows(changes(&rows)).await.unwrap();
    tx.enqueue_outbox(&rows.outgoing).await.unwrap();
    tx.commit().await.unwrap();
}

async fn as_plan(db: &Database, durable: bool) {
    let rows = step_rows();
    let mut plan = WritePlan::new();
    plan.seen(&rows.seen).unwrap();
    plan.engine_core(&rows.core, 1).unwrap();
    plan.engine_rows(changes(&rows)).unwrap();
    plan.outbox(&rows.outgoing).unwrap();
    db.write(plan, durable).await.unwrap();
}

fn step_write(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = rt
        .block_on(Database::open_sqlite_file(
            &dir.path().join("bench.sqlite3"),
            &StorageOptions::default(),
        ))
        .unwrap();
    for durable in [false, true] {
        let mode = if durable { "durable" } else { "relaxed" };
        c.bench_function(
            &format!("step write {mode}: sqlx, statement by statement"),
            |b| b.iter(|| rt.block_on(by_statements(&db, durable))),
        );
        c.bench_function(
            &format!("step write {mode}: one plan on the writer thread"),
            |b| b.iter(|| rt.block_on(as_plan(&db, durable))),
        );
    }
    rt.block_on(db.close());
}

criterion_group!(benches, step_write);
criterion_main!(benches);
