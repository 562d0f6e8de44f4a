//! Builders for messages shared by every protocol, with Python's key order and doc URI:
//! problem report (§3.3), ack (§3.4), trust ping (§7.1), basic message (§7.2) and the
//! routing `forward` (§2.5). Ids are passed in (see [`super::new_message_id`]).

use serde_json::{Map, Value};

use super::{Message, MessageType, DOC_URI_DIDCOMM};
use crate::keys::Verkey;

/// `@type` of the routing forward message; Python emits the `https://didcomm.org/` form here.
pub const FORWARD_TYPE: &str = "https://didcomm.org/routing/1.0/forward";

/// `status` of an ack (RFC 0015).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckStatus {
    Ok,
    Pending,
    Fail,
}

impl AckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AckStatus::Ok => "OK",
            AckStatus::Pending => "PENDING",
            AckStatus::Fail => "FAIL",
        }
    }
}

fn with_type(type_: String, id: String) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("@type".into(), Value::String(type_));
    map.insert("@id".into(), Value::String(id));
    map
}

fn thread(thid: &str) -> Value {
    let mut t = Map::new();
    t.insert("thid".into(), Value::from(thid));
    Value::Object(t)
}

fn build(map: Map<String, Value>) -> Message {
    // Every builder starts from `with_type`, so the invariants of `Message` hold.
    Message(map)
}

/// `<protocol>/problem_report` (§3.3) with keys `@type, @id, problem-code, explain, ~thread`.
/// `protocol` is either `name/version` (`"simple-consensus/1.0"`) or a bare name, which gets
/// version `1.0`. `thid` may be a `&str` or an `Option<&str>`.
pub fn problem_report<'a>(
    protocol: &str,
    code: &str,
    explain: &str,
    thid: impl Into<Option<&'a str>>,
    id: impl Into<String>,
) -> Message {
    let (name, version) = protocol.split_once('/').unwrap_or((protocol, "1.0"));
    let type_ = MessageType::new(name, version, "problem_report").to_string();
    let mut map = with_type(type_, id.into());
    map.insert("problem-code".into(), Value::from(code));
    map.insert("explain".into(), Value::from(explain));
    if let Some(thid) = thid.into() {
        map.insert("~thread".into(), thread(thid));
    }
    build(map)
}

/// `notification/1.0/ack` with status `OK` (§3.4).
pub fn ack(thid: &str, id: impl Into<String>) -> Message {
    ack_with_status(thid, id, AckStatus::Ok)
}

/// `notification/1.0/ack`: keys `@type, @id, status, ~thread`.
pub fn ack_with_status(thid: &str, id: impl Into<String>, status: AckStatus) -> Message {
    let type_ = MessageType::new("notification", "1.0", "ack").to_string();
    let mut map = with_type(type_, id.into());
    map.insert("status".into(), Value::from(status.as_str()));
    map.insert("~thread".into(), thread(thid));
    build(map)
}

/// `trust_ping/1.0/ping` (§7.1); optional fields are omitted when `None`.
pub fn ping(
    id: impl Into<String>,
    comment: Option<&str>,
    response_requested: Option<bool>,
) -> Message {
    let type_ = MessageType::new("trust_ping", "1.0", "ping").to_string();
    let mut map = with_type(type_, id.into());
    if let Some(comment) = comment {
        map.insert("comment".into(), Value::from(comment));
    }
    if let Some(flag) = response_requested {
        map.insert("response_requested".into(), Value::Bool(flag));
    }
    build(map)
}

/// `trust_ping/1.0/ping_response` threaded to the ping's `@id` (§7.1).
pub fn ping_response(ping_id: &str, id: impl Into<String>, comment: Option<&str>) -> Message {
    let type_ = MessageType::new("trust_ping", "1.0", "ping_response").to_string();
    let mut map = with_type(type_, id.into());
    map.insert("~thread".into(), thread(ping_id));
    if let Some(comment) = comment {
        map.insert("comment".into(), Value::from(comment));
    }
    build(map)
}

/// `basicmessage/1.0/message` (§7.2): keys `@type, @id, ~l10n?, content, sent_time?`.
/// `sent_time` is ISO 8601 with UTC offset, supplied by the caller (no clock here).
pub fn basic_message(
    id: impl Into<String>,
    content: &str,
    locale: Option<&str>,
    sent_time: Option<&str>,
) -> Message {
    let type_ = MessageType::new("basicmessage", "1.0", "message").to_string();
    let mut map = with_type(type_, id.into());
    if let Some(locale) = locale {
        let mut l10n = Map::new();
        l10n.insert("locale".into(), Value::from(locale));
        map.insert("~l10n".into(), Value::Object(l10n));
    }
    map.insert("content".into(), Value::from(content));
    if let Some(t) = sent_time {
        map.insert("sent_time".into(), Value::from(t));
    }
    build(map)
}

/// `routing/1.0/forward` (§2.5): keys `@id, @type, to, msg` (Python's order; `@id` is
/// `uuid4().hex`, see [`super::new_hex_id`]). `msg` is the inner envelope as a JSON object.
pub fn forward(id: impl Into<String>, to: &Verkey, msg: Value) -> Message {
    debug_assert!(FORWARD_TYPE.starts_with(DOC_URI_DIDCOMM));
    let mut map = Map::new();
    map.insert("@id".into(), Value::String(id.into()));
    map.insert("@type".into(), Value::from(FORWARD_TYPE));
    map.insert("to".into(), Value::from(to.to_base58()));
    map.insert("msg".into(), msg);
    build(map)
}
