//! The users and sessions tables (migration 0003): who may use this node's API and dashboard,
//! with Argon2id password hashes (computed by `api::users`, stored here as PHC strings),
//! roles, a disabled flag, and dashboard sessions stored as SHA-256 hashes of the cookie.

use super::error::check_text;
use super::row::Cols;
use super::{Database, StorageError};

/// What a user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Manages users and any user's tokens.
    Admin,
    /// Uses the API.
    User,
}

impl Role {
    /// The stored (and displayed) name: `admin` or `user`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::User => "user",
        }
    }

    /// Parses `admin` / `user`.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "user" => Some(Role::User),
            _ => None,
        }
    }
}

/// A stored user, password hash included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

const USER_COLUMNS: &str = "SELECT id, username, password_hash, role, disabled, created_at_ms, \
                            updated_at_ms FROM users";

impl Database {
    /// Inserts a user; [`StorageError::Conflict`] if the name is taken. Returns its id.
    pub async fn insert_user(
        &self,
        username: &str,
        password_hash: &str,
        role: Role,
        now_ms: i64,
    ) -> Result<i64, StorageError> {
        check_text("username", username)?;
        check_text("password hash", password_hash)?;
        on_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
                "INSERT INTO users (username, password_hash, role, disabled, created_at_ms, \
                 updated_at_ms) VALUES ($1, $2, $3, 0, $4, $4) RETURNING id",
            )
            .bind(username)
            .bind(password_hash)
            .bind(role.as_str())
            .bind(now_ms)
            .fetch_one(pool)
            .await?)
        })
    }

    /// The user with this name.
    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>, StorageError> {
        check_text("username", username)?;
        let sql = format!("{USER_COLUMNS} WHERE username = $1");
        on_pool!(self, |pool| {
            let row = sqlx::query(&sql)
                .bind(username)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(decode_user).transpose()
        })
    }

    /// The user with this id.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRecord>, StorageError> {
        let sql = format!("{USER_COLUMNS} WHERE id = $1");
        on_pool!(self, |pool| {
            let row = sqlx::query(&sql).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(decode_user).transpose()
        })
    }

    /// All users, by name.
    pub async fn list_users(&self) -> Result<Vec<UserRecord>, StorageError> {
        let sql = format!("{USER_COLUMNS} ORDER BY username");
        on_pool!(self, |pool| {
            let rows = sqlx::query(&sql).fetch_all(pool).await?;
            rows.iter().map(decode_user).collect()
        })
    }

    /// Number of users.
    pub async fn count_users(&self) -> Result<u64, StorageError> {
        on_pool!(self, |pool| {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
                .fetch_one(pool)
                .await?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    /// Replaces a user's password hash and ends all of their sessions; `false` if no user.
    pub async fn set_user_password_hash(
        &self,
        username: &str,
        password_hash: &str,
        now_ms: i64,
    ) -> Result<bool, StorageError> {
        check_text("username", username)?;
        check_text("password hash", password_hash)?;
        let mut tx = self.begin().await?;
        let updated = super::tx::on_tx!(tx, |conn| {
            let n = sqlx::query(
                "UPDATE users SET password_hash = $1, updated_at_ms = $2 WHERE username = $3",
            )
            .bind(password_hash)
            .bind(now_ms)
            .bind(username)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            sqlx::query(
                "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username = $1)",
            )
            .bind(username)
            .execute(&mut *conn)
            .await?;
            n
        });
        tx.commit().await?;
        Ok(updated == 1)
    }

    /// Disables or re-enables a user; disabling also ends their sessions and revokes their
    /// tokens. `false` if no such user.
    pub async fn set_user_disabled(
        &self,
        username: &str,
        disabled: bool,
        now_ms: i64,
    ) -> Result<bool, StorageError> {
        check_text("username", username)?;
        let mut tx = self.begin().await?;
        let updated = super::tx::on_tx!(tx, |conn| {
            let n = sqlx::query(
                "UPDATE users SET disabled = $1, updated_at_ms = $2 WHERE username = $3",
            )
            .bind(i64::from(disabled))
            .bind(now_ms)
            .bind(username)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if disabled {
                let who = "(SELECT id FROM users WHERE username = $1)";
                sqlx::query(&format!("DELETE FROM sessions WHERE user_id IN {who}"))
                    .bind(username)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query(&format!(
                    "UPDATE api_tokens SET revoked_at_ms = $2 WHERE revoked_at_ms IS NULL \
                     AND user_id IN {who}"
                ))
                .bind(username)
                .bind(now_ms)
                .execute(&mut *conn)
                .await?;
            }
            n
        });
        tx.commit().await?;
        Ok(updated == 1)
    }

    /// Stores a session (the SHA-256 of its cookie value).
    pub async fn insert_session(
        &self,
        token_hash: &[u8; 32],
        user_id: i64,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> Result<(), StorageError> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, created_at_ms, expires_at_ms) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash.as_slice())
            .bind(user_id)
            .bind(now_ms)
            .bind(expires_at_ms)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The user of an unexpired session with this hash.
    pub async fn session_user(
        &self,
        token_hash: &[u8; 32],
        now_ms: i64,
    ) -> Result<Option<UserRecord>, StorageError> {
        let sql = format!(
            "{USER_COLUMNS} WHERE id = (SELECT user_id FROM sessions WHERE token_hash = $1 \
             AND expires_at_ms > $2)"
        );
        on_pool!(self, |pool| {
            let row = sqlx::query(&sql)
                .bind(token_hash.as_slice())
                .bind(now_ms)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(decode_user).transpose()
        })
    }

    /// Deletes a session; `true` if it existed.
    pub async fn delete_session(&self, token_hash: &[u8; 32]) -> Result<bool, StorageError> {
        on_pool!(self, |pool| {
            let n = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash.as_slice())
                .execute(pool)
                .await?
                .rows_affected();
            Ok(n == 1)
        })
    }

    /// Deletes sessions that expired before `now_ms`; returns how many.
    pub async fn prune_sessions(&self, now_ms: i64) -> Result<u64, StorageError> {
        on_pool!(self, |pool| {
            Ok(
                sqlx::query("DELETE FROM sessions WHERE expires_at_ms <= $1")
                    .bind(now_ms)
                    .execute(pool)
                    .await?
                    .rows_affected(),
            )
        })
    }
}

pub(crate) fn decode_user(row: &impl Cols) -> Result<UserRecord, StorageError> {
    let role = row.text("role")?;
    Ok(UserRecord {
        id: row.int("id")?,
        username: row.text("username")?,
        password_hash: row.text("password_hash")?,
        role: Role::parse(&role)
            .ok_or_else(|| StorageError::Corrupt(format!("unknown role {role:?}")))?,
        disabled: row.int("disabled")? != 0,
        created_at_ms: row.int("created_at_ms")?,
        updated_at_ms: row.int("updated_at_ms")?,
    })
}
