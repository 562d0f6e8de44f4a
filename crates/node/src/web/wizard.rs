//! `GET /ui/wizard?new=1` or `?ledger=a[&ledger=b…]`: the transaction wizard. The page is a
//! form; `assets/wizard.js` uploads the files (`POST /upload`, with progress), builds the
//! exact command message (create-ledger for a new container, issue-transaction otherwise;
//! several containers → `ledger.name` is a list, the parallel flow), shows it, and sends it
//! over the command WebSocket `/transactions` (authenticated by the session cookie), showing
//! the round's progress and the final result or problem report. Adding to an existing
//! container pre-fills cargo and stations from its first transaction.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::i18n::{Lang, DOC_TYPES};
use super::layout::{self, page};
use crate::api::clock::{civil_from_days, utc_day};
use crate::api::ws::validate::PREFIX;
use crate::api::ApiState;

/// The names in `ledger=` parameters (empty ones dropped, duplicates removed).
pub fn ledger_params(raw: Option<&str>) -> (bool, Vec<String>) {
    let mut new = false;
    let mut names: Vec<String> = Vec::new();
    for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "new" => new = v == "1",
            "ledger" => {
                let v = v.trim().to_owned();
                if !v.is_empty() && !names.contains(&v) {
                    names.push(v);
                }
            }
            _ => {}
        }
    }
    (new || names.is_empty(), names)
}

fn doc_types(lang: Lang) -> Value {
    let group = |sea: bool| -> Vec<Value> {
        DOC_TYPES
            .iter()
            .filter(|d| d.3 == sea)
            .map(|(id, ru, en, _)| json!({"id": id, "caption": if lang == Lang::Ru { ru } else { en }}))
            .collect()
    };
    json!({"rail": group(false), "sea": group(true)})
}

/// `GET /ui/wizard`.
pub async fn wizard(
    State(state): State<ApiState>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Response {
    let viewer = match layout::require(&state, &headers, &uri).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (new, names) = ledger_params(raw.as_deref());
    let mut prefill = Map::new();
    if let Some(first) = names.first().filter(|_| !new) {
        let txn = match state.db.ledger_by_name(first).await {
            Ok(Some(l)) => state.db.transaction(l.id, 1).await.ok().flatten(),
            Ok(None) => None,
            Err(e) => return layout::internal(&viewer, "wizard", e),
        };
        if let Some(t) = txn {
            for (from, to) in [
                ("cargo", "cargo_name"),
                ("departure_station", "depart_station"),
                ("arrival_station", "arrival_station"),
            ] {
                if let Some(Value::String(s)) = t.txn.as_map().get(from) {
                    prefill.insert(to.into(), json!(s));
                }
            }
        }
    }
    let (y, m, d) = civil_from_days(utc_day(state.now_ms()));
    let mut ctx = Map::new();
    ctx.insert("mode".into(), json!(if new { "new" } else { "add" }));
    ctx.insert("ledgers".into(), json!(names.join(", ")));
    ctx.insert("today".into(), json!(format!("{d:02}.{m:02}.{y}")));
    ctx.insert("prefill".into(), Value::Object(prefill));
    ctx.insert("doc_types".into(), doc_types(viewer.lang));
    ctx.insert("prefix".into(), json!(PREFIX));
    page(&viewer, "containers", "wizard.html", ctx)
}

#[cfg(test)]
mod tests {
    use super::ledger_params;

    #[test]
    fn ledger_parameters() {
        assert_eq!(ledger_params(Some("new=1")), (true, vec![]));
        assert_eq!(
            ledger_params(Some("ledger=a&ledger=b%2Fc&ledger=a&ledger=")),
            (false, vec!["a".to_owned(), "b/c".to_owned()])
        );
        assert_eq!(ledger_params(None), (true, vec![]));
    }
}
