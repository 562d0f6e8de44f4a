//! The storage conformance suite: every case is a function of a [`Target`] (a fresh, empty
//! database) and runs against SQLite (a temporary file, always) and PostgreSQL (a fresh
//! schema in `TMTM_TEST_DATABASE_URL`, when that variable is set). Without the variable the
//! PostgreSQL run is not pretended: one line on stderr says it was not requested.

mod cases_engine;
mod cases_ledger;
mod cases_plan;
mod cases_queue;
mod cases_unit;
mod support;

use support::on_each_backend;

macro_rules! conformance {
    ($($module:ident :: $case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                on_each_backend(stringify!($case), $module::$case).await;
            }
        )*
    };
}

conformance!(
    cases_unit::migrations_are_idempotent,
    cases_unit::conflicting_batch_rolls_back_the_whole_unit,
    cases_unit::dropped_unit_leaves_nothing,
    cases_unit::two_writers_on_one_ledger_one_wins,
    cases_unit::rounds_put_get_delete,
    cases_unit::nul_text_is_refused_everywhere,
    cases_ledger::create_commit_reload_and_proofs,
    cases_ledger::proofs_on_demand_fetch_few_rows,
    cases_ledger::paging_of_ledgers_and_transactions,
    cases_ledger::metacharacters_survive_byte_for_byte,
    cases_queue::outbox_lifecycle,
    cases_queue::inbox_dedup,
    cases_queue::delivered_entries_leave_with_the_next_write,
    cases_engine::engine_rows_upsert_delete_and_roll_back,
    cases_plan::plans_commit_whole_or_not_at_all,
    cases_plan::writes_after_close_fail_cleanly,
    cases_plan::submitted_plans_run_in_order_and_report_their_outcome,
);

#[test]
fn both_migration_folders_have_the_same_migrations() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let names = |dialect: &str| {
        let mut names: Vec<String> = std::fs::read_dir(root.join(dialect))
            .unwrap_or_else(|e| panic!("migrations/{dialect} is missing: {e}"))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty(), "no SQLite migrations");
    assert!(sqlite.iter().all(|n| n.ends_with(".sql")), "{sqlite:?}");
    assert_eq!(sqlite, names("postgres"));
}

#[tokio::test]
async fn connection_errors_never_show_the_password() {
    use tmtm_node::secret::DatabaseUrl;
    use tmtm_node::storage::{Database, StorageOptions};
    let options = StorageOptions {
        acquire_timeout: std::time::Duration::from_secs(1),
        ..StorageOptions::default()
    };
    for url in [
        "postgres://tmtm:s3cretpw@127.0.0.1:1/db",
        "postgres://tmtm:s3cretpw@127.0.0.1:notaport/db",
        "mysql://tmtm:s3cretpw@127.0.0.1/db",
        "sqlite:///nonexistent-dir-for-tmtm/s3cretpw/x.db",
    ] {
        let err = Database::connect_with(&DatabaseUrl::new(url), &options)
            .await
            .unwrap_err();
        let text = format!("{err} {err:?}");
        if url.starts_with("sqlite") {
            continue; // the path is not a secret; only check that it fails
        }
        assert!(!text.contains("s3cretpw"), "{text}");
    }
}

#[tokio::test]
async fn sqlite_file_in_a_data_directory_uses_wal_and_persists() {
    use tmtm_node::storage::{Database, StorageOptions};
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("данные $(x) dir");
    std::fs::create_dir(&data_dir).unwrap();
    let path = data_dir.join("tmtm db.sqlite");
    let db = Database::open_sqlite_file(&path, &StorageOptions::default())
        .await
        .unwrap();
    support::create_ledger(&db, "wal", support::txns("g", 2), 1).await;
    assert!(
        data_dir.join("tmtm db.sqlite-wal").exists(),
        "journal_mode=WAL keeps a -wal file beside the database"
    );
    db.close().await;
    let again = Database::open_sqlite_file(&path, &StorageOptions::default())
        .await
        .unwrap();
    assert_eq!(again.ledger_by_name("wal").await.unwrap().unwrap().size, 2);
    again.close().await;
}
