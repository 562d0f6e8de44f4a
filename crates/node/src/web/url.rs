//! URL pieces for links: container names in paths and query values are percent-encoded,
//! a `next` target is only ever a local `/ui/` path, and an attachment link is only ever
//! this node's `/content/<uid>` or an http(s) URL.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but unreserved characters is encoded.
const STRICT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// One path segment or query value, percent-encoded.
pub fn query(text: &str) -> String {
    utf8_percent_encode(text, STRICT).to_string()
}

/// `/ui/containers/<name>`.
pub fn container(name: &str) -> String {
    format!("/ui/containers/{}", query(name))
}

/// A safe local redirect target: a path under `/ui/` (no scheme, no `//`, no `\`), else
/// the container list.
pub fn local_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/ui/")
                && !n.contains("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_owned()
        }
        _ => "/ui/containers".to_owned(),
    }
}

/// Where an attachment may link to: this node's `/content/<uid>` (made relative) or an
/// http(s) URL; `None` means "show as text".
pub fn attachment_href(url: &str, public_base: &str) -> Option<String> {
    let base = public_base.trim_end_matches('/');
    if let Some(rest) = url.strip_prefix(base) {
        if rest.starts_with("/content/") {
            return Some(rest.to_owned());
        }
    }
    if url.starts_with("/content/") && !url.contains("//") {
        return Some(url.to_owned());
    }
    let lower = url.to_ascii_lowercase();
    let ok = (lower.starts_with("https://") || lower.starts_with("http://"))
        && !url.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then(|| url.to_owned())
}

/// The upload uid of this node's `/content/<uid>` link.
pub fn content_uid(href: &str) -> Option<&str> {
    href.strip_prefix("/content/")
        .filter(|u| !u.is_empty() && u.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_local_only() {
        assert_eq!(local_next(Some("/ui/admin")), "/ui/admin");
        assert_eq!(local_next(Some("//evil.example/ui/")), "/ui/containers");
        assert_eq!(local_next(Some("https://evil.example")), "/ui/containers");
        assert_eq!(local_next(Some("/ui//evil")), "/ui/containers");
        assert_eq!(local_next(None), "/ui/containers");
    }

    #[test]
    fn attachment_links() {
        let base = "https://node.example";
        assert_eq!(
            attachment_href("https://node.example/content/ab12", base).as_deref(),
            Some("/content/ab12")
        );
        assert_eq!(
            attachment_href("http://peer.example/x.pdf", base).as_deref(),
            Some("http://peer.example/x.pdf")
        );
        assert_eq!(attachment_href("javascript:alert(1)", base), None);
        assert_eq!(attachment_href("data:text/html,x", base), None);
        assert_eq!(attachment_href("JaVaScRiPt:alert(1)", base), None);
        assert_eq!(content_uid("/content/ab12"), Some("ab12"));
        assert_eq!(content_uid("/content/../x"), None);
    }

    #[test]
    fn names_are_encoded() {
        assert_eq!(container("a/b c"), "/ui/containers/a%2Fb%20c");
        assert_eq!(query("<x>\"'"), "%3Cx%3E%22%27");
    }
}
