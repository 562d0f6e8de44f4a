//! Reads only the web dashboard needs: every ledger's first and last transaction in one
//! query (the container list computes status, stations and dates from them, see
//! `web::summary`), one ledger's ends, and the list of API tokens with their owners (the
//! admin page). Plain SQL shared by SQLite and PostgreSQL; no new tables or indexes (the
//! primary key `(ledger_id, seq_no)` serves both joins).

use sqlx::Row;
use tmtm_microledger::Transaction;

use super::error::to_u64;
use super::reads::decode_transaction;
use super::row::Cols;
use super::{Database, StorageError};

/// A ledger with its first and last committed transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct LedgerEnds {
    pub id: i64,
    pub name: String,
    /// Number of committed transactions (the last one's seqNo).
    pub size: u64,
    pub created_at_ms: i64,
    pub first: Option<Transaction>,
    pub last: Option<Transaction>,
}

/// A stored API token with its owner's name (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenListing {
    pub id: i64,
    pub username: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
}

const ENDS: &str = "SELECT l.id AS id, l.name AS name, l.size AS size, \
    l.created_at_ms AS created_at_ms, f.txn AS first_txn, t.txn AS last_txn \
    FROM ledgers l \
    LEFT JOIN ledger_transactions f ON f.ledger_id = l.id AND f.seq_no = 1 \
    LEFT JOIN ledger_transactions t ON t.ledger_id = l.id AND t.seq_no = l.size";

impl Database {
    /// Every ledger with its ends, newest first (as [`Database::list_ledgers`]).
    pub async fn all_ledger_ends(&self) -> Result<Vec<LedgerEnds>, StorageError> {
        let sql = format!("{ENDS} ORDER BY l.created_at_ms DESC, l.id DESC");
        on_pool!(self, |pool| {
            let rows = sqlx::query(&sql).fetch_all(pool).await?;
            rows.iter().map(decode_ends).collect()
        })
    }

    /// `(id, size)` of every ledger, newest first: cheap, to find which cached ends changed.
    pub async fn ledger_sizes(&self) -> Result<Vec<(i64, u64)>, StorageError> {
        on_pool!(self, |pool| {
            let rows =
                sqlx::query("SELECT id, size FROM ledgers ORDER BY created_at_ms DESC, id DESC")
                    .fetch_all(pool)
                    .await?;
            rows.iter()
                .map(|r| Ok((r.int("id")?, to_u64("ledger size", r.int("size")?)?)))
                .collect()
        })
    }

    /// One ledger with its ends.
    pub async fn ledger_ends(&self, id: i64) -> Result<Option<LedgerEnds>, StorageError> {
        let sql = format!("{ENDS} WHERE l.id = $1");
        on_pool!(self, |pool| {
            let row = sqlx::query(&sql).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(decode_ends).transpose()
        })
    }

    /// Every API token, newest first, with its owner.
    pub async fn list_tokens(&self) -> Result<Vec<TokenListing>, StorageError> {
        on_pool!(self, |pool| {
            let rows = sqlx::query(
                "SELECT t.id AS id, u.username AS username, t.created_at_ms AS created_at_ms, \
                 t.expires_at_ms AS expires_at_ms, t.revoked_at_ms AS revoked_at_ms \
                 FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id DESC",
            )
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(TokenListing {
                        id: r.int("id")?,
                        username: r.text("username")?,
                        created_at_ms: r.int("created_at_ms")?,
                        expires_at_ms: r.int("expires_at_ms")?,
                        revoked_at_ms: r.try_get::<Option<i64>, _>("revoked_at_ms")?,
                    })
                })
                .collect()
        })
    }
}

fn decode_ends(row: &impl Cols) -> Result<LedgerEnds, StorageError> {
    let txn = |col: &str| -> Result<Option<Transaction>, StorageError> {
        row.opt_text(col)?
            .map(|t| decode_transaction(&t))
            .transpose()
    };
    Ok(LedgerEnds {
        id: row.int("id")?,
        name: row.text("name")?,
        size: to_u64("ledger size", row.int("size")?)?,
        created_at_ms: row.int("created_at_ms")?,
        first: txn("first_txn")?,
        last: txn("last_txn")?,
    })
}
