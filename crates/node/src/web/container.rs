//! `GET /ui/containers/{name}`: one container — the route picture ([`super::route_svg`]),
//! days in way and expected arrival (the REST API's rules, [`crate::api::route`]), and the
//! timeline of its transactions (oldest first) with document type, signer organisation,
//! verified/unverified mark, documents (links only to this node's `/content/` or http(s);
//! size and SHA-256 from this node's upload records when the file is ours, else as the
//! signed attachment declares them in `data.json.size` / `data.json.sha256`, which the
//! wizard adds) and the raw transaction.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::containers::{status_caption, status_code};
use super::i18n::{doc_type_caption, Lang};
use super::layout::{self, error_page, page, PageRequest, Viewer};
use super::route_svg;
use super::url::{attachment_href, content_uid, query};
use crate::api::clock::{civil_from_days, utc_day};
use crate::api::meta::MAX_META_RESULTS;
use crate::api::route::{days_in_way, parse_doc_date, Status};
use crate::api::view::{date_text, view, Viewed};
use crate::api::ApiState;

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// The documents of a transaction, ready for the template.
async fn documents(state: &ApiState, txn: &Value) -> Vec<Value> {
    let Some(Value::Array(items)) = txn.get("~attach") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for a in items {
        let url = text(a.pointer("/data/json/url"));
        let href = attachment_href(&url, state.settings.public_url.as_str());
        let upload = match href.as_deref().and_then(content_uid) {
            Some(uid) => state.db.upload(uid).await.ok().flatten(),
            None => None,
        };
        let filename = text(a.get("filename"));
        out.push(json!({
            "filename": if filename.is_empty() { url.clone() } else { filename },
            "url": url,
            "href": href,
            "md5": text(a.pointer("/data/json/md5")),
            "size": upload.as_ref().map(|u| u.size).or_else(|| a.pointer("/data/json/size").and_then(Value::as_u64)),
            "sha256": upload.as_ref().map(|u| u.sha256.clone()).or_else(|| {
                a.pointer("/data/json/sha256").and_then(Value::as_str).map(str::to_owned)
            }),
        }));
    }
    out
}

fn fmt_day(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{d:02}.{m:02}.{y}")
}

/// (expected arrival text, whether the next hop is overdue).
fn expected_arrival(
    state: &ApiState,
    lang: Lang,
    current: Option<usize>,
    status: Option<Status>,
    last_date: Option<&str>,
    today: i64,
) -> (String, bool) {
    if status == Some(Status::Finished) {
        return (lang.text("arrived").to_owned(), false);
    }
    let next = current.and_then(|c| state.network.route().get(c + 1));
    let (Some(next), Some(last)) = (next, last_date.and_then(parse_doc_date)) else {
        return (lang.text("unknown").to_owned(), false);
    };
    let Some(days) = next.days else {
        return (lang.text("unknown").to_owned(), false);
    };
    let due = last + i64::from(days);
    let left = due - today;
    let org = state
        .network
        .participant(&next.did)
        .map_or_else(|| next.did.as_str().to_owned(), |p| p.organization.clone());
    let when = match left {
        0 => lang.text("arrives_today").to_owned(),
        l if l > 0 => lang.text("arrives_in").replace("{}", &l.to_string()),
        l => lang.text("overdue_by").replace("{}", &(-l).to_string()),
    };
    (format!("{org}: {} ({when})", fmt_day(due)), left < 0)
}

/// `GET /ui/containers/{name}`.
pub async fn show(
    State(state): State<ApiState>,
    req: PageRequest,
    Path(name): Path<String>,
) -> Response {
    let viewer = match layout::require(&state, &req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match render(&state, &viewer, &name).await {
        Ok(Some(r)) => r,
        Ok(None) => error_page(
            viewer.lang,
            Some(&viewer),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        Err(e) => layout::internal(&viewer, "container page", e),
    }
}

async fn render(
    state: &ApiState,
    viewer: &Viewer,
    name: &str,
) -> Result<Option<Response>, crate::storage::StorageError> {
    let Some(ledger) = state.db.ledger_by_name(name).await? else {
        return Ok(None);
    };
    let total = ledger.size;
    let start = total.saturating_sub(MAX_META_RESULTS);
    let records = state
        .db
        .list_transactions(ledger.id, start, total - start)
        .await?
        .items;
    let policy = state.settings.signature_policy;
    let viewed: Vec<(Viewed, &crate::storage::TransactionRecord)> = records
        .iter()
        .map(|r| (view(r, &state.network, policy), r))
        .collect();
    let lang = viewer.lang;
    let today = utc_day(state.now_ms());
    let first_date = viewed.first().and_then(|(v, _)| date_text(&v.object));
    let last = viewed.last().map(|(v, _)| v);
    let last_date = last.and_then(|v| date_text(&v.object));
    let status = last.and_then(|v| v.object.status);
    let current = route_svg::position(&state.network, last.and_then(|v| v.signer.as_ref()));
    let (arrival, overdue) = expected_arrival(state, lang, current, status, last_date, today);
    let days = match days_in_way(first_date, last_date, status, today) {
        Some(-1) => lang.text("arrived").to_owned(),
        Some(n) => format!("{n} {}", lang.text("days")),
        None => lang.text("unknown").to_owned(),
    };
    let mut rows = Vec::new();
    for (v, record) in &viewed {
        let txn = &v.object.txn;
        rows.push(json!({
            "seq_no": v.object.seq_no,
            "no": text(txn.get("no")),
            "date": text(txn.get("date")),
            "doc_type": doc_type_caption(lang, &text(txn.get("doc_type"))),
            "signer": v.object.signer_label,
            "verified": v.object.signature_verified,
            "status": status_code(v.object.status),
            "documents": documents(state, txn).await,
            "raw": serde_json::to_string_pretty(record.txn.as_map()).unwrap_or_default(),
        }));
    }
    let mut ctx = Map::new();
    ctx.insert("name".into(), json!(ledger.name));
    ctx.insert("name_q".into(), json!(query(&ledger.name)));
    ctx.insert("status".into(), json!(status_code(status)));
    ctx.insert("status_caption".into(), json!(status_caption(lang, status)));
    ctx.insert("days_in_way".into(), json!(days));
    ctx.insert("expected_arrival".into(), json!(arrival));
    ctx.insert("overdue".into(), json!(overdue));
    ctx.insert(
        "route".into(),
        json!(route_svg::build(&state.network, current, overdue)),
    );
    ctx.insert("rows".into(), json!(rows));
    Ok(Some(page(viewer, "containers", "container.html", ctx)))
}
