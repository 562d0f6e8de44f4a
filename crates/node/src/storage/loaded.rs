//! [`LoadedLedger`]: the synchronous [`LedgerStore`] the microledger crate needs, over rows
//! fetched from the database beforehand, and the three ways to fetch them:
//!
//! * [`Database::load_ledger`] — everything (meta, all subtree hashes, all transactions);
//!   right for container ledgers (tens to hundreds of transactions), O(n) rows.
//! * [`Database::load_ledger_head`] — meta and the O(log n) frontier hashes: enough for
//!   `Microledger::open`, `append`, `prepare_commit` and `commit` on a ledger of any size.
//! * [`Database::read_ledger`] — runs a read (proof, transaction lookup) on the head and
//!   fetches exactly the rows it touched, then runs it again: O(log n) rows for a proof.
//!
//! `apply` never writes to the database: it updates memory so the `Microledger` stays
//! consistent, and keeps a copy of the batch. The node writes the same batch with
//! [`super::Tx::apply_ledger_batch`]: either from `prepare_commit` before committing in
//! memory, or from [`LoadedLedger::take_applied`] after `Microledger::create`/`commit` (then,
//! if the database transaction fails, the in-memory ledger is ahead and must be reloaded).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, PoisonError};

use tmtm_microledger::{
    Hash, LedgerError, LedgerMeta, LedgerStore, Microledger, NodeKey, StoreError, Transaction,
    WriteBatch,
};

use super::error::{check_text, to_i64, to_u64};
use super::reads::{decode_hash, decode_transaction};
use super::row::Cols;
use super::{Database, StorageError};

/// How often [`Database::read_ledger`] may go back to the database for missing rows.
const MAX_READ_PASSES: usize = 8;
/// Keys per query when fetching chosen rows (keeps the statement's parameters bounded).
const FETCH_CHUNK: usize = 100;

/// One ledger's rows held in memory; see the module documentation.
#[derive(Debug, Default)]
pub struct LoadedLedger {
    meta: Option<LedgerMeta>,
    nodes: HashMap<NodeKey, Hash>,
    transactions: HashMap<u64, Transaction>,
    /// Set only inside [`Database::read_ledger`]: absent rows are recorded and answered with
    /// placeholders, and the pass's result is thrown away.
    recording: Option<Mutex<Missing>>,
    /// Batches applied in memory and not yet taken by [`LoadedLedger::take_applied`].
    applied: Mutex<Vec<WriteBatch>>,
}

#[derive(Debug, Default)]
struct Missing {
    nodes: BTreeSet<NodeKey>,
    transactions: BTreeSet<u64>,
}

impl LoadedLedger {
    /// Number of subtree hashes and transactions held (for tests and metrics).
    pub fn rows_held(&self) -> (usize, usize) {
        (self.nodes.len(), self.transactions.len())
    }

