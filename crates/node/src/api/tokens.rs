//! Bearer tokens for the command WebSocket: `GET|POST /maintenance/allocate_token/` issues a
//! random 32-byte token (64 hex characters) that is stored only as its SHA-256, expires after
//! the configured lifetime, and can be revoked by its owner or an admin with
//! `DELETE /maintenance/tokens/{id}/`. [`authenticate`] is what the WebSocket calls.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use super::clock::rfc3339;
use super::error::{parse_id, ApiError, ApiPath, ErrorBody};
use super::sessions::{looks_like_secret, new_secret, sha256};
use super::users::User;
use super::ApiState;
use crate::storage::{Database, Role, StorageError};

/// A token just issued (the only time the token itself is shown).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IssuedToken {
    /// The bearer token: `wss://…/transactions?token=<token>`.
    #[schema(example = "5f0c…64 hex characters")]
    pub token: String,
    /// When it stops working (RFC 3339, UTC).
    #[schema(example = "2026-11-28T03:00:00Z")]
    pub expires_at: String,
    /// Its id, for `DELETE /maintenance/tokens/{id}/`.
    pub id: i64,
}

/// Optional body of `POST /maintenance/allocate_token/`.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// A shorter lifetime than the configured one, in seconds (at least 1).
    pub lifetime_secs: Option<u64>,
}

/// Issues a token for `user_id`, valid for `lifetime_ms` from `now_ms`.
pub async fn issue(
    db: &Database,
    user_id: i64,
    lifetime_ms: i64,
    now_ms: i64,
) -> Result<IssuedToken, StorageError> {
    let (token, hash) = new_secret();
    let expires = now_ms.saturating_add(lifetime_ms);
    let id = db.insert_token(&hash, user_id, now_ms, expires).await?;
    Ok(IssuedToken {
        token,
        expires_at: rfc3339(expires),
        id,
    })
}

/// The user a live token belongs to (not expired, not revoked, user not disabled), now.
pub async fn authenticate(db: &Database, token: &str) -> Option<User> {
    authenticate_at(db, token, (super::clock::system_clock())()).await
}

/// [`authenticate`] at a given time. The stored hash is compared in constant time.
pub async fn authenticate_at(db: &Database, token: &str, now_ms: i64) -> Option<User> {
    if !looks_like_secret(token) {
        return None;
    }
    let hash = sha256(token);
    match db.live_token(&hash, now_ms).await {
        Ok(Some((stored, user))) if bool::from(stored.as_slice().ct_eq(hash.as_slice())) => {
            Some(User::from(&user))
        }
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(error = %e, "token check failed");
            None
        }
    }
}

/// Allocates a WebSocket token for the caller.
#[utoipa::path(
    post, path = "/maintenance/allocate_token/", tag = "maintenance",
    request_body(content = Option<TokenRequest>, content_type = "application/json"),
    responses(
        (status = 200, description = "A new token", body = IssuedToken),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
    ),
    security(("basic" = []), ("session" = []))
)]
pub async fn allocate_token(
    State(state): State<ApiState>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Json<IssuedToken>, ApiError> {
    let request: TokenRequest = if body.iter().all(u8::is_ascii_whitespace) {
        TokenRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request("invalid_json", format!("invalid JSON body: {e}")))?
    };
    let max_ms = state.token_lifetime_ms();
    let lifetime_ms = match request.lifetime_secs {
        None => max_ms,
        Some(0) => {
            return Err(ApiError::bad_request(
                "invalid_parameter",
                "lifetime_secs must be at least 1",
            ))
        }
        Some(s) => i64::try_from(s.saturating_mul(1000))
            .unwrap_or(i64::MAX)
            .min(max_ms),
    };
    let issued = issue(&state.db, user.id, lifetime_ms, state.now_ms()).await?;
    Ok(Json(issued))
}

/// `GET /maintenance/allocate_token/` (the original allowed GET too).
#[utoipa::path(
    get, path = "/maintenance/allocate_token/", tag = "maintenance",
    responses(
        (status = 200, description = "A new token", body = IssuedToken),
        (status = 401, description = "Not authenticated", body = ErrorBody),
    ),
    security(("basic" = []), ("session" = []))
)]
pub async fn allocate_token_get(
    state: State<ApiState>,
    user: Extension<User>,
) -> Result<Json<IssuedToken>, ApiError> {
    allocate_token(state, user, Bytes::new()).await
}

/// Revokes a token: its owner or an admin. Someone else's token id answers 404.
#[utoipa::path(
    delete, path = "/maintenance/tokens/{id}/", tag = "maintenance",
    params(("id" = i64, Path, description = "Token id from allocate_token")),
    responses(
        (status = 204, description = "Revoked (idempotent)"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "No such token of yours", body = ErrorBody),
    ),
    security(("basic" = []), ("session" = []))
)]
pub async fn revoke_token(
    State(state): State<ApiState>,
    Extension(user): Extension<User>,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    let token = state
        .db
        .token_by_id(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if token.user_id != user.id && user.role != Role::Admin {
        return Err(ApiError::not_found());
    }
    state.db.revoke_token(id, state.now_ms()).await?;
    Ok(StatusCode::NO_CONTENT)
}
