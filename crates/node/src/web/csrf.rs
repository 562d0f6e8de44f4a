//! CSRF protection of every dashboard form, and cookie parsing.
//!
//! * **Logged in:** the token is `HMAC-SHA256(key = session cookie value, "tmtm-csrf-v1")`,
//!   hex. It is derived, so nothing extra is stored; only the holder of the (HttpOnly)
//!   session cookie can compute it, and it changes with every session.
//! * **Not logged in** (the login form, the language switch on the login page): a random
//!   value in the cookie [`PRE_SESSION_COOKIE`] (`HttpOnly; SameSite=Strict; Path=/ui`)
//!   that the form must repeat (double submit). A cross-site page can neither read nor set it.
//!
//! Tokens are compared in constant time ([`matches`]).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The pre-session CSRF cookie.
pub const PRE_SESSION_COOKIE: &str = "tmtm_csrf";
/// Name of the hidden form field.
pub const FIELD: &str = "csrf";

/// The CSRF token of a session.
pub fn session_token(session: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(session.as_bytes()) {
        Ok(m) => m,
        // HMAC accepts keys of any length; this branch cannot be taken.
        Err(_) => return String::new(),
    };
    mac.update(b"tmtm-csrf-v1");
    hex::encode(mac.finalize().into_bytes())
}

/// Whether a submitted token equals the expected one (constant time; empty never matches).
pub fn matches(expected: &str, given: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// A new pre-session token (64 hex characters).
pub fn new_pre_session() -> String {
    crate::api::sessions::new_secret().0
}

/// `Set-Cookie` for the pre-session token.
pub fn pre_session_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{PRE_SESSION_COOKIE}={token}; Path=/ui; HttpOnly; SameSite=Strict{secure}")
}

/// The value of cookie `name` in one `Cookie` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k.trim() == name).then(|| v.trim().trim_matches('"'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_per_session_and_compare_exactly() {
        let a = session_token("a".repeat(64).as_str());
        let b = session_token("b".repeat(64).as_str());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(matches(&a, &a));
        assert!(!matches(&a, &b));
        assert!(!matches(&a, ""));
        assert!(!matches("", ""));
    }

    #[test]
    fn cookie_parsing() {
        assert_eq!(cookie_value("x=1; tmtm_csrf=abc", "tmtm_csrf"), Some("abc"));
        assert_eq!(cookie_value("tmtm_csrfx=abc", "tmtm_csrf"), None);
    }
}
