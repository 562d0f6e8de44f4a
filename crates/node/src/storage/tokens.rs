//! The `api_tokens` table (migration 0003): bearer tokens for the command WebSocket, stored
//! as SHA-256 hashes only, each with an owner, an expiry and an optional revocation time.
//! Generating and checking tokens is `api::tokens`; this is the rows.

use sqlx::Row;

use super::row::Cols;
use super::users::{decode_user, UserRecord};
use super::{Database, StorageError};

/// A stored token (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: i64,
    pub user_id: i64,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
}

impl Database {
    /// Stores a new token hash for `user_id`; returns the token's id.
    pub async fn insert_token(
        &self,
        token_hash: &[u8; 32],
        user_id: i64,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> Result<i64, StorageError> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
                "INSERT INTO api_tokens (token_hash, user_id, created_at_ms, expires_at_ms) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(token_hash.as_slice())
            .bind(user_id)
            .bind(now_ms)
            .bind(expires_at_ms)
            .fetch_one(pool)
            .await?)
        })
    }

    /// The stored hash and owner of a live token (not expired at `now_ms`, not revoked, owner
    /// not disabled) whose hash is `token_hash`. The caller compares the returned hash in
    /// constant time.
    pub async fn live_token(
        &self,
        token_hash: &[u8; 32],
        now_ms: i64,
    ) -> Result<Option<(Vec<u8>, UserRecord)>, StorageError> {
        on_pool!(self, |pool| {
            let row = sqlx::query(
                "SELECT t.token_hash AS token_hash, u.id AS id, u.username AS username, \
                 u.password_hash AS password_hash, u.role AS role, u.disabled AS disabled, \
                 u.created_at_ms AS created_at_ms, u.updated_at_ms AS updated_at_ms \
                 FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.token_hash = $1 AND t.revoked_at_ms IS NULL \
                 AND t.expires_at_ms > $2 AND u.disabled = 0",
            )
            .bind(token_hash.as_slice())
            .bind(now_ms)
            .fetch_optional(pool)
            .await?;
            match row {
                Some(row) => Ok(Some((row.bytes("token_hash")?, decode_user(&row)?))),
                None => Ok(None),
            }
        })
    }

    /// The token with this id.
    pub async fn token_by_id(&self, id: i64) -> Result<Option<TokenRecord>, StorageError> {
        on_pool!(self, |pool| {
            let row = sqlx::query(
                "SELECT id, user_id, created_at_ms, expires_at_ms, revoked_at_ms \
                 FROM api_tokens WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?;
            match row {
                Some(row) => Ok(Some(TokenRecord {
                    id: row.int("id")?,
                    user_id: row.int("user_id")?,
                    created_at_ms: row.int("created_at_ms")?,
                    expires_at_ms: row.int("expires_at_ms")?,
                    revoked_at_ms: row.try_get::<Option<i64>, _>("revoked_at_ms")?,
                })),
                None => Ok(None),
            }
        })
    }

    /// Revokes a token (idempotent); `false` if no token has this id.
    pub async fn revoke_token(&self, id: i64, now_ms: i64) -> Result<bool, StorageError> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE api_tokens SET revoked_at_ms = $2 WHERE id = $1 AND revoked_at_ms IS NULL",
            )
            .bind(id)
            .bind(now_ms)
            .execute(pool)
            .await?;
            let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await?;
            Ok(exists == 1)
        })
    }
}
