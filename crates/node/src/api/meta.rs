//! `GET|POST /ledgers/{id}/transactions/list_with_meta/`: every transaction of a container
//! (newest first, unpaginated as in the original, bounded at [`MAX_META_RESULTS`]) with the
//! route computations of `route.rs`: `days_in_way`, `approaching_days`, and two additions,
//! the container `status` (of its last transaction) and the `approaching` flag.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::clock::utc_day;
use super::error::{ApiError, ApiPath, ErrorBody};
use super::ledgers::{ledger, objects};
use super::route::{approaching, approaching_days, days_in_way, Status};
use super::view::{date_text, view, TransactionObject};
use super::ApiState;

/// Most transactions returned (the newest ones); container ledgers hold tens to hundreds.
pub const MAX_META_RESULTS: u64 = 10_000;

/// The transactions of a container with its route figures.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ListWithMeta {
    /// Transaction objects, newest first.
    pub results: Vec<TransactionObject>,
    /// Whole days since the first document's date; −1 once arrived; null if dates are
    /// missing or unparsable.
    pub days_in_way: Option<i64>,
    /// Days until due at this node (negative: overdue); null unless the last signer is the
    /// previous hop and this node's leg has a duration.
    pub approaching_days: Option<i64>,
    /// Status of the last transaction (the container's status).
    pub status: Option<Status>,
    /// Whether the container is approaching this node.
    pub approaching: bool,
}

/// Transactions of a container with `days_in_way` and `approaching_days`.
#[utoipa::path(
    get, path = "/ledgers/{id}/transactions/list_with_meta/", tag = "ledgers",
    params(("id" = i64, Path, description = "Ledger id")),
    responses((status = 200, body = ListWithMeta), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)),
    security(("basic" = []), ("session" = []))
)]
pub async fn list_with_meta(
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ListWithMeta>, ApiError> {
    let ledger = ledger(&state, &id).await?;
    let total = state.db.list_transactions(ledger.id, 0, 0).await?.total;
    let start = total.saturating_sub(MAX_META_RESULTS);
    let page = state
        .db
        .list_transactions(ledger.id, start, total - start)
        .await?;
    let first = match page.items.first() {
        Some(r) if r.seq_no == 1 => Some(r.clone()),
        _ => state.db.transaction(ledger.id, 1).await?,
    };
    let policy = state.settings.signature_policy;
    let first = first.map(|r| view(&r, &state.network, policy));
    let last = page.items.last().map(|r| view(r, &state.network, policy));
    let today = utc_day(state.now_ms());
    let own = &state.settings.own_did;
    let last_signer = last.as_ref().and_then(|v| v.signer.as_ref());
    let last_date = last.as_ref().and_then(|v| date_text(&v.object));
    let status = last.as_ref().and_then(|v| v.object.status);
    Ok(Json(ListWithMeta {
        days_in_way: days_in_way(
            first.as_ref().and_then(|v| date_text(&v.object)),
            last_date,
            status,
            today,
        ),
        approaching_days: approaching_days(&state.network, own, last_signer, last_date, today),
        status,
        approaching: approaching(&state.network, own, last_signer),
        results: objects(&state, page.items.iter().rev()),
    }))
}

/// `POST` form of [`list_with_meta`] (the original accepted both; the body is ignored).
#[utoipa::path(
    post, path = "/ledgers/{id}/transactions/list_with_meta/", tag = "ledgers",
    params(("id" = i64, Path, description = "Ledger id")),
    responses((status = 200, body = ListWithMeta), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)),
    security(("basic" = []), ("session" = []))
)]
pub async fn list_with_meta_post(
    state: State<ApiState>,
    id: ApiPath<String>,
) -> Result<Json<ListWithMeta>, ApiError> {
    list_with_meta(state, id).await
}