    /// The batches `apply` has taken since the last call, oldest first: what the node must
    /// write with [`super::Tx::apply_ledger_batch`] (e.g. the genesis batch after
    /// `Microledger::create(name, genesis, LoadedLedger::default())`).
    pub fn take_applied(&self) -> Vec<WriteBatch> {
        std::mem::take(&mut *self.applied.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

fn record(missing: &Mutex<Missing>, add: impl FnOnce(&mut Missing)) {
    add(&mut missing.lock().unwrap_or_else(PoisonError::into_inner));
}

impl LedgerStore for LoadedLedger {
    fn meta(&self) -> Result<Option<LedgerMeta>, StoreError> {
        Ok(self.meta.clone())
    }

    fn transaction(&self, seq_no: u64) -> Result<Option<Transaction>, StoreError> {
        if let Some(txn) = self.transactions.get(&seq_no) {
            return Ok(Some(txn.clone()));
        }
        match &self.recording {
            Some(missing)
                if self
                    .meta
                    .as_ref()
                    .is_some_and(|m| (1..=m.size).contains(&seq_no)) =>
            {
                record(missing, |m| {
                    m.transactions.insert(seq_no);
                });
                Transaction::from_map(serde_json::Map::new())
                    .map(Some)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            }
            _ => Ok(None),
        }
    }

    fn node(&self, key: NodeKey) -> Result<Option<Hash>, StoreError> {
        if let Some(hash) = self.nodes.get(&key) {
            return Ok(Some(*hash));
        }
        match &self.recording {
            Some(missing) => {
                record(missing, |m| {
                    m.nodes.insert(key);
                });
                Ok(Some(Hash::empty()))
            }
            None => Ok(None),
        }
    }

    fn apply(&mut self, batch: &WriteBatch) -> Result<(), StoreError> {
        let current = self.meta.as_ref().map(|m| m.size);
        if current != batch.expected_size {
            return Err(StoreError::Conflict(format!(
                "expected size {:?}, loaded ledger has {current:?}",
                batch.expected_size
            )));
        }
        if let Some(meta) = &self.meta {
            if meta.name != batch.meta.name {
                return Err(StoreError::Conflict(format!(
                    "batch for ledger {:?}, loaded {:?}",
                    batch.meta.name, meta.name
                )));
            }
        }
        self.transactions
            .extend(batch.transactions.iter().map(|(n, t)| (*n, t.clone())));
        self.nodes.extend(batch.nodes.iter().copied());
        self.meta = Some(batch.meta.clone());
        self.applied
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(batch.clone());
        Ok(())
    }
}

/// The keys of the perfect subtrees that make up a tree of `size` leaves, largest first.
fn frontier_keys(size: u64) -> Vec<NodeKey> {
    let mut keys = Vec::new();
    let mut start = 0u64;
    for level in (0..64u32).rev() {
        if size & (1u64 << level) != 0 {
            keys.push(NodeKey {
                level,
                index: start >> level,
            });
            start += 1u64 << level;
        }
    }
    keys
}

impl Database {
    /// Loads a whole ledger (meta, every subtree hash, every transaction); `None` if absent.
    pub async fn load_ledger(&self, name: &str) -> Result<Option<LoadedLedger>, StorageError> {
        let Some((id, mut loaded)) = self.load_meta(name).await? else {
            return Ok(None);
        };
        on_pool!(self, |pool| {
            let rows =
                sqlx::query("SELECT level, idx, hash FROM merkle_nodes WHERE ledger_id = $1")
                    .bind(id)
                    .fetch_all(pool)
                    .await?;
            for row in &rows {
                let (key, hash) = decode_node(row)?;
                loaded.nodes.insert(key, hash);
            }
            let rows =
                sqlx::query("SELECT seq_no, txn FROM ledger_transactions WHERE ledger_id = $1")
                    .bind(id)
                    .fetch_all(pool)
                    .await?;
            for row in &rows {
                let seq_no = to_u64("seqNo", row.int("seq_no")?)?;
                loaded
                    .transactions
                    .insert(seq_no, decode_transaction(&row.text("txn")?)?);
            }
        });
        Ok(Some(loaded))
    }

    /// Loads a ledger's meta and frontier (O(log n) rows): enough to open, append and commit.
    /// Reads of older transactions or proofs on it fail as "missing"; use
    /// [`Database::read_ledger`] for those.
    pub async fn load_ledger_head(&self, name: &str) -> Result<Option<LoadedLedger>, StorageError> {
        let Some((id, mut loaded)) = self.load_meta(name).await? else {
            return Ok(None);
        };
        let size = loaded.meta.as_ref().map_or(0, |m| m.size);
        self.fetch_nodes(id, &frontier_keys(size), &mut loaded)
            .await?;
        Ok(Some(loaded))
    }

    /// Runs a read on ledger `name` with only the rows it needs: `read` runs on the ledger's
    /// head, every row it touched is fetched, and it runs again until it touched nothing
    /// missing (a proof: two passes, O(log n) rows). Results of passes that saw placeholders
    /// are discarded, so `read` may be any pure function of the ledger. `None` if no ledger.
    pub async fn read_ledger<T, F>(&self, name: &str, read: F) -> Result<Option<T>, StorageError>
    where
        F: Fn(&Microledger<LoadedLedger>) -> Result<T, LedgerError>,
    {
        let Some((id, mut store)) = self.load_meta(name).await? else {
            return Ok(None);
        };
        let size = store.meta.as_ref().map_or(0, |m| m.size);
        self.fetch_nodes(id, &frontier_keys(size), &mut store)
            .await?;
        for _ in 0..MAX_READ_PASSES {
            store.recording = Some(Mutex::default());
            let ledger = Microledger::open(name, store).map_err(StorageError::Ledger)?;
            let result = read(&ledger);
            store = ledger.into_store();
            let missing = store
                .recording
                .take()
                .map(|m| m.into_inner().unwrap_or_else(PoisonError::into_inner))
                .unwrap_or_default();
            if missing.nodes.is_empty() && missing.transactions.is_empty() {
                return result.map(Some).map_err(StorageError::Ledger);
            }
            let keys: Vec<NodeKey> = missing.nodes.into_iter().collect();
            let seqs: Vec<u64> = missing.transactions.into_iter().collect();
            let before = store.rows_held();
            self.fetch_nodes(id, &keys, &mut store).await?;
            self.fetch_transactions(id, &seqs, &mut store).await?;
            if store.rows_held() == before {
                return Err(StorageError::Corrupt(format!(
                    "ledger {name:?} lacks rows its own size requires"
                )));
            }
        }
        Err(StorageError::Corrupt(format!(
            "reading ledger {name:?} needed more than {MAX_READ_PASSES} passes"
        )))
    }

    async fn load_meta(&self, name: &str) -> Result<Option<(i64, LoadedLedger)>, StorageError> {
        check_text("ledger name", name)?;
        on_pool!(self, |pool| {
            let row = sqlx::query("SELECT id, name, size, root_hash FROM ledgers WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await?;
            let Some(row) = row else { return Ok(None) };
            let meta = LedgerMeta {
                name: row.text("name")?,
                size: to_u64("ledger size", row.int("size")?)?,
                root_hash: decode_hash(row.bytes("root_hash")?)?,
            };
            let loaded = LoadedLedger {
                meta: Some(meta),
                ..LoadedLedger::default()
            };
            Ok(Some((row.int("id")?, loaded)))
        })
    }

    async fn fetch_nodes(
        &self,
        id: i64,
        keys: &[NodeKey],
        into: &mut LoadedLedger,
    ) -> Result<(), StorageError> {
        for chunk in keys.chunks(FETCH_CHUNK) {
            let mut sql = String::from(
                "SELECT level, idx, hash FROM merkle_nodes WHERE ledger_id = $1 AND (",
            );
            let mut binds = Vec::with_capacity(chunk.len() * 2);
            for (i, key) in chunk.iter().enumerate() {
                let p = 2 + 2 * i;
                if i > 0 {
                    sql.push_str(" OR ");
                }
                sql.push_str(&format!("(level = ${p} AND idx = ${})", p + 1));
                binds.push(i64::from(key.level));
                binds.push(to_i64("node index", key.index)?);
            }
            sql.push(')');
            on_pool!(self, |pool| {
                let mut query = sqlx::query(&sql).bind(id);
                for b in &binds {
                    query = query.bind(*b);
                }
                for row in &query.fetch_all(pool).await? {
                    let (key, hash) = decode_node(row)?;
                    into.nodes.insert(key, hash);
                }
            });
        }
        Ok(())
    }

    async fn fetch_transactions(
        &self,
        id: i64,
        seqs: &[u64],
        into: &mut LoadedLedger,
    ) -> Result<(), StorageError> {
        for chunk in seqs.chunks(FETCH_CHUNK) {
            let params: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT seq_no, txn FROM ledger_transactions WHERE ledger_id = $1 AND seq_no IN ({})",
                params.join(", ")
            );
            let binds = chunk
                .iter()
                .map(|s| to_i64("seqNo", *s))
                .collect::<Result<Vec<_>, _>>()?;
            on_pool!(self, |pool| {
                let mut query = sqlx::query(&sql).bind(id);
                for b in &binds {
                    query = query.bind(*b);
                }
                for row in &query.fetch_all(pool).await? {
                    let seq_no = to_u64("seqNo", row.int("seq_no")?)?;
                    into.transactions
                        .insert(seq_no, decode_transaction(&row.text("txn")?)?);
                }
            });
        }
        Ok(())
    }
}

fn decode_node(row: &impl Cols) -> Result<(NodeKey, Hash), StorageError> {
    let level = u32::try_from(row.int("level")?)
        .map_err(|_| StorageError::Corrupt("subtree level out of range".into()))?;
    let key = NodeKey {
        level,
        index: to_u64("node index", row.int("idx")?)?,
    };
    Ok((key, decode_hash(row.bytes("hash")?)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frontier_keys_follow_the_set_bits() {
        assert!(frontier_keys(0).is_empty());
        let k = |level, index| NodeKey { level, index };
        assert_eq!(frontier_keys(1), vec![k(0, 0)]);
        assert_eq!(frontier_keys(13), vec![k(3, 0), k(2, 2), k(0, 12)]);
        assert_eq!(frontier_keys(16), vec![k(4, 0)]);
    }
}
