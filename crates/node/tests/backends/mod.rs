//! Runs one storage scenario on every backend: a fresh SQLite file always, and PostgreSQL too
//! when `TMTM_TEST_DATABASE_URL` is set (a fresh schema per run, dropped afterwards — also when
//! the scenario fails, whose panic is then re-raised).

use std::future::Future;

use rand_core::{OsRng, RngCore};
use tmtm_node::secret::DatabaseUrl;
use tmtm_node::storage::{Database, StorageOptions};

/// Runs `scenario` on SQLite, then on PostgreSQL when requested. `label` names the schema
/// (`tmtm_<label>_<random>`) and the line printed when PostgreSQL is not requested.
pub async fn on_every_backend<F, Fut>(label: &str, scenario: F)
where
    F: Fn(Database) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open_sqlite_file(&dir.path().join("db"), &StorageOptions::default())
        .await
        .unwrap();
    scenario(db.clone()).await;
    db.close().await;

    let Some(base) = std::env::var("TMTM_TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        eprintln!("{label} storage: PostgreSQL not requested (TMTM_TEST_DATABASE_URL unset)");
        return;
    };
    let schema = format!("tmtm_{label}_{:016x}", OsRng.next_u64());
    let options = StorageOptions {
        pg_schema: Some(schema.clone()),
        ..StorageOptions::default()
    };
    let db = Database::connect_with(&DatabaseUrl::new(base.clone()), &options)
        .await
        .unwrap();
    let outcome = tokio::spawn(scenario(db.clone())).await;
    db.close().await;
    let pool = sqlx::PgPool::connect(&base).await.unwrap();
    sqlx::query(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
