//! Validation of command WebSocket requests with the original's problem codes and texts
//! (`original-tmtm.md` §3.6). Unlike the original, the first failed check stops the request;
//! `time_to_live` is optional (default [`DEFAULT_TTL_SECS`], capped at [`MAX_TTL_SECS`]) and
//! `~attach` is optional.

use serde_json::{Map, Value};

use crate::storage::GuKind;

/// The `@type` prefix of every command message.
pub const PREFIX: &str = "https://github.com/Sirius-social/TMTM/tree/master/transactions/1.0/";
/// Problem code of malformed requests.
pub const REQUEST_ERROR: &str = "request_error";
/// Problem code of requests that failed while being processed.
pub const REQUEST_PROCESSING_ERROR: &str = "request_processing_error";
/// Consensus time to live when the request names none.
pub const DEFAULT_TTL_SECS: u64 = 30;
/// Largest accepted `time_to_live`.
pub const MAX_TTL_SECS: u64 = 600;

/// A problem report to send back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub code: &'static str,
    pub explain: String,
}

impl Problem {
    /// A `request_error`.
    pub fn request(explain: impl Into<String>) -> Problem {
        Problem {
            code: REQUEST_ERROR,
            explain: explain.into(),
        }
    }

    /// A `request_processing_error`.
    pub fn processing(explain: impl Into<String>) -> Problem {
        Problem {
            code: REQUEST_PROCESSING_ERROR,
            explain: explain.into(),
        }
    }
}

/// Where an issued transaction goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    One(String),
    /// `ledger.name` was a list: the parallel flow.
    Many(Vec<String>),
}

/// A validated request.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    CreateLedger {
        id: String,
        name: String,
        genesis: Vec<Map<String, Value>>,
        ttl_secs: u64,
    },
    Issue {
        id: String,
        txn: Map<String, Value>,
        target: Target,
        ttl_secs: u64,
    },
    Gu {
        id: String,
        kind: GuKind,
        payload: Map<String, Value>,
    },
}

/// Python truthiness of a JSON value.
pub fn is_falsy(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// The `@id` of a message as text (a number is shown as JSON), or empty.
pub fn id_of(msg: &Map<String, Value>) -> String {
    match msg.get("@id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Validates one parsed message.
pub fn parse(msg: &Map<String, Value>) -> Result<Request, Problem> {
    let Some(ty) = msg.get("@type") else {
        return Err(Problem::request("Missing @type attribute in request"));
    };
    let name = ty.as_str().and_then(|t| t.strip_prefix(PREFIX));
    match name {
        Some("create-ledger") => create_ledger(msg),
        Some("issue-transaction") => {
            check_transaction(msg)?;
            let (txn, ttl_secs) = without_ttl(msg)?;
            Ok(Request::Issue {
                id: id_of(msg),
                target: target(msg)?,
                txn,
                ttl_secs,
            })
        }
        Some("gu-11") => gu(msg, GuKind::Gu11),
        Some("gu-12") => gu(msg, GuKind::Gu12),
        _ => {
            let shown = ty.as_str().map_or_else(|| ty.to_string(), str::to_owned);
            Err(Problem::request(format!("Unexpected @type = \"{shown}\"")))
        }
    }
}

fn ttl(msg: &Map<String, Value>) -> Result<u64, Problem> {
    match msg.get("time_to_live") {
        None | Some(Value::Null) => Ok(DEFAULT_TTL_SECS),
        Some(v) if is_falsy(v) => Err(Problem::request("[time_to_live] attribute is empty")),
        Some(v) => v
            .as_u64()
            .map(|t| t.min(MAX_TTL_SECS))
            .ok_or_else(|| Problem::request("[time_to_live] must be a positive whole number")),
    }
}

fn without_ttl(msg: &Map<String, Value>) -> Result<(Map<String, Value>, u64), Problem> {
    let ttl_secs = ttl(msg)?;
    let mut txn = msg.clone();
    txn.shift_remove("time_to_live");
    Ok((txn, ttl_secs))
}

fn create_ledger(msg: &Map<String, Value>) -> Result<Request, Problem> {
    for attr in ["name", "@id", "genesis"] {
        match msg.get(attr) {
            None => {
                return Err(Problem::request(format!(
                    "Missing [{attr}] attribute in request"
                )))
            }
            Some(v) if is_falsy(v) => {
                return Err(Problem::request(format!("[{attr}] attribute is empty")))
            }
            Some(_) => {}
        }
    }
    let ttl_secs = ttl(msg)?;
    let name = msg
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| Problem::request("[name] must be a string"))?
        .to_owned();
    let Some(Value::Array(items)) = msg.get("genesis") else {
        return Err(Problem::request("[genesis] must be a list of transactions"));
    };
    let mut genesis = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(txn) = item else {
            return Err(Problem::request("[genesis] must be a list of transactions"));
        };
        let is_gu = txn
            .get("@type")
            .and_then(Value::as_str)
            .and_then(|t| t.strip_prefix(PREFIX))
            .is_some_and(|n| n == "gu-11" || n == "gu-12");
        if !is_gu {
            check_transaction(txn)?;
        }
        let mut txn = txn.clone();
        txn.shift_remove("time_to_live");
        genesis.push(txn);
    }
    Ok(Request::CreateLedger {
        id: id_of(msg),
        name,
        genesis,
        ttl_secs,
    })
}

const TXN_REQUIRED: [&str; 9] = [
    "@type",
    "@id",
    "no",
    "date",
    "cargo",
    "departure_station",
    "arrival_station",
    "doc_type",
    "ledger",
];

/// The §3.6 checks of an issue-transaction or genesis item.
pub fn check_transaction(txn: &Map<String, Value>) -> Result<(), Problem> {
    for attr in TXN_REQUIRED {
        match txn.get(attr) {
            None => {
                return Err(Problem::request(format!(
                    "Transaction: missing [{attr}] attribute"
                )))
            }
            Some(v) if is_falsy(v) => {
                return Err(Problem::request(format!(
                    "Transaction: [{attr}] attribute is empty"
                )))
            }
            Some(_) => {}
        }
    }
    let name = txn.get("ledger").and_then(|l| l.get("name"));
    if name.is_none_or(is_falsy) {
        return Err(Problem::request("Transaction: ledger.name is empty"));
    }
    if let Some(waybill) = txn.get("waybill").filter(|w| !is_falsy(w)) {
        let set = |k: &str| waybill.get(k).is_some_and(|v| !is_falsy(v));
        if !set("no") && !set("wagon_no") {
            return Err(Problem::request(
                "Transaction: you should fill [waybill] attributes",
            ));
        }
    }
    match txn.get("~attach") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(items)) => items.iter().try_for_each(check_attachment),
        Some(_) => Err(Problem::request("Transaction: [~attach] must be a list")),
    }
}

