//! Redacting wrappers for secrets held in configuration and memory.
//!
//! Owns [`Secret`] (any secret string: passwords, wallet keys) and [`DatabaseUrl`] (a
//! connection string whose password must never be shown). Neither type prints its secret
//! through `Debug` or `Display`; the only way to read the value is an explicit
//! [`Secret::expose`] call, which makes every use easy to find in review. Memory is wiped on
//! drop (`zeroize`).

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The text shown instead of a secret.
pub const REDACTED: &str = "[redacted]";

/// A secret string. `Debug` and `Display` print `[redacted]`; the bytes are zeroed on drop.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// The secret itself. Call only where the value is consumed (key derivation, password
    /// hashing); never pass the result to a formatter or logger.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Compares two secrets in constant time (for equal lengths).
    pub fn ct_eq(&self, other: &Secret) -> bool {
        bool::from(self.0.as_bytes().ct_eq(other.0.as_bytes()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// A database connection URL (`sqlite://…` or `postgres://user:password@host/db`).
/// `Debug` and `Display` replace the password (if any) with `***`.
#[derive(Clone)]
pub struct DatabaseUrl(Secret);

impl DatabaseUrl {
    /// Wraps a connection URL.
    pub fn new(url: impl Into<String>) -> Self {
        DatabaseUrl(Secret::new(url))
    }

    /// The full URL, password included. Only for the database driver.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// The URL scheme in lower case (`sqlite`, `postgres`, …), or `None` if there is none.
    pub fn scheme(&self) -> Option<String> {
        let url = self.0.expose();
        url.find(':').map(|i| url[..i].to_ascii_lowercase())
    }

    /// The URL with any password replaced by `***`: safe to print.
    pub fn redacted(&self) -> String {
        redact_url_password(self.0.expose())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Replaces the password of `scheme://user:password@host…` with `***`. Query parameters named
/// `password` are redacted too. Anything unparsable is returned unchanged only when it holds
/// no `@` (no user information); otherwise it is fully redacted.
fn redact_url_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return if url.contains('@') || url.contains("password") {
            REDACTED.to_owned()
        } else {
            url.to_owned()
        };
    };
    let rest_start = scheme_end + 3;
    let rest = &url[rest_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let mut out = String::with_capacity(url.len());
    out.push_str(&url[..rest_start]);
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            match userinfo.find(':') {
                Some(colon) => {
                    out.push_str(&userinfo[..colon]);
                    out.push_str(":***");
                }
                None => out.push_str(userinfo),
            }
            out.push_str(&authority[at..]);
        }
        None => out.push_str(authority),
    }
    let tail = &rest[authority_end..];
    match tail.find('?') {
        Some(q) => {
            out.push_str(&tail[..=q]);
            let query = &tail[q + 1..];
            let parts: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => kv.to_owned(),
                })
                .collect();
            out.push_str(&parts.join("&"));
        }
        None => out.push_str(tail),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_never_formatted() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s}"), REDACTED);
        assert_eq!(format!("{s:?}"), REDACTED);
        assert!(!format!("{:?}", Some(s.clone())).contains("hunter2"));
        assert_eq!(s.expose(), "hunter2-very-secret");
    }

    #[test]
    fn secret_compares_in_constant_time() {
        assert!(Secret::new("abc").ct_eq(&Secret::new("abc")));
        assert!(!Secret::new("abc").ct_eq(&Secret::new("abd")));
        assert!(!Secret::new("abc").ct_eq(&Secret::new("abcd")));
    }

    #[test]
    fn database_url_password_is_redacted() {
        let u = DatabaseUrl::new("postgres://tmtm:s3cr3t@db.example:5432/tmtm?sslmode=require");
        assert_eq!(
            u.to_string(),
            "postgres://tmtm:***@db.example:5432/tmtm?sslmode=require"
        );
        assert!(!format!("{u:?}").contains("s3cr3t"));
        assert_eq!(u.scheme().as_deref(), Some("postgres"));
        assert!(u.expose().contains("s3cr3t"));
    }

    #[test]
    fn database_url_query_password_is_redacted() {
        let u = DatabaseUrl::new("postgres://db/tmtm?user=a&password=zzz&x=1");
        assert_eq!(u.to_string(), "postgres://db/tmtm?user=a&password=***&x=1");
    }

    #[test]
    fn database_url_without_password_is_shown() {
        let u = DatabaseUrl::new("sqlite:///var/lib/tmtm/tmtm.sqlite3");
        assert_eq!(u.to_string(), "sqlite:///var/lib/tmtm/tmtm.sqlite3");
        let u = DatabaseUrl::new("postgres://tmtm@db/tmtm");
        assert_eq!(u.to_string(), "postgres://tmtm@db/tmtm");
    }

    #[test]
    fn odd_url_with_at_is_fully_redacted() {
        let u = DatabaseUrl::new("user:pw@host");
        assert_eq!(u.to_string(), REDACTED);
    }
}
