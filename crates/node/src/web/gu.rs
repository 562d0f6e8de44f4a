//! `GET /ui/gu11`, `/ui/gu12` (registers: filter, paging, the sender organisation of each
//! record, attachment links by the same rules as the container page) and `/ui/gu11/new`,
//! `/ui/gu12/new` (the create form; `assets/gu.js` uploads the files and sends the `gu-11` /
//! `gu-12` command over the command WebSocket, which stores and broadcasts the record).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::layout::{self, page, PageRequest, Viewer};
use super::url::{attachment_href, query};
use crate::api::gu::gu_object;
use crate::api::ws::validate::PREFIX;
use crate::api::ApiState;
use crate::storage::{GuKind, GuRecord};

/// Rows per page.
pub const PAGE_SIZE: usize = 50;
/// Most records searched by the filter (the newest).
pub const MAX_SCANNED: u64 = 10_000;

/// The fields of the list and the form, in order (`decade` only for GU-11).
fn fields(kind: GuKind) -> Vec<&'static str> {
    let mut f = vec![
        "no",
        "date",
        "cargo_name",
        "depart_station",
        "arrival_station",
        "month",
        "year",
    ];
    if kind == GuKind::Gu11 {
        f.push("decade");
    }
    f.extend(["tonnage", "shipper"]);
    f
}

fn label_key(field: &str) -> &'static str {
    match field {
        "no" => "g_no",
        "date" => "g_date",
        "cargo_name" => "g_cargo",
        "depart_station" => "g_depart",
        "arrival_station" => "g_arrival",
        "month" => "g_month",
        "year" => "g_year",
        "decade" => "g_decade",
        "tonnage" => "g_tonnage",
        _ => "g_shipper",
    }
}

fn names(kind: GuKind) -> (&'static str, &'static str) {
    match kind {
        GuKind::Gu11 => ("gu11", "gu-11"),
        GuKind::Gu12 => ("gu12", "gu-12"),
    }
}

fn row(state: &ApiState, kind: GuKind, r: &GuRecord) -> Value {
    let obj = gu_object(r);
    let values: Vec<Value> = fields(kind)
        .iter()
        .map(|f| obj.get(*f).cloned().unwrap_or(Value::Null))
        .collect();
    let sender = state
        .network
        .participant(&tmtm_wire::keys::Did::new(r.sender_did.clone()))
        .map_or_else(|| r.sender_did.clone(), |p| p.organization.clone());
    let docs: Vec<Value> = match obj.get("attachments") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|a| {
                let url = a.get("url").and_then(Value::as_str).unwrap_or("");
                let name = a.get("filename").and_then(Value::as_str).unwrap_or("");
                json!({
                    "filename": if name.is_empty() { url } else { name },
                    "href": attachment_href(url, state.settings.public_url.as_str()),
                    "md5": a.get("md5").cloned().unwrap_or(Value::Null),
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    json!({"id": r.id, "values": values, "sender": sender, "sender_did": r.sender_did, "docs": docs})
}

fn matches(v: &Value, q: &str) -> bool {
    if q.is_empty() {
        return true;
    }
    let hay = v.to_string().to_lowercase();
    hay.contains(&q.to_lowercase())
}

async fn list(
    state: ApiState,
    req: PageRequest,
    params: HashMap<String, String>,
    kind: GuKind,
) -> Response {
    let viewer = match layout::require(&state, &req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let records = match state.db.list_gu(kind, 0, MAX_SCANNED).await {
        Ok(p) => p.items,
        Err(e) => return layout::internal(&viewer, "GU list", e),
    };
    let q = params.get("q").map_or("", |s| s.trim()).to_owned();
    let rows: Vec<Value> = records
        .iter()
        .map(|r| row(&state, kind, r))
        .filter(|v| matches(&json!([v.get("values"), v.get("sender")]), &q))
        .collect();
    let pages = rows.len().div_ceil(PAGE_SIZE).max(1);
    let page_no = params
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let (slug, _) = names(kind);
    let link = |p: usize| format!("/ui/{slug}?q={}&page={p}", query(&q));
    let mut ctx = base(&viewer, kind);
    ctx.insert("q".into(), json!(q));
    ctx.insert(
        "rows".into(),
        json!(rows
            .into_iter()
            .skip((page_no - 1) * PAGE_SIZE)
            .take(PAGE_SIZE)
            .collect::<Vec<_>>()),
    );
    if page_no > 1 {
        ctx.insert("prev_href".into(), json!(link(page_no - 1)));
    }
    if page_no < pages {
        ctx.insert("next_href".into(), json!(link(page_no + 1)));
    }
    page(&viewer, slug, "gu_list.html", ctx)
}

fn base(viewer: &Viewer, kind: GuKind) -> Map<String, Value> {
    let (slug, command) = names(kind);
    let columns: Vec<Value> = fields(kind)
        .iter()
        .map(|f| json!({"name": f, "label": viewer.lang.text(label_key(f))}))
        .collect();
    let mut ctx = Map::new();
    ctx.insert("slug".into(), json!(slug));
    ctx.insert(
        "title".into(),
        json!(viewer.lang.text(if kind == GuKind::Gu11 {
            "nav_gu11"
        } else {
            "nav_gu12"
        })),
    );
    ctx.insert("columns".into(), json!(columns));
    ctx.insert("command".into(), json!(format!("{PREFIX}{command}")));
    ctx.insert("gu11".into(), json!(kind == GuKind::Gu11));
    ctx
}

async fn form(state: ApiState, req: PageRequest, kind: GuKind) -> Response {
    let viewer = match layout::require(&state, &req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let ctx = base(&viewer, kind);
    page(&viewer, names(kind).0, "gu_form.html", ctx)
}

/// `GET /ui/gu11`.
pub async fn list11(
    State(state): State<ApiState>,
    req: PageRequest,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    list(state, req, q, GuKind::Gu11).await
}

/// `GET /ui/gu12`.
pub async fn list12(
    State(state): State<ApiState>,
    req: PageRequest,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    list(state, req, q, GuKind::Gu12).await
}

/// `GET /ui/gu11/new`.
pub async fn form11(State(state): State<ApiState>, req: PageRequest) -> Response {
    form(state, req, GuKind::Gu11).await
}

/// `GET /ui/gu12/new`.
pub async fn form12(State(state): State<ApiState>, req: PageRequest) -> Response {
    form(state, req, GuKind::Gu12).await
}
