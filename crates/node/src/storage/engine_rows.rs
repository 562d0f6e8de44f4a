//! The consensus engine's rounds in progress (`consensus_live_rounds`, with their unchanging
//! parts in `consensus_round_proposals`), finished rounds (`consensus_finished`) and used
//! thread ids (`consensus_threads`): rows changed inside the [`Tx`] of the consensus step that changed
//! them (with the engine core in `engine_state.rs`), and read back when the node starts.
//!
//! Times are Unix milliseconds; a thread id remembered "while its round runs" (`u64::MAX` in
//! the engine) is stored as `i64::MAX`.

use super::error::check_text;
use super::plan::{Arg, Outcome};
use super::row::Cols;
use super::{Database, StorageError, Tx, WritePlan};

/// The row changes of one consensus step.
#[derive(Clone, Copy, Debug, Default)]
pub struct EngineRowChanges<'a> {
    /// (thread id, JSON body, expires at) to insert or replace.
    pub finished_upserts: &'a [(String, String, u64)],
    /// Finished rounds to delete.
    pub finished_removed: &'a [String],
    /// (thread id, remembered until) to insert or replace.
    pub used_upserts: &'a [(String, u64)],
    /// Thread ids to delete.
    pub used_removed: &'a [String],
    /// Rounds in progress to insert or replace: (thread id, JSON body).
    pub live_upserts: &'a [(String, String)],
    /// Rounds in progress to delete (ended), with their unchanging parts.
    pub live_removed: &'a [String],
    /// Unchanging parts of rounds in progress to insert: (thread id, JSON body).
    pub proposal_upserts: &'a [(String, String)],
}

/// The stored rows: finished rounds as (thread id, body), thread ids as (thread id, until),
/// rounds in progress and their unchanging parts as (thread id, body).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EngineRows {
    pub finished: Vec<(String, String)>,
    pub used: Vec<(String, u64)>,
    pub live: Vec<(String, String)>,
    pub proposals: Vec<(String, String)>,
}

fn stored_time(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

fn loaded_time(field: &str, ms: i64) -> Result<u64, StorageError> {
    if ms == i64::MAX {
        return Ok(u64::MAX);
    }
    u64::try_from(ms).map_err(|_| StorageError::Corrupt(format!("{field}: negative time {ms}")))
}

impl Tx {
    /// Applies one step's changes to the rows of rounds in progress, finished rounds and
    /// thread ids.
    pub async fn apply_engine_rows(
        &mut self,
        changes: EngineRowChanges<'_>,
    ) -> Result<(), StorageError> {
        let mut plan = WritePlan::new();
        plan.engine_rows(changes)?;
        self.run(plan).await?;
        Ok(())
    }
}

impl WritePlan {
    /// [`Tx::apply_engine_rows`] as statements.
    pub fn engine_rows(&mut self, changes: EngineRowChanges<'_>) -> Result<(), StorageError> {
        for (thid, body, _) in changes.finished_upserts {
            check_text("finished round", body)?;
            check_text("thread id", thid)?;
        }
        for (thid, _) in changes.used_upserts {
            check_text("thread id", thid)?;
        }
        for (thid, body) in changes.live_upserts {
            check_text("round in progress", body)?;
            check_text("thread id", thid)?;
        }
        for (thid, body) in changes.proposal_upserts {
            check_text("round proposal", body)?;
            check_text("thread id", thid)?;
        }
        let text = |t: &String| Arg::Text(t.clone());
        self.upsert_bodies("consensus_live_rounds", changes.live_upserts);
        self.delete_thids("consensus_live_rounds", changes.live_removed);
        self.upsert_bodies("consensus_round_proposals", changes.proposal_upserts);
        self.delete_thids("consensus_round_proposals", changes.live_removed);
        self.push_rows(
            "INSERT INTO consensus_finished (thid, body, expires_ms)",
            "ON CONFLICT (thid) DO UPDATE SET body = excluded.body, \
             expires_ms = excluded.expires_ms",
            changes
                .finished_upserts
                .iter()
                .map(|(thid, body, expires)| {
                    [text(thid), text(body), Arg::Int(stored_time(*expires))]
                })
                .collect(),
            &Outcome::Exec,
        );
        self.delete_thids("consensus_finished", changes.finished_removed);
        self.push_rows(
            "INSERT INTO consensus_threads (thid, until_ms)",
            "ON CONFLICT (thid) DO UPDATE SET until_ms = excluded.until_ms",
            changes
                .used_upserts
                .iter()
                .map(|(thid, until)| [text(thid), Arg::Int(stored_time(*until))])
                .collect(),
            &Outcome::Exec,
        );
        self.delete_thids("consensus_threads", changes.used_removed);
        Ok(())
    }

    /// Inserts or replaces (thread id, JSON body) rows of `table` (one of the engine row
    /// tables with those two columns; a fixed name, never input).
    fn upsert_bodies(&mut self, table: &'static str, rows: &[(String, String)]) {
        self.push_rows(
            &format!("INSERT INTO {table} (thid, body)"),
            "ON CONFLICT (thid) DO UPDATE SET body = excluded.body",
            rows.iter()
                .map(|(thid, body)| [Arg::Text(thid.clone()), Arg::Text(body.clone())])
                .collect(),
            &Outcome::Exec,
        );
    }

    /// Deletes the rows of `thids` from `table` (one of the engine row tables; a fixed name,
    /// never input) in statements of at most a chunk of ids each.
    fn delete_thids(&mut self, table: &'static str, thids: &[String]) {
        let ids = thids.iter().map(|t| Arg::Text(t.clone())).collect();
        self.push_in_list(&format!("DELETE FROM {table} WHERE thid IN"), ids);
    }
}

impl Database {
    /// Every stored finished round, thread id and round in progress (read once when the node
    /// starts).
    pub async fn engine_rows(&self) -> Result<EngineRows, StorageError> {
        let mut rows = EngineRows::default();
        on_pool!(self, |pool| {
            let found = sqlx::query("SELECT thid, body FROM consensus_finished ORDER BY thid")
                .fetch_all(pool)
                .await?;
            for row in found {
                rows.finished.push((row.text("thid")?, row.text("body")?));
            }
            let found = sqlx::query("SELECT thid, until_ms FROM consensus_threads ORDER BY thid")
                .fetch_all(pool)
                .await?;
            for row in found {
                let until = loaded_time("consensus_threads.until_ms", row.int("until_ms")?)?;
                rows.used.push((row.text("thid")?, until));
            }
            let found = sqlx::query("SELECT thid, body FROM consensus_live_rounds ORDER BY thid")
                .fetch_all(pool)
                .await?;
            for row in found {
                rows.live.push((row.text("thid")?, row.text("body")?));
            }
            let found =
                sqlx::query("SELECT thid, body FROM consensus_round_proposals ORDER BY thid")
                    .fetch_all(pool)
                    .await?;
            for row in found {
                rows.proposals.push((row.text("thid")?, row.text("body")?));
            }
        });
        Ok(rows)
    }
}
