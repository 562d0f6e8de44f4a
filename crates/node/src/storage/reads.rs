//! Reads for the API (the local mirror): ledgers newest first and a ledger's transactions in
//! seqNo order, both paged by offset/limit with the total count, and single rows by id,
//! name or seqNo. Only committed data exists in these tables.

use serde_json::Value;
use tmtm_microledger::{Hash, Transaction};

use super::error::{check_text, to_i64, to_u64};
use super::row::Cols;
use super::{Database, StorageError};

/// One page of a list, and how many items the whole list has.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    /// Number of items in the whole list.
    pub total: u64,
    /// The items of this page.
    pub items: Vec<T>,
}

/// A ledger as the API shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct LedgerRecord {
    /// Local id (the API's `{id}`); not shared with other nodes.
    pub id: i64,
    /// Ledger name (the container).
    pub name: String,
    /// Number of committed transactions.
    pub size: u64,
    /// Root of the committed tree.
    pub root_hash: Hash,
    /// The API metadata (`{actor, local_timestamp_utc, participants}`), once set.
    pub metadata: Option<Value>,
    /// When this node created the ledger (Unix ms).
    pub created_at_ms: i64,
    /// When it last committed to it (Unix ms).
    pub updated_at_ms: i64,
}

/// A committed transaction of a ledger.
#[derive(Clone, Debug, PartialEq)]
pub struct TransactionRecord {
    /// The ledger's local id.
    pub ledger_id: i64,
    /// 1-based position in the ledger.
    pub seq_no: u64,
    /// The transaction, `txnMetadata` included.
    pub txn: Transaction,
    /// When this node committed it (Unix ms).
    pub committed_at_ms: i64,
}

const LEDGER_COLUMNS: &str =
    "SELECT id, name, size, root_hash, metadata, created_at_ms, updated_at_ms FROM ledgers";
const TXN_COLUMNS: &str = "SELECT ledger_id, seq_no, txn, committed_at_ms FROM ledger_transactions";

impl Database {
    /// Ledgers, newest first (ties: higher id first).
    pub async fn list_ledgers(
        &self,
        offset: u64,
        limit: u64,
    ) -> Result<Page<LedgerRecord>, StorageError> {
        let (offset, limit) = (to_i64("offset", offset)?, to_i64("limit", limit)?);
        let sql =
            format!("{LEDGER_COLUMNS} ORDER BY created_at_ms DESC, id DESC LIMIT $1 OFFSET $2");
        on_pool!(self, |pool| {
            let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ledgers")
                .fetch_one(pool)
                .await?;
            let rows = sqlx::query(&sql)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
            Ok(Page {
                total: to_u64("count", total)?,
                items: rows.iter().map(decode_ledger).collect::<Result<_, _>>()?,
            })
        })
    }

    /// The ledger with this local id.
    pub async fn ledger_by_id(&self, id: i64) -> Result<Option<LedgerRecord>, StorageError> {
        let sql = format!("{LEDGER_COLUMNS} WHERE id = $1");
        on_pool!(self, |pool| {
            let row = sqlx::query(&sql).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(decode_ledger).transpose()
        })
    }

    /// The ledger with this name.
    pub async fn ledger_by_name(&self, name: &str) -> Result<Option<LedgerRecord>, StorageError> {
        check_text("ledger name", name)?;
        let sql = format!("{LEDGER_COLUMNS} WHERE name = $1");
        on_pool!(self, |pool| {
            let row = sqlx::query(&sql).bind(name).fetch_optional(pool).await?;
            row.as_ref().map(decode_ledger).transpose()
        })
    }

    /// A ledger's committed transactions in seqNo order.
    pub async fn list_transactions(
        &self,
        ledger_id: i64,
        offset: u64,
        limit: u64,
    ) -> Result<Page<TransactionRecord>, StorageError> {
        let (offset, limit) = (to_i64("offset", offset)?, to_i64("limit", limit)?);
        let sql = format!("{TXN_COLUMNS} WHERE ledger_id = $1 ORDER BY seq_no LIMIT $2 OFFSET $3");
        on_pool!(self, |pool| {
            let total: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM ledger_transactions WHERE ledger_id = $1")
                    .bind(ledger_id)
                    .fetch_one(pool)
                    .await?;
            let rows = sqlx::query(&sql)
                .bind(ledger_id)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
            Ok(Page {
                total: to_u64("count", total)?,
                items: rows.iter().map(decode_txn).collect::<Result<_, _>>()?,
            })
        })
    }

    /// One committed transaction of a ledger.
    pub async fn transaction(
        &self,
        ledger_id: i64,
        seq_no: u64,
    ) -> Result<Option<TransactionRecord>, StorageError> {
        let Ok(seq) = i64::try_from(seq_no) else {
            return Ok(None);
        };
        let sql = format!("{TXN_COLUMNS} WHERE ledger_id = $1 AND seq_no = $2");
        on_pool!(self, |pool| {
            let row = sqlx::query(&sql)
                .bind(ledger_id)
                .bind(seq)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(decode_txn).transpose()
        })
    }
}

pub(crate) fn decode_hash(bytes: Vec<u8>) -> Result<Hash, StorageError> {
    let len = bytes.len();
    let array: [u8; 32] = bytes
        .try_into()
        .map_err(|_| StorageError::Corrupt(format!("a stored hash has {len} bytes")))?;
    Ok(Hash::from_bytes(array))
}

pub(crate) fn decode_transaction(text: &str) -> Result<Transaction, StorageError> {
    serde_json::from_str(text)
        .map_err(|e| StorageError::Corrupt(format!("stored transaction: {e}")))
}

fn decode_ledger(row: &impl Cols) -> Result<LedgerRecord, StorageError> {
    let metadata = match row.opt_text("metadata")? {
        Some(text) => Some(
            serde_json::from_str(&text)
                .map_err(|e| StorageError::Corrupt(format!("ledger metadata: {e}")))?,
        ),
        None => None,
    };
    Ok(LedgerRecord {
        id: row.int("id")?,
        name: row.text("name")?,
        size: to_u64("ledger size", row.int("size")?)?,
        root_hash: decode_hash(row.bytes("root_hash")?)?,
        metadata,
        created_at_ms: row.int("created_at_ms")?,
        updated_at_ms: row.int("updated_at_ms")?,
    })
}

fn decode_txn(row: &impl Cols) -> Result<TransactionRecord, StorageError> {
    Ok(TransactionRecord {
        ledger_id: row.int("ledger_id")?,
        seq_no: to_u64("seqNo", row.int("seq_no")?)?,
        txn: decode_transaction(&row.text("txn")?)?,
        committed_at_ms: row.int("committed_at_ms")?,
    })
}
