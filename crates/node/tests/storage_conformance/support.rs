//! Backends for the suite: a fresh SQLite file per case, and a fresh PostgreSQL schema per
//! case (random name, `search_path` on every pooled connection, dropped afterwards) when
//! `TMTM_TEST_DATABASE_URL` is set. Plus small builders the cases share.

use std::future::Future;
use std::io::Write;
use std::sync::Once;

use rand_core::{OsRng, RngCore};
use serde_json::{json, Value};
use tmtm_microledger::{Microledger, Transaction};
use tmtm_node::ports::NewOutgoing;
use tmtm_node::secret::DatabaseUrl;
use tmtm_node::storage::{BackendKind, Database, LoadedLedger, StorageOptions};

const PG_VARIABLE: &str = "TMTM_TEST_DATABASE_URL";

/// One empty database of one backend, and how to open it again.
#[derive(Clone, Debug)]
pub struct Target {
    pub label: &'static str,
    pub db: Database,
    url: DatabaseUrl,
    options: StorageOptions,
}

impl Target {
    /// A second, independent connection pool to the same database (runs migrations again).
    pub async fn reconnect(&self) -> Database {
        Database::connect_with(&self.url, &self.options)
            .await
            .unwrap_or_else(|e| panic!("[{}] reconnect: {e}", self.label))
    }
}

/// Runs `case` on SQLite, then on PostgreSQL if requested; a panic names the backend.
pub async fn on_each_backend<F, Fut>(name: &str, case: F)
where
    F: Fn(Target) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::new(format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("tmtm.db").display()
    ));
    let options = StorageOptions::default();
    let db = Database::connect_with(&url, &options).await.unwrap();
    assert_eq!(db.kind(), BackendKind::Sqlite);
    let target = Target {
        label: "sqlite",
        db: db.clone(),
        url,
        options,
    };
    let outcome = tokio::spawn(case(target)).await;
    db.close().await;
    report(name, "sqlite", outcome);

    let Some(base) = std::env::var(PG_VARIABLE).ok().filter(|v| !v.is_empty()) else {
        static NOTE: Once = Once::new();
        NOTE.call_once(|| {
            // Written past the test harness's capture, so it is always seen.
            let _ = writeln!(
                std::io::stderr(),
                "storage conformance: PostgreSQL run not requested ({PG_VARIABLE} is not set); \
                 only SQLite was tested"
            );
        });
        return;
    };
    let schema = format!("tmtm_test_{:016x}", OsRng.next_u64());
    let url = DatabaseUrl::new(base.clone());
    let options = StorageOptions {
        pg_schema: Some(schema.clone()),
        max_connections: 4,
        ..StorageOptions::default()
    };
    let db = Database::connect_with(&url, &options)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {}: {e}", url.redacted()));
    assert_eq!(db.kind(), BackendKind::Postgres);
    static RAN: Once = Once::new();
    RAN.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "storage conformance: also running on PostgreSQL at {} (one fresh schema per case)",
            url.redacted()
        );
    });
    let target = Target {
        label: "postgres",
        db: db.clone(),
        url,
        options,
    };
    let outcome = tokio::spawn(case(target)).await;
    db.close().await;
    drop_schema(&base, &schema).await;
    report(name, "postgres", outcome);
}

fn report(name: &str, backend: &str, outcome: Result<(), tokio::task::JoinError>) {
    if let Err(err) = outcome {
        let _ = writeln!(std::io::stderr(), "case {name} failed on {backend}");
        match err.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(err) => panic!("case {name} on {backend}: {err}"),
        }
    }
}

async fn drop_schema(base: &str, schema: &str) {
    let pool = sqlx::PgPool::connect(base).await.unwrap();
    sqlx::query(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

/// A transaction object from JSON.
pub fn txn(value: Value) -> Transaction {
    Transaction::from_value(value).unwrap()
}

/// `n` simple business transactions tagged with `tag`.
pub fn txns(tag: &str, n: usize) -> Vec<Transaction> {
    (0..n)
        .map(|i| txn(json!({"op": "doc", "tag": tag, "no": i})))
        .collect()
}

/// Creates ledger `name` with `genesis` as the node does (in memory, then the recorded
/// batch in one unit of work); returns its id and the in-memory ledger.
pub async fn create_ledger(
    db: &Database,
    name: &str,
    genesis: Vec<Transaction>,
    now_ms: i64,
) -> (i64, Microledger<LoadedLedger>) {
    let (ledger, _) = Microledger::create(name, genesis, LoadedLedger::default()).unwrap();
    let batches = ledger.store().take_applied();
    assert_eq!(batches.len(), 1);
    let mut tx = db.begin().await.unwrap();
    let id = tx.apply_ledger_batch(&batches[0], now_ms).await.unwrap();
    tx.commit().await.unwrap();
    (id, ledger)
}

/// Appends `txns` to ledger `name` (loaded head only) and commits them through the database.
pub async fn commit_to(db: &Database, name: &str, txns: Vec<Transaction>, now_ms: i64) {
    let head = db.load_ledger_head(name).await.unwrap().unwrap();
    let mut ledger = Microledger::open(name, head).unwrap();
    let n = txns.len() as u64;
    ledger.append(txns, None).unwrap();
    let batch = ledger.prepare_commit(n).unwrap();
    let mut tx = db.begin().await.unwrap();
    tx.apply_ledger_batch(&batch, now_ms).await.unwrap();
    tx.commit().await.unwrap();
    ledger.commit(n).unwrap();
}

/// An outgoing message tagged `tag` (recipient `did:<tag>`, body `<tag>`).
pub fn outgoing(tag: &str) -> NewOutgoing {
    NewOutgoing {
        recipient_did: format!("did:{tag}"),
        endpoint: "http://127.0.0.1:9/agent".into(),
        body: tag.as_bytes().to_vec(),
        expires_at_ms: 10_000,
        not_before_ms: 0,
    }
}
