//! Dashboard sessions: random 32-byte cookie values, stored as SHA-256 hashes only, expiring.
//! The REST API accepts the session cookie ([`SESSION_COOKIE`]) as well as BasicAuth; the
//! dashboard's login page (later) calls [`create`] and sets [`set_cookie_value`].

use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use super::users::User;
use crate::storage::{Database, StorageError};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "tmtm_session";
/// Default session lifetime: 12 hours.
pub const DEFAULT_SESSION_LIFETIME_MS: i64 = 12 * 3600 * 1000;

/// A new random secret (64 lower-case hex characters) and its SHA-256.
pub(crate) fn new_secret() -> (String, [u8; 32]) {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let text = hex::encode(bytes);
    let hash = sha256(&text);
    (text, hash)
}

/// SHA-256 of a secret's text.
pub(crate) fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// Whether `text` has the shape of a secret from [`new_secret`] (cheap pre-check).
pub(crate) fn looks_like_secret(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Creates a session for `user_id`; returns the cookie value and its expiry (Unix ms).
pub async fn create(
    db: &Database,
    user_id: i64,
    lifetime_ms: i64,
    now_ms: i64,
) -> Result<(String, i64), StorageError> {
    let (token, hash) = new_secret();
    let expires = now_ms.saturating_add(lifetime_ms);
    db.insert_session(&hash, user_id, now_ms, expires).await?;
    Ok((token, expires))
}

/// The (enabled) user of a live session.
pub async fn lookup(db: &Database, token: &str, now_ms: i64) -> Result<Option<User>, StorageError> {
    if !looks_like_secret(token) {
        return Ok(None);
    }
    let user = db.session_user(&sha256(token), now_ms).await?;
    Ok(user.filter(|u| !u.disabled).as_ref().map(User::from))
}

/// Ends a session (logout); `true` if it existed.
pub async fn delete(db: &Database, token: &str) -> Result<bool, StorageError> {
    if !looks_like_secret(token) {
        return Ok(false);
    }
    db.delete_session(&sha256(token)).await
}

/// The `Set-Cookie` value for a session: `HttpOnly`, `SameSite=Lax`, `Path=/`, and `Secure`
/// when the node is served over HTTPS.
pub fn set_cookie_value(token: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={token}; Max-Age={max_age_secs}; Path=/; HttpOnly; SameSite=Lax{secure}"
    )
}

/// The session cookie's value from a `Cookie` header, if present.
pub fn cookie_from_header(header: &str) -> Option<&str> {
    header.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name.trim() == SESSION_COOKIE).then(|| value.trim().trim_matches('"'))
    })
}
