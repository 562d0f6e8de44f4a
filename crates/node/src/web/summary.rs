//! Container summaries for the list: for each ledger, the date, stations and cargo of its
//! first transaction (as the original's list) and the status, approaching flag and date
//! of its last one, with the last transaction's signer *accepted* by the same rules as the
//! REST API ([`crate::api::view::accepted_signer`], [`crate::api::route`]).
//!
//! Computing a summary parses two transactions and verifies one signature, so summaries are
//! cached in memory by ledger id and recomputed only when the ledger's size changes (a new
//! transaction). Each request reads `(id, size)` of all ledgers (one cheap query); when many
//! are new or changed (first request, or after a burst) one query fetches the ends of all
//! ledgers, otherwise only the changed ones are fetched.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tmtm_microledger::Transaction;
use tmtm_wire::keys::Did;

use crate::api::route::{approaching, status_of, Status};
use crate::api::view::accepted_signer;
use crate::api::ApiState;
use crate::storage::{LedgerEnds, StorageError};

/// Beyond this many stale summaries, all ends are fetched in one query.
const BULK_THRESHOLD: usize = 32;

/// What the list shows of one container.
#[derive(Clone, Debug)]
pub struct Summary {
    pub id: i64,
    pub name: String,
    pub size: u64,
    pub created_at_ms: i64,
    /// `date` of the first transaction.
    pub date: String,
    pub depart: String,
    pub arrival: String,
    pub cargo: String,
    pub status: Option<Status>,
    pub approaching: bool,
    pub last_signer: Option<Did>,
    pub last_date: String,
}

/// Summaries by ledger id.
#[derive(Default)]
pub struct SummaryCache(Mutex<HashMap<i64, Arc<Summary>>>);

fn field(txn: Option<&Transaction>, key: &str) -> String {
    match txn.and_then(|t| t.as_map().get(key)) {
        Some(Value::String(s)) => s.clone(),
        Some(v @ Value::Number(_)) => v.to_string(),
        _ => String::new(),
    }
}

/// The summary of one ledger.
pub fn summarize(state: &ApiState, ends: &LedgerEnds) -> Summary {
    let first = ends.first.as_ref();
    let last = ends.last.as_ref();
    let signer = last.and_then(|t| {
        accepted_signer(t.as_map(), &state.network, state.settings.signature_policy)
            .0
            .map(|p| p.did.clone())
    });
    Summary {
        id: ends.id,
        name: ends.name.clone(),
        size: ends.size,
        created_at_ms: ends.created_at_ms,
        date: field(first, "date"),
        depart: field(first, "departure_station"),
        arrival: field(first, "arrival_station"),
        cargo: field(first, "cargo"),
        status: status_of(&state.network, signer.as_ref()),
        approaching: approaching(&state.network, &state.settings.own_did, signer.as_ref()),
        last_date: field(last, "date"),
        last_signer: signer,
    }
}

impl SummaryCache {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Arc<Summary>>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every container's summary, newest first.
    pub async fn all(&self, state: &ApiState) -> Result<Vec<Arc<Summary>>, StorageError> {
        let sizes = state.db.ledger_sizes().await?;
        let stale: Vec<i64> = {
            let map = self.map();
            sizes
                .iter()
                .filter(|(id, size)| map.get(id).is_none_or(|s| s.size != *size))
                .map(|(id, _)| *id)
                .collect()
        };
        let fresh: Vec<Summary> = if stale.len() > BULK_THRESHOLD {
            let all = state.db.all_ledger_ends().await?;
            all.iter().map(|e| summarize(state, e)).collect()
        } else {
            let mut out = Vec::with_capacity(stale.len());
            for id in &stale {
                if let Some(ends) = state.db.ledger_ends(*id).await? {
                    out.push(summarize(state, &ends));
                }
            }
            out
        };
        let mut map = self.map();
        if map.len() > sizes.len() * 2 + 64 {
            map.clear();
        }
        for s in fresh {
            map.insert(s.id, Arc::new(s));
        }
        Ok(sizes
            .iter()
            .filter_map(|(id, _)| map.get(id).cloned())
            .collect())
    }
}
