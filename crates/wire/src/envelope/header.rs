//! The protected header (§2.2): built exactly as the Python SDK writes it (PyJSON, keys
//! `enc, typ, alg, recipients`, recipient header `kid, sender, iv`, `null`s for anoncrypt),
//! read leniently (missing or `null` keys, any order, compact or spaced JSON).

use serde_json::{Map, Value};

use super::{EnvelopeError, MAX_RECIPIENTS};
use crate::{b64, json};

/// The (misnamed, §2.2) `enc` value; the payload cipher is ChaCha20-Poly1305 IETF.
pub(crate) const ENC: &str = "xchacha20poly1305_ietf";
pub(crate) const TYP: &str = "JWM/1.0";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alg {
    Authcrypt,
    Anoncrypt,
}

impl Alg {
    fn as_str(self) -> &'static str {
        match self {
            Alg::Authcrypt => "Authcrypt",
            Alg::Anoncrypt => "Anoncrypt",
        }
    }
}

/// One `recipients[]` entry, base64url fields still encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub encrypted_key: String,
    pub kid: String,
    /// `None` when missing, `null` or empty.
    pub sender: Option<String>,
    /// `None` when missing, `null` or empty.
    pub iv: Option<String>,
}

/// PyJSON of the header, ready to be base64url-encoded.
pub(crate) fn build(alg: Alg, entries: &[Entry]) -> Result<String, EnvelopeError> {
    let opt = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
    let recipients = entries
        .iter()
        .map(|e| {
            let mut header = Map::new();
            header.insert("kid".into(), Value::String(e.kid.clone()));
            header.insert("sender".into(), opt(&e.sender));
            header.insert("iv".into(), opt(&e.iv));
            let mut entry = Map::new();
            entry.insert(
                "encrypted_key".into(),
                Value::String(e.encrypted_key.clone()),
            );
            entry.insert("header".into(), Value::Object(header));
            Value::Object(entry)
        })
        .collect();
    let mut top = Map::new();
    top.insert("enc".into(), Value::from(ENC));
    top.insert("typ".into(), Value::from(TYP));
    top.insert("alg".into(), Value::from(alg.as_str()));
    top.insert("recipients".into(), Value::Array(recipients));
    Ok(json::python(&Value::Object(top))?)
}

/// A decoded protected header.
#[derive(Debug)]
pub(crate) struct Header {
    pub alg: Alg,
    recipients: Vec<Value>,
}

impl Header {
    /// Decodes and parses the `protected` string (padded or unpadded base64url).
    pub fn parse(protected: &str) -> Result<Header, EnvelopeError> {
        let bytes = b64::decode(protected).map_err(|_| EnvelopeError::Base64("protected"))?;
        let value: Value =
            serde_json::from_slice(&bytes).map_err(|e| EnvelopeError::MalformedJson {
                what: "protected header",
                detail: e.to_string(),
            })?;
        let Value::Object(mut top) = value else {
            return Err(EnvelopeError::MalformedJson {
                what: "protected header",
                detail: "not an object".into(),
            });
        };
        let alg = match top.get("alg") {
            Some(Value::String(s)) if s == "Authcrypt" => Alg::Authcrypt,
            Some(Value::String(s)) if s == "Anoncrypt" => Alg::Anoncrypt,
            Some(Value::String(s)) => return Err(EnvelopeError::UnsupportedAlg(s.clone())),
            _ => return Err(EnvelopeError::MissingField("alg")),
        };
        let Some(Value::Array(recipients)) = top.remove("recipients") else {
            return Err(EnvelopeError::MissingField("recipients"));
        };
        if recipients.is_empty() {
            return Err(EnvelopeError::NoRecipients);
        }
        if recipients.len() > MAX_RECIPIENTS {
            return Err(EnvelopeError::TooManyRecipients {
                count: recipients.len(),
                max: MAX_RECIPIENTS,
            });
        }
        Ok(Header { alg, recipients })
    }

    /// The entry whose `header.kid` equals `kid`; other entries are not validated.
    pub fn find(&self, kid: &str) -> Result<Option<Entry>, EnvelopeError> {
        for raw in &self.recipients {
            let Some(header) = raw.get("header") else {
                continue;
            };
            if header.get("kid").and_then(Value::as_str) != Some(kid) {
                continue;
            }
            let encrypted_key = raw
                .get("encrypted_key")
                .and_then(Value::as_str)
                .ok_or(EnvelopeError::MissingField("encrypted_key"))?
                .to_owned();
            return Ok(Some(Entry {
                encrypted_key,
                kid: kid.to_owned(),
                sender: optional(header, "sender", "header.sender")?,
                iv: optional(header, "iv", "header.iv")?,
            }));
        }
        Ok(None)
    }
}

fn optional(
    header: &Value,
    key: &str,
    name: &'static str,
) -> Result<Option<String>, EnvelopeError> {
    match header.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(EnvelopeError::MissingField(name)),
    }
}
