//! Authentication of every non-public route: the dashboard session cookie or HTTP BasicAuth
//! against this node's users. [`require_auth`] is a route layer on the protected router; it
//! puts the [`User`] into the request's extensions (handlers take `Extension<User>`), or
//! answers 401 with `WWW-Authenticate: Basic realm="tmtm"` and the JSON error body.
//!
//! Argon2 is deliberately slow (~20 ms of CPU), and machine clients send BasicAuth with
//! every request, so a verified (user, password) pair is remembered for a few minutes:
//! the key is a SHA-256 of a per-process random key, the name and the password (so the
//! cache holds nothing reusable outside this process), and a hit still re-reads the user
//! and requires the same stored hash and an enabled account — a password change or a
//! disable takes effect on the next request.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::sessions::{self, cookie_from_header};
use super::users::{self, CheckError, User};
use super::ApiState;

/// How long a verified BasicAuth pair is remembered.
const CACHE_TTL_MS: i64 = 5 * 60 * 1000;
/// Most pairs remembered (the cache is cleared when full).
const CACHE_MAX: usize = 1024;

/// Remembered BasicAuth verifications.
#[derive(Default)]
pub(crate) struct AuthCache(Mutex<HashMap<[u8; 32], Cached>>);

struct Cached {
    user_id: i64,
    password_hash: String,
    expires_at_ms: i64,
}

fn cache_key(username: &str, password: &str) -> [u8; 32] {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        let mut k = [0u8; 32];
        OsRng.fill_bytes(&mut k);
        k
    });
    let mut h = Sha256::new();
    h.update(key);
    h.update((username.len() as u64).to_be_bytes());
    h.update(username.as_bytes());
    h.update(password.as_bytes());
    h.finalize().into()
}

impl AuthCache {
    fn get(&self, key: &[u8; 32], now_ms: i64) -> Option<(i64, String)> {
        let map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(key)
            .filter(|c| c.expires_at_ms > now_ms)
            .map(|c| (c.user_id, c.password_hash.clone()))
    }

    fn put(&self, key: [u8; 32], user_id: i64, password_hash: String, now_ms: i64) {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= CACHE_MAX {
            map.clear();
        }
        map.insert(
            key,
            Cached {
                user_id,
                password_hash,
                expires_at_ms: now_ms.saturating_add(CACHE_TTL_MS),
            },
        );
    }

    fn remove(&self, key: &[u8; 32]) {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.remove(key);
    }
}

/// The route layer: session cookie first, then BasicAuth; 401 otherwise. An unsafe method
/// (not GET/HEAD/OPTIONS) carrying the session cookie must come from this node's own origin
/// ([`origin_allowed`]), else 403: SameSite does not separate other ports of the same host.
pub(crate) async fn require_auth(
    State(state): State<ApiState>,
    mut request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    if !safe && !origin_allowed(&state, request.headers()) {
        return foreign_origin().into_response();
    }
    match authenticate_request(&state, request.headers()).await {
        Ok(user) => {
            request.extensions_mut().insert(user);
            next.run(request).await
        }
        Err(e) => e.into_response(),
    }
}

/// The answer to a cookie-carrying request from another origin.
pub fn foreign_origin() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::FORBIDDEN,
        "forbidden_origin",
        "Requests authenticated by the session cookie must come from this node's own pages.",
    )
}

/// Whether a request may use its session cookie: it carries none, or no `Origin` header (not
/// a browser's cross-origin request), or an `Origin` equal to this node's public URL origin
/// or to the origin of the `Host` it was sent to. `Origin: null` is refused.
pub fn origin_allowed(state: &ApiState, headers: &HeaderMap) -> bool {
    let has_cookie = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|h| cookie_from_header(h).is_some());
    if !has_cookie {
        return true;
    }
    let Some(origin) = headers.get(axum::http::header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = origin.trim_end_matches('/');
    let public = state.settings.public_url.as_str();
    let own = match public.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split('/').next().unwrap_or("")),
        None => String::new(),
    };
    if origin.eq_ignore_ascii_case(&own) {
        return true;
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    !host.is_empty()
        && (origin.eq_ignore_ascii_case(&format!("http://{host}"))
            || origin.eq_ignore_ascii_case(&format!("https://{host}")))
}

/// Who sent these headers.
pub async fn authenticate_request(state: &ApiState, headers: &HeaderMap) -> Result<User, ApiError> {
    let now = state.now_ms();
    let cookie = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(cookie_from_header);
    if let Some(token) = cookie {
        if let Some(user) = sessions::lookup(&state.db, token, now).await? {
            return Ok(user);
        }
        if headers.get(AUTHORIZATION).is_none() {
            return Err(ApiError::unauthorized("Session expired or invalid."));
        }
    }
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Err(ApiError::unauthorized(
            "Authentication credentials were not provided.",
        ));
    };
    let (username, password) = value
        .to_str()
        .ok()
        .and_then(parse_basic)
        .ok_or_else(|| ApiError::unauthorized("Invalid basic header."))?;
    basic(state, &username, &password, now).await
}

async fn basic(
    state: &ApiState,
    username: &str,
    password: &str,
    now: i64,
) -> Result<User, ApiError> {
    let key = cache_key(username, password);
    if let Some((user_id, hash)) = state.auth_cache.get(&key, now) {
        match state.db.user_by_id(user_id).await? {
            Some(r) if r.password_hash == hash && !r.disabled && r.username == username => {
                return Ok(User::from(&r));
            }
            _ => state.auth_cache.remove(&key),
        }
    }
    match users::check_password(&state.db, username, password).await {
        Ok(user) => {
            if let Some(record) = state.db.user_by_id(user.id).await? {
                state
                    .auth_cache
                    .put(key, user.id, record.password_hash, now);
            }
            Ok(user)
        }
        Err(CheckError::Storage(e)) => Err(e.into()),
        Err(e) => Err(ApiError::unauthorized(e.to_string())),
    }
}

/// `Basic base64(user:password)` → (user, password). The scheme is case-insensitive.
pub fn parse_basic(value: &str) -> Option<(String, String)> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_parsing() {
        let enc = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert_eq!(
            parse_basic(&format!("Basic {}", enc("anna:pa:ss"))),
            Some(("anna".into(), "pa:ss".into()))
        );
        assert_eq!(
            parse_basic(&format!("basic {}", enc("Ирина:пароль"))),
            Some(("Ирина".into(), "пароль".into()))
        );
        assert_eq!(parse_basic(&format!("Bearer {}", enc("a:b"))), None);
        assert_eq!(parse_basic("Basic !!!"), None);
        assert_eq!(parse_basic(&format!("Basic {}", enc("no-colon"))), None);
        assert_eq!(parse_basic("Basic"), None);
    }

    #[test]
    fn cache_keys_separate_name_and_password() {
        assert_ne!(cache_key("ab", "c"), cache_key("a", "bc"));
        assert_eq!(cache_key("a", "b"), cache_key("a", "b"));
    }
}
