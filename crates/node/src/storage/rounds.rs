//! Consensus rounds in progress: the machine's JSON checkpoint per thread id, written inside
//! a [`Tx`] with the rest of a step's effects and read back on restart.

use serde_json::Value;

use super::error::check_text;
use super::row::Cols;
use super::tx::on_tx;
use super::{Database, StorageError, Tx};

/// Which side of a round this node is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoundRole {
    /// This node proposed the round.
    Actor,
    /// This node answers another node's proposal.
    Participant,
}

impl RoundRole {
    fn as_str(self) -> &'static str {
        match self {
            RoundRole::Actor => "actor",
            RoundRole::Participant => "participant",
        }
    }

    fn parse(text: &str) -> Result<Self, StorageError> {
        match text {
            "actor" => Ok(RoundRole::Actor),
            "participant" => Ok(RoundRole::Participant),
            other => Err(StorageError::Corrupt(format!(
                "unknown round role {other:?}"
            ))),
        }
    }
}

/// The state of one round, as the node checkpoints it.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundRecord {
    /// The consensus thread id (`~thread.thid`).
    pub thread_id: String,
    /// Actor or participant.
    pub role: RoundRole,
    /// The ledgers the round touches.
    pub ledger_names: Vec<String>,
    /// The consensus machine's state (opaque here).
    pub state: Value,
    /// When the round times out (Unix ms).
    pub deadline_ms: i64,
}

/// A [`RoundRecord`] as stored, with its timestamps (Unix ms).
#[derive(Clone, Debug, PartialEq)]
pub struct StoredRound {
    /// The record.
    pub record: RoundRecord,
    /// When the round was first stored.
    pub created_at_ms: i64,
    /// When it was last stored.
    pub updated_at_ms: i64,
}

const SELECT: &str = "SELECT thread_id, role, ledger_names, state, deadline_ms, created_at_ms, \
                      updated_at_ms FROM consensus_rounds";

impl Tx {
    /// Inserts or replaces the state of a round (its creation time is kept on replace).
    pub async fn put_round(
        &mut self,
        round: &RoundRecord,
        now_ms: i64,
    ) -> Result<(), StorageError> {
        check_text("thread id", &round.thread_id)?;
        let names = serde_json::to_string(&round.ledger_names)
            .map_err(|e| StorageError::Invalid(format!("ledger names: {e}")))?;
        let state = serde_json::to_string(&round.state)
            .map_err(|e| StorageError::Invalid(format!("round state: {e}")))?;
        on_tx!(self, |conn| {
            sqlx::query(
                "INSERT INTO consensus_rounds (thread_id, role, ledger_names, state, deadline_ms, \
                 created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $6) \
                 ON CONFLICT (thread_id) DO UPDATE SET role = excluded.role, \
                 ledger_names = excluded.ledger_names, state = excluded.state, \
                 deadline_ms = excluded.deadline_ms, updated_at_ms = excluded.updated_at_ms",
            )
            .bind(&round.thread_id)
            .bind(round.role.as_str())
            .bind(&names)
            .bind(&state)
            .bind(round.deadline_ms)
            .bind(now_ms)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Forgets a finished round; `true` if it was stored.
    pub async fn delete_round(&mut self, thread_id: &str) -> Result<bool, StorageError> {
        check_text("thread id", thread_id)?;
        let deleted = on_tx!(self, |conn| {
            sqlx::query("DELETE FROM consensus_rounds WHERE thread_id = $1")
                .bind(thread_id)
                .execute(&mut *conn)
                .await?
                .rows_affected()
        });
        Ok(deleted == 1)
    }
}

impl Database {
    /// The stored state of one round.
    pub async fn round(&self, thread_id: &str) -> Result<Option<StoredRound>, StorageError> {
        check_text("thread id", thread_id)?;
        let sql = format!("{SELECT} WHERE thread_id = $1");
        on_pool!(self, |pool| {
            match sqlx::query(&sql)
                .bind(thread_id)
                .fetch_optional(pool)
                .await?
            {
                Some(row) => Ok(Some(decode(&row)?)),
                None => Ok(None),
            }
        })
    }

    /// Every stored round, earliest deadline first (what a restarted node resumes).
    pub async fn rounds(&self) -> Result<Vec<StoredRound>, StorageError> {
        let sql = format!("{SELECT} ORDER BY deadline_ms, thread_id");
        on_pool!(self, |pool| {
            let rows = sqlx::query(&sql).fetch_all(pool).await?;
            rows.iter().map(decode).collect()
        })
    }
}

fn decode(row: &impl Cols) -> Result<StoredRound, StorageError> {
    let names = row.text("ledger_names")?;
    let state = row.text("state")?;
    Ok(StoredRound {
        record: RoundRecord {
            thread_id: row.text("thread_id")?,
            role: RoundRole::parse(&row.text("role")?)?,
            ledger_names: serde_json::from_str(&names)
                .map_err(|e| StorageError::Corrupt(format!("round ledger names: {e}")))?,
            state: serde_json::from_str(&state)
                .map_err(|e| StorageError::Corrupt(format!("round state: {e}")))?,
            deadline_ms: row.int("deadline_ms")?,
        },
        created_at_ms: row.int("created_at_ms")?,
        updated_at_ms: row.int("updated_at_ms")?,
    })
}
