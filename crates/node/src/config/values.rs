//! Parsers for single configuration values, shared by the three text layers (file,
//! environment, command line) so that a value is checked the same way wherever it comes
//! from. Each returns a reason that the caller prefixes with the value's origin.

use std::net::SocketAddr;
use std::path::PathBuf;

use tmtm_wire::keys::Did;

use super::{DocumentSet, SignaturePolicy};
use crate::endpoint::HttpUrl;
use crate::secret::DatabaseUrl;

/// Token lifetime bounds, seconds (1 minute to 30 days).
pub const TOKEN_LIFETIME_RANGE: (u64, u64) = (60, 30 * 24 * 3600);
/// Upload size bounds, bytes (1 KiB to 4 GiB).
pub const UPLOAD_MAX_RANGE: (u64, u64) = (1024, 4 * 1024 * 1024 * 1024);

/// An unqualified Indy DID: base58 of 16 bytes.
pub fn did(text: &str) -> Result<Did, String> {
    let t = text.trim();
    match bs58::decode(t).into_vec() {
        Ok(b) if b.len() == 16 => Ok(Did::new(t)),
        Ok(b) => Err(format!(
            "{t:?} is not a DID (base58 of 16 bytes; this decodes to {} bytes)",
            b.len()
        )),
        Err(_) => Err(format!("{t:?} is not a DID (not base58)")),
    }
}

/// `IP:port`, for example `127.0.0.1:8080` or `[::]:8080`.
pub fn listen(text: &str) -> Result<SocketAddr, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{text:?} is not an IP:port address (e.g. 127.0.0.1:8080)"))
}

/// An absolute URL path such as `/agent`.
pub fn agent_path(text: &str) -> Result<String, String> {
    let ok = text.len() > 1
        && text.starts_with('/')
        && !text.contains("//")
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~/".contains(&b));
    if ok {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} is not a URL path like /agent (letters, digits, -._~/ only, not /)"
        ))
    }
}

/// The node's public base URL (no query, no fragment).
pub fn public_url(text: &str) -> Result<HttpUrl, String> {
    HttpUrl::parse_base(text.trim()).map_err(|e| format!("{text:?} {e}"))
}

/// A `sqlite:` or `postgres(ql)://` connection URL. The reason never repeats the URL, which
/// may hold a password.
pub fn database_url(text: &str) -> Result<DatabaseUrl, String> {
    let url = DatabaseUrl::new(text.trim());
    match url.scheme().as_deref() {
        Some("sqlite") | Some("postgres") | Some("postgresql") => Ok(url),
        _ => Err(format!(
            "{} is not a sqlite: or postgres:// URL",
            url.redacted()
        )),
    }
}

/// A non-empty path.
pub fn path(text: &str) -> Result<PathBuf, String> {
    if text.trim().is_empty() {
        Err("is empty".to_owned())
    } else {
        Ok(PathBuf::from(text))
    }
}

fn bounded(value: i128, (lo, hi): (u64, u64), unit: &str) -> Result<u64, String> {
    if value < i128::from(lo) || value > i128::from(hi) {
        return Err(format!("{value} is outside {lo}..={hi} {unit}"));
    }
    u64::try_from(value).map_err(|_| format!("{value} is out of range"))
}

/// Seconds a WebSocket bearer token stays valid.
pub fn token_lifetime(value: i128) -> Result<u64, String> {
    bounded(value, TOKEN_LIFETIME_RANGE, "seconds")
}

/// Largest accepted upload.
pub fn upload_max(value: i128) -> Result<u64, String> {
    bounded(value, UPLOAD_MAX_RANGE, "bytes")
}

/// An integer written as text (environment, flags).
pub fn integer(text: &str) -> Result<i128, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a whole number"))
}

/// `strict` or `legacy`.
pub fn signature_policy(text: &str) -> Result<SignaturePolicy, String> {
    match text.trim() {
        "strict" => Ok(SignaturePolicy::Strict),
        "legacy" => Ok(SignaturePolicy::Legacy),
        _ => Err(format!("{text:?} is neither \"strict\" nor \"legacy\"")),
    }
}

/// `rail` or `sea`.
pub fn document_set(text: &str) -> Result<DocumentSet, String> {
    match text.trim() {
        "rail" => Ok(DocumentSet::Rail),
        "sea" => Ok(DocumentSet::Sea),
        _ => Err(format!("{text:?} is neither \"rail\" nor \"sea\"")),
    }
}

/// A non-empty user name without control characters.
pub fn username(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > 150 || t.chars().any(char::is_control) {
        return Err(format!(
            "{t:?} is not a user name (1 to 150 printable characters)"
        ));
    }
    Ok(t.to_owned())
}
