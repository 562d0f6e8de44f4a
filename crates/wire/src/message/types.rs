//! `@type` strings (§3.1): `<doc_uri><protocol>/<version>/<name>`.

use std::fmt;

use super::{MessageError, DOC_URI_DIDCOMM, DOC_URI_SOV};

/// A parsed `@type`. Messages are matched by (protocol, name) only ([`MessageType::is`]);
/// version and doc URI are not compared, as in Python.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageType {
    pub doc_uri: String,
    pub protocol: String,
    pub version: String,
    pub name: String,
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

impl MessageType {
    /// A type with the doc URI Python emits (`did:sov:…;spec/`).
    pub fn new(protocol: &str, version: &str, name: &str) -> MessageType {
        MessageType {
            doc_uri: DOC_URI_SOV.to_owned(),
            protocol: protocol.to_owned(),
            version: version.to_owned(),
            name: name.to_owned(),
        }
    }

    /// Parses `<doc_uri><protocol>/<version>/<name>`: the name is the last path segment, the
    /// version the one before (must start with a digit), the protocol the one before that;
    /// protocol and name use only `[a-z0-9._-]`; the rest (possibly empty) is the doc URI.
    pub fn parse(text: &str) -> Result<MessageType, MessageError> {
        let bad = || MessageError::BadType(text.to_owned());
        let (rest, name) = text.rsplit_once('/').ok_or_else(bad)?;
        let (rest, version) = rest.rsplit_once('/').ok_or_else(bad)?;
        let (doc_uri, protocol) = match rest.rsplit_once('/') {
            Some((head, protocol)) => (&text[..head.len() + 1], protocol),
            None => ("", rest),
        };
        let version_ok = version.starts_with(|c: char| c.is_ascii_digit());
        if !is_token(name) || !is_token(protocol) || !version_ok {
            return Err(bad());
        }
        Ok(MessageType {
            doc_uri: doc_uri.to_owned(),
            protocol: protocol.to_owned(),
            version: version.to_owned(),
            name: name.to_owned(),
        })
    }

    /// True for (protocol, name), whatever the version and doc URI.
    pub fn is(&self, protocol: &str, name: &str) -> bool {
        self.protocol == protocol && self.name == name
    }

    /// True when the doc URI is one Python accepts for registered protocols (§3.1).
    pub fn has_known_doc_uri(&self) -> bool {
        self.doc_uri == DOC_URI_SOV || self.doc_uri == DOC_URI_DIDCOMM
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}/{}/{}",
            self.doc_uri, self.protocol, self.version, self.name
        )
    }
}

impl std::str::FromStr for MessageType {
    type Err = MessageError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MessageType::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_doc_uris() {
        let t =
            MessageType::parse("did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/trust_ping/1.0/ping").unwrap();
        assert_eq!(t.doc_uri, DOC_URI_SOV);
        assert_eq!(
            (t.protocol.as_str(), t.version.as_str(), t.name.as_str()),
            ("trust_ping", "1.0", "ping")
        );
        assert!(t.has_known_doc_uri());
        let u = MessageType::parse("https://didcomm.org/trust_ping/1.0/ping").unwrap();
        assert_eq!(u.doc_uri, DOC_URI_DIDCOMM);
        assert!(u.is("trust_ping", "ping"));
        assert_eq!(u.to_string(), "https://didcomm.org/trust_ping/1.0/ping");
    }

    #[test]
    fn parses_tmtm_type() {
        let t = MessageType::parse(
            "https://github.com/Sirius-social/TMTM/tree/master/transactions/1.0/gu-11",
        )
        .unwrap();
        assert_eq!(
            t.doc_uri,
            "https://github.com/Sirius-social/TMTM/tree/master/"
        );
        assert_eq!(t.protocol, "transactions");
        assert_eq!(t.version, "1.0");
        assert_eq!(t.name, "gu-11");
        assert!(!t.has_known_doc_uri());
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "ping",
            "1.0/ping",
            "https://didcomm.org/trust_ping/v1/ping",
            "https://didcomm.org/Trust_ping/1.0/ping",
            "https://didcomm.org/trust_ping/1.0/Ping",
            "https://didcomm.org/trust_ping/1.0/",
            "https://didcomm.org//1.0/ping",
        ] {
            assert!(MessageType::parse(bad).is_err(), "{bad}");
        }
        let bare = MessageType::parse("trust_ping/1.0/ping").unwrap();
        assert_eq!(bare.doc_uri, "");
    }

    #[test]
    fn new_emits_sov() {
        assert_eq!(
            MessageType::new("notification", "1.0", "ack").to_string(),
            "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/notification/1.0/ack"
        );
    }
}
