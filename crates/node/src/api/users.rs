//! Users of this node: Argon2id password hashing, the operations the CLI and the admin pages
//! use (add, list, set password, disable/enable), the admin bootstrap from
//! `ADMIN_USERNAME`/`ADMIN_PASSWORD`, and the password check behind BasicAuth.
//!
//! * Hashes are Argon2id PHC strings with the `argon2` crate's defaults (m = 19 MiB, t = 2,
//!   p = 1, the OWASP baseline); hashing runs on the blocking pool.
//! * [`check_password`] costs one Argon2 verification whether or not the user exists (an
//!   unknown name is verified against a dummy hash) and gives one error for an unknown user
//!   and a wrong password, so neither timing nor text tells which names exist.
//! * The bootstrap never prints or logs the password and never changes an existing user.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand_core::OsRng;

use crate::config::{values, NodeConfig};
use crate::secret::Secret;
use crate::storage::{Database, Role, StorageError, UserRecord};

/// Shortest accepted password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest accepted password, in bytes (bounds the hashing work per request).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// A user as the API shows it (no hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub disabled: bool,
}

impl From<&UserRecord> for User {
    fn from(r: &UserRecord) -> Self {
        User {
            id: r.id,
            username: r.username.clone(),
            role: r.role,
            disabled: r.disabled,
        }
    }
}

/// Why a user operation failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("user {0:?} already exists")]
    Exists(String),
    #[error("no user {0:?}")]
    NotFound(String),
    #[error("invalid user name: {0}")]
    InvalidUsername(String),
    #[error("unacceptable password: {0}")]
    BadPassword(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What [`bootstrap_admin`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bootstrap {
    /// No admin is configured.
    NotConfigured,
    /// The admin was created (the database had no user).
    Created(String),
    /// Users exist; nothing was changed.
    Kept,
}

/// Why a password check failed (deliberately not saying which part was wrong).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// Unknown user or wrong password.
    #[error("Invalid username/password.")]
    Invalid,
    /// Right password, but the account is disabled.
    #[error("User inactive or deleted.")]
    Disabled,
    /// The check itself failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

fn check_password_policy(password: &str) -> Result<(), UserError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(UserError::BadPassword(format!(
            "at least {MIN_PASSWORD_CHARS} characters are required"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(UserError::BadPassword(format!(
            "at most {MAX_PASSWORD_BYTES} bytes are allowed"
        )));
    }
    Ok(())
}

/// Hashes a password (Argon2id, random salt) on the blocking pool.
pub async fn hash_password(password: &Secret) -> Result<String, UserError> {
    let password = password.clone();
    tokio::task::spawn_blocking(move || hash_now(password.expose()))
        .await
        .map_err(|e| UserError::Hash(e.to_string()))?
}

fn hash_now(password: &str) -> Result<String, UserError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UserError::Hash(e.to_string()))
}

/// Verifies `password` against a PHC hash (false for a malformed hash), on the blocking pool.
pub async fn verify_password(password: &str, phc: &str) -> bool {
    let (password, phc) = (Secret::new(password), phc.to_owned());
    tokio::task::spawn_blocking(move || verify_now(password.expose(), &phc))
        .await
        .unwrap_or(false)
}

fn verify_now(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(hash) => Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, verified against when the user does not exist.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut bytes = [0u8; 24];
        rand_core::RngCore::fill_bytes(&mut OsRng, &mut bytes);
        hash_now(&hex::encode(bytes)).unwrap_or_default()
    })
}

/// Checks a user name and password: one Argon2 verification whether the user exists or not,
/// and the same error for both failures.
pub async fn check_password(
    db: &Database,
    username: &str,
    password: &str,
) -> Result<User, CheckError> {
    if password.len() > MAX_PASSWORD_BYTES || username.contains('\0') {
        return Err(CheckError::Invalid);
    }
    let record = db.user_by_name(username).await?;
    let phc = match &record {
        Some(r) => r.password_hash.clone(),
        None => tokio::task::spawn_blocking(|| dummy_hash().to_owned())
            .await
            .unwrap_or_default(),
    };
    let ok = verify_password(password, &phc).await;
    match record {
        Some(r) if ok && r.disabled => Err(CheckError::Disabled),
        Some(r) if ok => Ok(User::from(&r)),
        _ => Err(CheckError::Invalid),
    }
}

/// Adds a user. The name is 1–150 printable characters; the password at least
/// [`MIN_PASSWORD_CHARS`] characters.
pub async fn add_user(
    db: &Database,
    username: &str,
    password: &Secret,
    role: Role,
    now_ms: i64,
) -> Result<User, UserError> {
    let username = values::username(username).map_err(UserError::InvalidUsername)?;
    check_password_policy(password.expose())?;
    let hash = hash_password(password).await?;
    match db.insert_user(&username, &hash, role, now_ms).await {
        Ok(id) => Ok(User {
            id,
            username,
            role,
            disabled: false,
        }),
        Err(StorageError::Conflict(_)) => Err(UserError::Exists(username)),
        Err(e) => Err(e.into()),
    }
}

/// All users, by name.
pub async fn list_users(db: &Database) -> Result<Vec<User>, UserError> {
    Ok(db.list_users().await?.iter().map(User::from).collect())
}

/// Sets a new password (and ends the user's dashboard sessions).
pub async fn set_password(
    db: &Database,
    username: &str,
    password: &Secret,
    now_ms: i64,
) -> Result<(), UserError> {
    check_password_policy(password.expose())?;
    let hash = hash_password(password).await?;
    if db.set_user_password_hash(username, &hash, now_ms).await? {
        Ok(())
    } else {
        Err(UserError::NotFound(username.to_owned()))
    }
}

/// Disables (ending sessions and revoking tokens) or re-enables a user.
pub async fn set_disabled(
    db: &Database,
    username: &str,
    disabled: bool,
    now_ms: i64,
) -> Result<(), UserError> {
    if db.set_user_disabled(username, disabled, now_ms).await? {
        Ok(())
    } else {
        Err(UserError::NotFound(username.to_owned()))
    }
}

/// Creates the configured admin (`ADMIN_USERNAME`/`ADMIN_PASSWORD`) if the database has no
/// user at all. With users present nothing changes; if the configured admin exists but the
/// configured password does not match, a warning says the variable was ignored (use
/// `tmtm user passwd` to change a password). The password is never printed or logged.
pub async fn bootstrap_admin(db: &Database, config: &NodeConfig) -> Result<Bootstrap, UserError> {
    let now_ms = (super::clock::system_clock())();
    let (Some(username), Some(password)) = (&config.admin_username, &config.admin_password) else {
        return Ok(Bootstrap::NotConfigured);
    };
    if db.count_users().await? == 0 {
        match add_user(db, username, password, Role::Admin, now_ms).await {
            Ok(user) => {
                tracing::info!(username = %user.username, "created the admin user from the configuration");
                return Ok(Bootstrap::Created(user.username));
            }
            // Another replica created a user between the count and the insert.
            Err(UserError::Exists(_)) => {}
            Err(e) => return Err(e),
        }
    }
    match db.user_by_name(username.trim()).await? {
        Some(record) if !verify_password(password.expose(), &record.password_hash).await => {
            tracing::warn!(
                username = %record.username,
                "ADMIN_PASSWORD differs from the stored password of this user and was ignored \
                 (existing passwords are never reset from the environment; use `tmtm user passwd`)"
            );
        }
        Some(_) => {}
        None => tracing::warn!(
            username = %username,
            "ADMIN_USERNAME names no user and users already exist: no admin was created"
        ),
    }
    Ok(Bootstrap::Kept)
}
