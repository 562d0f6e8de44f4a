//! The consensus engine checkpoint: one row holding the engine's serialised core (rounds in
//! progress, locks, settings), replaced inside the [`Tx`] of every consensus step (with that
//! step's ledger effects, outbox entries and engine row changes) and read back when the node
//! starts.
//!
//! One row for the core: its rounds and locks are one consistent value, restored with one
//! deserialisation. Finished rounds and used thread ids, which grow with the load, are rows
//! of their own (`engine_rows.rs`), written only when they change.

use serde_json::Value;

use super::row::Cols;
use super::{Database, StorageError, Tx, WritePlan};

impl Tx {
    /// Stores the engine checkpoint (replacing the previous one) as part of this unit.
    pub async fn put_engine_state(
        &mut self,
        state: &Value,
        now_ms: i64,
    ) -> Result<(), StorageError> {
        let text = serde_json::to_string(state)
            .map_err(|e| StorageError::Invalid(format!("engine state: {e}")))?;
        self.put_engine_state_text(&text, now_ms).await
    }

    /// [`Tx::put_engine_state`] with the state already serialised (the driver serialises
    /// the engine straight to text: one pass over a checkpoint that can be large).
    pub async fn put_engine_state_text(
        &mut self,
        text: &str,
        now_ms: i64,
    ) -> Result<(), StorageError> {
        let mut plan = WritePlan::new();
        plan.engine_core(text, now_ms)?;
        self.run(plan).await?;
        Ok(())
    }
}

impl WritePlan {
    /// [`Tx::put_engine_state_text`] as a statement.
    pub fn engine_core(&mut self, text: &str, now_ms: i64) -> Result<(), StorageError> {
        super::error::check_text("engine state", text)?;
        self.push(
            "INSERT INTO engine_state (id, state, updated_at_ms) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET state = excluded.state, \
             updated_at_ms = excluded.updated_at_ms"
                .into(),
            vec![
                super::plan::Arg::Text(text.to_owned()),
                super::plan::Arg::Int(now_ms),
            ],
            super::plan::Outcome::Exec,
        );
        Ok(())
    }
}

impl Database {
    /// The last stored engine checkpoint, if any.
    pub async fn engine_state(&self) -> Result<Option<Value>, StorageError> {
        on_pool!(self, |pool| {
            let row = sqlx::query("SELECT state FROM engine_state WHERE id = 1")
                .fetch_optional(pool)
                .await?;
            match row {
                Some(row) => {
                    let text = row.text("state")?;
                    serde_json::from_str(&text)
                        .map(Some)
                        .map_err(|e| StorageError::Corrupt(format!("engine state: {e}")))
                }
                None => Ok(None),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use tmtm_microledger::{Microledger, Transaction};

    use crate::secret::DatabaseUrl;
    use crate::storage::{Database, LoadedLedger};

    async fn db() -> Database {
        Database::connect(&DatabaseUrl::new("sqlite::memory:"))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn the_checkpoint_is_replaced_and_rolled_back_with_its_unit() {
        let db = db().await;
        assert_eq!(db.engine_state().await.unwrap(), None);
        let mut tx = db.begin().await.unwrap();
        tx.put_engine_state(&json!({"v": 1}), 10).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = db.begin().await.unwrap();
        tx.put_engine_state(&json!({"v": 2}), 20).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(db.engine_state().await.unwrap(), Some(json!({"v": 2})));
        // Dropped without commit: nothing of it stays.
        let mut tx = db.begin().await.unwrap();
        tx.put_engine_state(&json!({"v": 3}), 30).await.unwrap();
        drop(tx);
        assert_eq!(db.engine_state().await.unwrap(), Some(json!({"v": 2})));
    }

    #[tokio::test]
    async fn deleting_a_ledger_removes_its_rows() {
        let db = db().await;
        let genesis = vec![Transaction::from_value(json!({"op": "op1"})).unwrap()];
        let (ledger, _) = Microledger::create("L", genesis, LoadedLedger::default()).unwrap();
        let batch = ledger.store().take_applied().remove(0);
        let mut tx = db.begin().await.unwrap();
        tx.apply_ledger_batch(&batch, 1).await.unwrap();
        tx.commit().await.unwrap();
        assert!(db.load_ledger("L").await.unwrap().is_some());
        let mut tx = db.begin().await.unwrap();
        assert!(tx.delete_ledger("L").await.unwrap());
        assert!(!tx.delete_ledger("L").await.unwrap());
        tx.commit().await.unwrap();
        assert!(db.ledger_by_name("L").await.unwrap().is_none());
        // The same name can be created again (no orphaned transactions or subtree hashes).
        let mut tx = db.begin().await.unwrap();
        tx.apply_ledger_batch(&batch, 2).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            db.ledger_by_name("L").await.unwrap().map(|r| r.size),
            Some(1)
        );
    }
}
