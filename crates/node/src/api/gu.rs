//! `GET /gu-11/`, `/gu-11/{id}/`, `/gu-12/`, `/gu-12/{id}/`: this node's GU-11 / GU-12
//! registers (own records and those received from other participants), newest first,
//! paginated. The fields are the original's, plus the record `id` (missing in the
//! original), the `sender` DID, the message `@id` and `received_at`. Storing and sending
//! records is the command WebSocket's and the agent's job ([`Database::insert_gu`]).
//!
//! [`Database::insert_gu`]: crate::storage::Database::insert_gu

use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::clock::rfc3339;
use super::error::{parse_id, ApiError, ApiPath, ApiQuery, ErrorBody};
use super::pagination::{envelope, map_page, PageParams, Paginated};
use super::ApiState;
use crate::storage::{GuKind, GuRecord};

/// The business fields of a record, in the original's order (`decade` is GU-11 only).
const FIELDS: [&str; 9] = [
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

/// A GU record (for the OpenAPI document; the response is built as JSON in field order).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct GuObject {
    id: i64,
    no: String,
    date: String,
    cargo_name: String,
    depart_station: String,
    arrival_station: String,
    month: String,
    year: String,
    /// GU-11 only.
    decade: Option<String>,
    tonnage: String,
    shipper: String,
    /// `[{url, md5, filename, mime_type}]`.
    #[schema(value_type = Vec<Object>)]
    attachments: Vec<Value>,
    /// DID of the participant that sent (or, for own records, created) it.
    sender: String,
    /// The message `@id`.
    #[schema(rename = "@id")]
    message_id: String,
    /// RFC 3339, UTC.
    received_at: String,
    /// The issuing node's RFC 0234 signature over the record (`null` for records from
    /// peers that do not sign them, such as the original Python service).
    #[schema(rename = "msg~sig", value_type = Option<Object>)]
    msg_sig: Option<Value>,
}

/// A page of GU records (for the OpenAPI document).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct GuPage {
    count: u64,
    next: Option<String>,
    previous: Option<String>,
    results: Vec<GuObject>,
}

fn text(payload: &Value, key: &str) -> Value {
    match payload.get(key) {
        Some(Value::String(s)) => Value::String(s.clone()),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => Value::String(v.to_string()),
        _ => Value::String(String::new()),
    }
}

fn attachments(payload: &Value) -> Value {
    if let Some(Value::Array(items)) = payload.get("~attach") {
        let flat = items
            .iter()
            .map(|a| {
                let json = a.pointer("/data/json");
                let mut m = Map::new();
                m.insert("url".into(), json.map_or(Value::Null, |j| text(j, "url")));
                m.insert("md5".into(), json.map_or(Value::Null, |j| text(j, "md5")));
                m.insert("filename".into(), text(a, "filename"));
                m.insert("mime_type".into(), text(a, "mime_type"));
                Value::Object(m)
            })
            .collect();
        return Value::Array(flat);
    }
    match payload.get("attachments") {
        Some(v @ Value::Array(_)) => v.clone(),
        _ => Value::Array(Vec::new()),
    }
}

/// The API object of a record.
pub fn gu_object(record: &GuRecord) -> Value {
    let p = &record.payload;
    let mut m = Map::new();
    m.insert("id".into(), Value::from(record.id));
    for key in FIELDS {
        if key == "tonnage" && record.kind == GuKind::Gu11 {
            m.insert("decade".into(), text(p, "decade"));
        }
        m.insert(key.into(), text(p, key));
    }
    m.insert("attachments".into(), attachments(p));
    m.insert("sender".into(), Value::String(record.sender_did.clone()));
    m.insert("@id".into(), Value::String(record.message_id.clone()));
    m.insert(
        "received_at".into(),
        Value::String(rfc3339(record.received_at_ms)),
    );
    m.insert(
        "msg~sig".into(),
        p.get("msg~sig").cloned().unwrap_or(Value::Null),
    );
    Value::Object(m)
}

async fn list(
    state: &ApiState,
    kind: GuKind,
    query: &HashMap<String, String>,
) -> Result<Json<Paginated<Value>>, ApiError> {
    let mut params = PageParams::from_query(query)?;
    let total = state.db.list_gu(kind, 0, 0).await?.total;
    let (offset, limit) = params.window(total)?;
    let (total, results) = map_page(state.db.list_gu(kind, offset, limit).await?, |r| {
        gu_object(&r)
    });
    let path = format!("/{}/", kind.as_str());
    Ok(Json(envelope(state, &path, params, total, results)))
}

async fn one(state: &ApiState, kind: GuKind, id: &str) -> Result<Json<Value>, ApiError> {
    let id = parse_id(id)?;
    let record = state
        .db
        .gu_record(kind, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(gu_object(&record)))
}

/// GU-11 records, newest first.
#[utoipa::path(get, path = "/gu-11/", tag = "gu",
    params(("page" = Option<u64>, Query, description = "1-based page"),
           ("page_size" = Option<u64>, Query, description = "1..=1000, default 100")),
    responses((status = 200, body = GuPage), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("basic" = []), ("session" = [])))]
pub async fn list_gu11(
    State(state): State<ApiState>,
    ApiQuery(q): ApiQuery<HashMap<String, String>>,
) -> Result<Json<Paginated<Value>>, ApiError> {
    list(&state, GuKind::Gu11, &q).await
}

/// GU-12 records, newest first.
#[utoipa::path(get, path = "/gu-12/", tag = "gu",
    params(("page" = Option<u64>, Query, description = "1-based page"),
           ("page_size" = Option<u64>, Query, description = "1..=1000, default 100")),
    responses((status = 200, body = GuPage), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("basic" = []), ("session" = [])))]
pub async fn list_gu12(
    State(state): State<ApiState>,
    ApiQuery(q): ApiQuery<HashMap<String, String>>,
) -> Result<Json<Paginated<Value>>, ApiError> {
    list(&state, GuKind::Gu12, &q).await
}

/// One GU-11 record.
#[utoipa::path(get, path = "/gu-11/{id}/", tag = "gu",
    params(("id" = i64, Path, description = "Record id")),
    responses((status = 200, body = GuObject), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("basic" = []), ("session" = [])))]
pub async fn get_gu11(
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    one(&state, GuKind::Gu11, &id).await
}

/// One GU-12 record.
#[utoipa::path(get, path = "/gu-12/{id}/", tag = "gu",
    params(("id" = i64, Path, description = "Record id")),
    responses((status = 200, body = GuObject), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("basic" = []), ("session" = [])))]
pub async fn get_gu12(
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    one(&state, GuKind::Gu12, &id).await
}
