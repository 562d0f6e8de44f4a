//! `GET /ui/wizard?new=1` or `?ledger=a[&ledger=b…]`: the transaction wizard. The page is a
//! form; `assets/wizard.js` uploads the files (`POST /upload`, with progress), builds the
//! exact command message (create-ledger for a new container, issue-transaction otherwise;
//! several containers → `ledger.name` is a list, the parallel flow), shows it, and sends it
//! over the command WebSocket `/transactions` (authenticated by the session cookie), showing
//! the round's progress and the final result or problem report. Adding to an existing
//! container pre-fills cargo and stations from its first transaction.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::i18n::{Lang, DOC_TYPES};
use super::layout::{self, page, PageRequest};
use crate::api::clock::{civil_from_days, utc_day};
use crate::api::ws::validate::PREFIX;
use crate::api::ApiState;
use crate::config::DocumentSet;

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

/// The document types as two option groups: the node's own set first (its first type is
/// the default), then the other set.
pub fn doc_type_groups(lang: Lang, own: DocumentSet) -> Value {
    let group = |set: DocumentSet| -> Value {
        let sea = set == DocumentSet::Sea;
        let types: Vec<Value> = DOC_TYPES
            .iter()
            .filter(|d| d.3 == sea)
            .map(|(id, ru, en, _)| json!({"id": id, "caption": if lang == Lang::Ru { ru } else { en }}))
            .collect();
        let label = lang.text(if sea { "sea_set" } else { "rail_set" });
        json!({"set": set.as_str(), "label": label, "types": types})
    };
    let other = match own {
        DocumentSet::Rail => DocumentSet::Sea,
        DocumentSet::Sea => DocumentSet::Rail,
    };
    json!([group(own), group(other)])
}

/// `GET /ui/wizard`.
pub async fn wizard(
    State(state): State<ApiState>,
    req: PageRequest,
    RawQuery(raw): RawQuery,
) -> Response {
    let viewer = match layout::require(&state, &req).await {
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
    ctx.insert(
        "doc_groups".into(),
        doc_type_groups(viewer.lang, state.settings.document_set),
    );
    ctx.insert("prefix".into(), json!(PREFIX));
    page(&viewer, "containers", "wizard.html", ctx)
}

#[cfg(test)]
mod tests {
    use super::{doc_type_groups, ledger_params};
    use crate::config::DocumentSet;
    use crate::web::i18n::Lang;

    #[test]
    fn the_own_document_set_comes_first() {
        let rail = doc_type_groups(Lang::En, DocumentSet::Rail);
        assert_eq!(rail[0]["set"], "rail");
        assert_eq!(rail[0]["types"][0]["id"], "WayBill");
        assert_eq!(rail[1]["set"], "sea");
        let sea = doc_type_groups(Lang::Ru, DocumentSet::Sea);
        assert_eq!(sea[0]["set"], "sea");
        assert_eq!(sea[0]["types"][0]["id"], "\u{0421}onnaissement");
        assert_eq!(sea[1]["types"][0]["id"], "WayBill");
    }

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
