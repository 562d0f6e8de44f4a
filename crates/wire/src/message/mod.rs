//! Agent messages (§3, §7): the `@type` grammar, a generic [`Message`] (a JSON object with
//! `@type`/`@id`/`~thread`/`~please_ack` accessors), id generators and builders for the
//! messages every protocol shares (problem report, ack, trust ping, basic message, forward).

mod builders;
mod ids;
mod types;

use serde_json::{Map, Value};

use crate::json::{self, JsonError};

pub use builders::{
    ack, ack_with_status, basic_message, forward, ping, ping_response, problem_report, AckStatus,
    FORWARD_TYPE,
};
pub use ids::{new_hex_id, new_message_id};
pub use types::MessageType;

/// The doc URI Python emits (§3.1).
pub const DOC_URI_SOV: &str = "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/";
/// The other doc URI Python accepts.
pub const DOC_URI_DIDCOMM: &str = "https://didcomm.org/";

/// What was wrong with a message.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("message is not JSON: {0}")]
    Json(String),
    #[error("message is not a JSON object")]
    NotAnObject,
    #[error("message has no string `@type`")]
    MissingType,
    #[error("`@id` is not a string")]
    BadId,
    #[error("malformed `@type`: {0:?}")]
    BadType(String),
    #[error("message cannot be serialised: {0}")]
    Serialise(#[from] JsonError),
}

/// A generic agent message: a JSON object (insertion order kept) with a string `@type`
/// and, if present, a string `@id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message(Map<String, Value>);

impl Message {
    /// Parses JSON bytes (e.g. an unpacked envelope's plaintext).
    pub fn from_slice(bytes: &[u8]) -> Result<Message, MessageError> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| MessageError::Json(e.to_string()))?;
        Message::from_value(value)
    }

    /// Accepts an object with a string `@type` and, if present, a string `@id`.
    /// The `@type` grammar is checked by [`Message::type_`], not here.
    pub fn from_value(value: Value) -> Result<Message, MessageError> {
        let Value::Object(map) = value else {
            return Err(MessageError::NotAnObject);
        };
        Message::from_map(map)
    }

    /// As [`Message::from_value`], from a map.
    pub fn from_map(map: Map<String, Value>) -> Result<Message, MessageError> {
        if !matches!(map.get("@type"), Some(Value::String(_))) {
            return Err(MessageError::MissingType);
        }
        if matches!(map.get("@id"), Some(v) if !v.is_string()) {
            return Err(MessageError::BadId);
        }
        Ok(Message(map))
    }

    /// The raw `@type` string.
    pub fn type_str(&self) -> &str {
        self.0.get("@type").and_then(Value::as_str).unwrap_or("")
    }

    /// The parsed `@type`.
    pub fn type_(&self) -> Result<MessageType, MessageError> {
        MessageType::parse(self.type_str())
    }

    /// True when `@type` parses and has this (protocol, name).
    pub fn is(&self, protocol: &str, name: &str) -> bool {
        self.type_().is_ok_and(|t| t.is(protocol, name))
    }

    pub fn id(&self) -> Option<&str> {
        self.0.get("@id").and_then(Value::as_str)
    }

    /// `~thread.thid`, if a string.
    pub fn thread_id(&self) -> Option<&str> {
        self.0.get("~thread")?.get("thid")?.as_str()
    }

    /// `~thread.sender_order`, if a non-negative integer.
    pub fn sender_order(&self) -> Option<u64> {
        self.0.get("~thread")?.get("sender_order")?.as_u64()
    }

    /// `~please_ack.message_id`, if a string.
    pub fn please_ack_id(&self) -> Option<&str> {
        self.0.get("~please_ack")?.get("message_id")?.as_str()
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// `get(key)` as a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }

    /// Inserts or replaces a field (a replaced key keeps its position). `@type`/`@id` keep
    /// their invariants: a non-string value for them is ignored and `false` returned.
    pub fn set(&mut self, key: impl Into<String>, value: Value) -> bool {
        let key = key.into();
        if (key == "@type" || key == "@id") && !value.is_string() {
            return false;
        }
        self.0.insert(key, value);
        true
    }

    /// Removes a field other than `@type`.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        if key == "@type" {
            return None;
        }
        self.0.shift_remove(key)
    }

    /// Sets `~thread` to `{"thid": thid}` plus `"sender_order": n` when given.
    pub fn set_thread(&mut self, thid: &str, sender_order: Option<u64>) {
        let mut thread = Map::new();
        thread.insert("thid".into(), Value::from(thid));
        if let Some(n) = sender_order {
            thread.insert("sender_order".into(), Value::from(n));
        }
        self.0.insert("~thread".into(), Value::Object(thread));
    }

    /// Sets `~please_ack` to `{"message_id": <@id>}` (§3.2); no-op without `@id`.
    pub fn set_please_ack(&mut self) {
        if let Some(id) = self.id().map(str::to_owned) {
            let mut ack = Map::new();
            ack.insert("message_id".into(), Value::from(id));
            self.0.insert("~please_ack".into(), Value::Object(ack));
        }
    }

    /// PyJSON text (what Python packs into envelopes).
    pub fn to_python_json(&self) -> Result<String, MessageError> {
        Ok(json::python(&Value::Object(self.0.clone()))?)
    }

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

impl TryFrom<Value> for Message {
    type Error = MessageError;
    fn try_from(value: Value) -> Result<Self, Self::Error> {
        Message::from_value(value)
    }
}

impl From<Message> for Value {
    fn from(m: Message) -> Value {
        m.into_value()
    }
}
