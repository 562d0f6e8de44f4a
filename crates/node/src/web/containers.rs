//! `GET /ui/containers?q=&status=&tab=all|approaching&page=`: the container list — search
//! (container name, departure or arrival station: case-insensitive substring; or a prefix of
//! the first document's date), status filter, the tabs "all" and "approaching" with counts
//! (both counts reflect the current search and status filter), [`PAGE_SIZE`] rows a page.
//! Summaries come from [`super::summary`].

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::i18n::Lang;
use super::layout::{self, page, PageRequest};
use super::summary::Summary;
use super::url::{container, query};
use crate::api::route::Status;
use crate::api::ApiState;

/// Rows per page.
pub const PAGE_SIZE: usize = 50;

/// `started` / `in_way` / `finished`.
pub fn status_code(status: Option<Status>) -> &'static str {
    match status {
        Some(Status::Started) => "started",
        Some(Status::InWay) => "in_way",
        Some(Status::Finished) => "finished",
        None => "",
    }
}

/// The caption of a status.
pub fn status_caption(lang: Lang, status: Option<Status>) -> &'static str {
    match status {
        Some(Status::Started) => lang.text("status_started"),
        Some(Status::InWay) => lang.text("status_in_way"),
        Some(Status::Finished) => lang.text("status_finished"),
        None => lang.text("status_none"),
    }
}

/// Whether a container matches the search text (already trimmed).
pub fn matches_search(s: &Summary, q: &str) -> bool {
    if q.is_empty() {
        return true;
    }
    let lower = q.to_lowercase();
    s.name.to_lowercase().contains(&lower)
        || s.depart.to_lowercase().contains(&lower)
        || s.arrival.to_lowercase().contains(&lower)
        || s.date.starts_with(q)
}

/// `GET /ui/containers`.
pub async fn list(
    State(state): State<ApiState>,
    req: PageRequest,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let viewer = match layout::require(&state, &req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let all = match req.web.summaries.all(&state).await {
        Ok(all) => all,
        Err(e) => return layout::internal(&viewer, "container list", e),
    };
    let q = params.get("q").map_or("", |s| s.trim()).to_owned();
    let status = params
        .get("status")
        .map(String::as_str)
        .filter(|s| ["started", "in_way", "finished"].contains(s))
        .unwrap_or("")
        .to_owned();
    let tab = if params.get("tab").map(String::as_str) == Some("approaching") {
        "approaching"
    } else {
        "all"
    };
    let filtered: Vec<&Arc<Summary>> = all
        .iter()
        .filter(|s| matches_search(s, &q))
        .filter(|s| status.is_empty() || status_code(s.status) == status)
        .collect();
    let approaching_count = filtered.iter().filter(|s| s.approaching).count();
    let all_count = filtered.len();
    let shown: Vec<&Arc<Summary>> = filtered
        .into_iter()
        .filter(|s| tab == "all" || s.approaching)
        .collect();
    let pages = shown.len().div_ceil(PAGE_SIZE).max(1);
    let page_no = params
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let lang = viewer.lang;
    let rows: Vec<Value> = shown
        .iter()
        .skip((page_no - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(|s| {
            json!({
                "name": s.name,
                "href": container(&s.name),
                "date": s.date,
                "depart": s.depart,
                "arrival": s.arrival,
                "cargo": s.cargo,
                "size": s.size,
                "status": status_code(s.status),
                "status_caption": status_caption(lang, s.status),
            })
        })
        .collect();
    let link = |tab: &str, page: usize| {
        let mut u = format!("/ui/containers?tab={tab}");
        if !q.is_empty() {
            u.push_str(&format!("&q={}", query(&q)));
        }
        if !status.is_empty() {
            u.push_str(&format!("&status={status}"));
        }
        if page > 1 {
            u.push_str(&format!("&page={page}"));
        }
        u
    };
    let mut ctx = Map::new();
    ctx.insert("q".into(), json!(q));
    ctx.insert("status".into(), json!(status));
    ctx.insert("tab".into(), json!(tab));
    ctx.insert("rows".into(), json!(rows));
    ctx.insert("all_count".into(), json!(all_count));
    ctx.insert("approaching_count".into(), json!(approaching_count));
    ctx.insert("tab_all_href".into(), json!(link("all", 1)));
    ctx.insert("tab_approaching_href".into(), json!(link("approaching", 1)));
    ctx.insert("page".into(), json!(page_no));
    ctx.insert("pages".into(), json!(pages));
    ctx.insert(
        "page_text".into(),
        json!(lang
            .text("page_of")
            .replacen("{}", &page_no.to_string(), 1)
            .replacen("{}", &pages.to_string(), 1)),
    );
    if page_no > 1 {
        ctx.insert("prev_href".into(), json!(link(tab, page_no - 1)));
    }
    if page_no < pages {
        ctx.insert("next_href".into(), json!(link(tab, page_no + 1)));
    }
    let active = if tab == "approaching" {
        "approaching"
    } else {
        "containers"
    };
    page(&viewer, active, "containers.html", ctx)
}
