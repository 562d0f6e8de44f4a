//! `GET /ledgers/`, `GET /ledgers/{id}/`, `GET /ledgers/{id}/transactions/` and
//! `GET /ledgers/{id}/transactions/{seq_no}/`: this node's container ledgers (newest first)
//! and their transactions (newest first, as the original's row-id order), paginated.

use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::error::{parse_id, ApiError, ApiPath, ApiQuery, ErrorBody};
use super::pagination::{envelope, map_page, PageParams, Paginated};
use super::view::{view, TransactionObject};
use super::ApiState;
use crate::storage::{LedgerRecord, TransactionRecord};

/// A container ledger.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LedgerObject {
    pub id: i64,
    /// The container (ledger name), exactly as created.
    pub name: String,
    /// `{actor:{label, did}, local_timestamp_utc, participants}`; null until recorded.
    #[schema(value_type = Option<Object>)]
    pub metadata: Value,
    /// Number of committed transactions.
    pub size: u64,
    /// Merkle root of the committed transactions (base58), as in the consensus messages.
    pub root: String,
    /// When this node last committed to the ledger (RFC 3339, UTC).
    pub updated_at: String,
}

impl From<LedgerRecord> for LedgerObject {
    fn from(r: LedgerRecord) -> Self {
        LedgerObject {
            id: r.id,
            name: r.name,
            metadata: r.metadata.unwrap_or(Value::Null),
            size: r.size,
            root: r.root_hash.to_base58(),
            updated_at: super::clock::rfc3339(r.updated_at_ms),
        }
    }
}

/// A page of ledgers (for the OpenAPI document).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LedgerPage {
    count: u64,
    next: Option<String>,
    previous: Option<String>,
    results: Vec<LedgerObject>,
}

/// A page of transactions (for the OpenAPI document).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TransactionPage {
    count: u64,
    next: Option<String>,
    previous: Option<String>,
    results: Vec<TransactionObject>,
}

/// The ledger with this path id, or 404.
pub(crate) async fn ledger(state: &ApiState, id: &str) -> Result<LedgerRecord, ApiError> {
    let id = parse_id(id)?;
    state
        .db
        .ledger_by_id(id)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// Lists this node's ledgers, newest first.
#[utoipa::path(
    get, path = "/ledgers/", tag = "ledgers",
    params(("page" = Option<u64>, Query, description = "1-based page (or `last`)"),
           ("page_size" = Option<u64>, Query, description = "1..=1000, default 100")),
    responses(
        (status = 200, body = LedgerPage),
        (status = 400, description = "Bad page_size", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, description = "Invalid page", body = ErrorBody),
    ),
    security(("basic" = []), ("session" = []))
)]
pub async fn list_ledgers(
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<HashMap<String, String>>,
) -> Result<Json<Paginated<LedgerObject>>, ApiError> {
    let mut params = PageParams::from_query(&query)?;
    let total = state.db.list_ledgers(0, 0).await?.total;
    let (offset, limit) = params.window(total)?;
    let (total, results) = map_page(
        state.db.list_ledgers(offset, limit).await?,
        LedgerObject::from,
    );
    Ok(Json(envelope(&state, "/ledgers/", params, total, results)))
}

/// One ledger.
#[utoipa::path(
    get, path = "/ledgers/{id}/", tag = "ledgers",
    params(("id" = i64, Path, description = "Ledger id")),
    responses((status = 200, body = LedgerObject), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)),
    security(("basic" = []), ("session" = []))
)]
pub async fn get_ledger(
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<LedgerObject>, ApiError> {
    Ok(Json(ledger(&state, &id).await?.into()))
}

/// A ledger's transactions, newest first.
#[utoipa::path(
    get, path = "/ledgers/{id}/transactions/", tag = "ledgers",
    params(("id" = i64, Path, description = "Ledger id"),
           ("page" = Option<u64>, Query, description = "1-based page (or `last`)"),
           ("page_size" = Option<u64>, Query, description = "1..=1000, default 100")),
    responses((status = 200, body = TransactionPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("basic" = []), ("session" = []))
)]
pub async fn list_transactions(
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<HashMap<String, String>>,
) -> Result<Json<Paginated<TransactionObject>>, ApiError> {
    let ledger = ledger(&state, &id).await?;
    let mut params = PageParams::from_query(&query)?;
    let total = state.db.list_transactions(ledger.id, 0, 0).await?.total;
    let (offset, limit) = params.window(total)?;
    // Newest first: the page's window counted from the end of the seqNo order.
    let end = total.saturating_sub(offset);
    let start = end.saturating_sub(limit);
    let page = state
        .db
        .list_transactions(ledger.id, start, end - start)
        .await?;
    let results = objects(&state, page.items.iter().rev());
    let path = format!("/ledgers/{}/transactions/", ledger.id);
    Ok(Json(envelope(&state, &path, params, total, results)))
}

/// One transaction by seqNo.
#[utoipa::path(
    get, path = "/ledgers/{id}/transactions/{seq_no}/", tag = "ledgers",
    params(("id" = i64, Path, description = "Ledger id"),
           ("seq_no" = u64, Path, description = "1-based position in the ledger")),
    responses((status = 200, body = TransactionObject), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)),
    security(("basic" = []), ("session" = []))
)]
pub async fn get_transaction(
    State(state): State<ApiState>,
    ApiPath((id, seq_no)): ApiPath<(String, String)>,
) -> Result<Json<TransactionObject>, ApiError> {
    let ledger = ledger(&state, &id).await?;
    let seq_no = u64::try_from(parse_id(&seq_no)?).map_err(|_| ApiError::not_found())?;
    let record = state
        .db
        .transaction(ledger.id, seq_no)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(
        view(&record, &state.network, state.settings.signature_policy).object,
    ))
}

/// Transaction objects of stored transactions, in the given order.
pub(crate) fn objects<'a>(
    state: &ApiState,
    records: impl Iterator<Item = &'a TransactionRecord>,
) -> Vec<TransactionObject> {
    records
        .map(|r| view(r, &state.network, state.settings.signature_policy).object)
        .collect()
}