fn check_attachment(item: &Value) -> Result<(), Problem> {
    for fld in ["mime_type", "@id", "filename", "data"] {
        if item.get(fld).is_none_or(is_falsy) {
            return Err(Problem::request(format!(
                "Transaction attachment: missing [{fld}] attribute"
            )));
        }
    }
    let json = item.get("data").and_then(|d| d.get("json"));
    let set = |k: &str| json.and_then(|j| j.get(k)).is_some_and(|v| !is_falsy(v));
    if !set("url") || !set("md5") {
        return Err(Problem::request(
            "Transaction attachment: [url] and [md5] should be set",
        ));
    }
    Ok(())
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

fn target(txn: &Map<String, Value>) -> Result<Target, Problem> {
    let name = txn.get("ledger").and_then(|l| l.get("name"));
    let unexpected =
        |v: &Value| Problem::processing(format!("Unexpected ledger_name type: {}", json_type(v)));
    match name {
        Some(Value::String(s)) => Ok(Target::One(s.clone())),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| unexpected(v)))
            .collect::<Result<Vec<_>, _>>()
            .map(Target::Many),
        Some(other) => Err(unexpected(other)),
        None => Err(Problem::request("Transaction: ledger.name is empty")),
    }
}

const GU_REQUIRED: [&str; 11] = [
    "@type",
    "@id",
    "no",
    "date",
    "cargo_name",
    "depart_station",
    "arrival_station",
    "month",
    "year",
    "tonnage",
    "shipper",
];

fn gu(msg: &Map<String, Value>, kind: GuKind) -> Result<Request, Problem> {
    for attr in GU_REQUIRED {
        if !msg.contains_key(attr) {
            return Err(Problem::request(format!("Missing [{attr}] attribute")));
        }
    }
    if kind == GuKind::Gu11 && !msg.contains_key("decade") {
        return Err(Problem::request("Missing decade attribute for \"ГУ-11\""));
    }
    let id = id_of(msg);
    if id.is_empty() {
        return Err(Problem::request("[@id] attribute is empty"));
    }
    Ok(Request::Gu {
        id,
        kind,
        payload: msg.clone(),
    })
}
