//! Validated `http://` / `https://` URLs for participant endpoints and the public base URL.
//!
//! A small hand-written check (scheme, host, optional port; no user information, fragment,
//! whitespace or control characters) keeps this crate free of a URL parser until the HTTP
//! layer brings one.

use std::fmt;

/// Why a URL was refused. The text is meant to follow "endpoint …: ".
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("must start with http:// or https://")]
    Scheme,
    #[error("has no host")]
    NoHost,
    #[error("has an invalid port")]
    Port,
    #[error("must not contain user credentials (user@host)")]
    UserInfo,
    #[error("must not contain a #fragment")]
    Fragment,
    #[error("must not contain spaces or control characters")]
    Characters,
    #[error("must not contain a ?query")]
    Query,
}

/// An absolute HTTP(S) URL, as written (no normalisation besides checks).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct HttpUrl(String);

impl HttpUrl {
    /// Checks `text` and wraps it.
    pub fn parse(text: &str) -> Result<HttpUrl, UrlError> {
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(UrlError::Characters);
        }
        let lower = text.to_ascii_lowercase();
        let rest = if lower.starts_with("http://") {
            &text[7..]
        } else if lower.starts_with("https://") {
            &text[8..]
        } else {
            return Err(UrlError::Scheme);
        };
        if text.contains('#') {
            return Err(UrlError::Fragment);
        }
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        if authority.contains('@') {
            return Err(UrlError::UserInfo);
        }
        let (host, port) = split_host_port(authority)?;
        if host.is_empty() {
            return Err(UrlError::NoHost);
        }
        if let Some(port) = port {
            match port.parse::<u16>() {
                Ok(p) if p > 0 && port.bytes().all(|b| b.is_ascii_digit()) => {}
                _ => return Err(UrlError::Port),
            }
        }
        Ok(HttpUrl(text.to_owned()))
    }

    /// Like [`HttpUrl::parse`], and refuses a query string (for base URLs that get paths
    /// appended).
    pub fn parse_base(text: &str) -> Result<HttpUrl, UrlError> {
        let url = Self::parse(text)?;
        if url.0.contains('?') {
            return Err(UrlError::Query);
        }
        Ok(url)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Appends an absolute path (`/agent`) to this base URL, with exactly one `/` between.
    pub fn join_path(&self, path: &str) -> String {
        format!(
            "{}/{}",
            self.0.trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }
}

fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), UrlError> {
    if let Some(inner) = authority.strip_prefix('[') {
        // IPv6 literal: [::1]:8080
        let close = inner.find(']').ok_or(UrlError::NoHost)?;
        let host = &inner[..close];
        let after = &inner[close + 1..];
        return match after.strip_prefix(':') {
            Some(port) => Ok((host, Some(port))),
            None if after.is_empty() => Ok((host, None)),
            None => Err(UrlError::Port),
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Ok((host, Some(port))),
        None => Ok((authority, None)),
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HttpUrl({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_urls() {
        for ok in [
            "http://127.0.0.1:9101/agent",
            "https://ktz.example.com/agent",
            "HTTPS://Example.com",
            "http://[::1]:8080/",
            "http://host/a?b=c",
        ] {
            assert!(HttpUrl::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_bad_urls_with_a_reason() {
        let cases = [
            ("ftp://host/", UrlError::Scheme),
            ("127.0.0.1:8080", UrlError::Scheme),
            ("http://", UrlError::NoHost),
            ("http://:80/", UrlError::NoHost),
            ("http://host:0/", UrlError::Port),
            ("http://host:99999/", UrlError::Port),
            ("http://host:+80/", UrlError::Port),
            ("http://user:pw@host/", UrlError::UserInfo),
            ("http://host/#x", UrlError::Fragment),
            ("http://ho st/", UrlError::Characters),
            ("http://host/\n", UrlError::Characters),
        ];
        for (url, want) in cases {
            assert_eq!(HttpUrl::parse(url), Err(want), "{url}");
        }
        assert_eq!(HttpUrl::parse_base("http://h/?a"), Err(UrlError::Query));
    }

    #[test]
    fn joins_paths_with_one_slash() {
        let u = HttpUrl::parse("http://h:1/").unwrap();
        assert_eq!(u.join_path("/agent"), "http://h:1/agent");
        let u = HttpUrl::parse("http://h:1/base").unwrap();
        assert_eq!(u.join_path("agent"), "http://h:1/base/agent");
    }
}
