//! `GET /ui/network`: every participant of the network file (organisation, DID, endpoint,
//! route position) with the last health-check result and round-trip time
//! ([`crate::api::health::last_check`]), and this node's participant card (the text
//! `tmtm init` prints). `POST /ui/network/check` runs the check now
//! ([`crate::api::health::check_health`], shared with the REST endpoint and its cache) and
//! redirects back.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use axum::Form;
use serde_json::{json, Map, Value};

use super::layout::{self, see_other, PageRequest};
use crate::api::clock::rfc3339;
use crate::api::health::{check_health, last_check};
use crate::api::ApiState;
use crate::identity::ParticipantCard;

/// `GET /ui/network`.
pub async fn page(
    State(state): State<ApiState>,
    req: PageRequest,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let viewer = match layout::require(&state, &req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let lang = viewer.lang;
    let last = last_check(&state);
    let own = &state.settings.own_did;
    let rows: Vec<Value> = state
        .network
        .participants()
        .iter()
        .map(|p| {
            let did = p.did.as_str();
            let result = last.as_ref().and_then(|(_, c)| c.participants.get(did));
            let (health, class) = if &p.did == own {
                (lang.text("this_node").to_owned(), "self")
            } else {
                match result {
                    Some(r) if r.ok => (lang.text("health_ok").to_owned(), "ok"),
                    Some(r) => (
                        format!(
                            "{}: {}",
                            lang.text("health_fail"),
                            r.error.clone().unwrap_or_default()
                        ),
                        "fail",
                    ),
                    None => (lang.text("health_never").to_owned(), "never"),
                }
            };
            json!({
                "organisation": p.organization,
                "label": p.label,
                "did": did,
                "endpoint": p.endpoint.as_str(),
                "route": state.network.route_position(&p.did).map(|i| i + 1),
                "health": health,
                "health_class": class,
                "rtt": result.and_then(|r| r.rtt_ms),
            })
        })
        .collect();
    let card = state.network.participant(own).map(|p| {
        ParticipantCard {
            did: p.did.clone(),
            verkey: p.verkey,
            endpoint: p.endpoint.as_str().to_owned(),
        }
        .to_string()
    });
    let mut ctx = Map::new();
    ctx.insert("rows".into(), json!(rows));
    ctx.insert("card".into(), json!(card));
    ctx.insert("checked_at".into(), json!(last.map(|(at, _)| rfc3339(at))));
    if q.contains_key("unavailable") {
        ctx.insert(
            "flash".into(),
            json!("This node has no transport to ping with."),
        );
        ctx.insert("flash_kind".into(), json!("error"));
    }
    layout::page(&viewer, "network", "network.html", ctx)
}

/// `POST /ui/network/check`.
pub async fn check(
    State(state): State<ApiState>,
    req: PageRequest,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(r) = layout::require_form(&state, &req, &form).await {
        return r;
    }
    match check_health(State(state)).await {
        Ok(_) => see_other("/ui/network"),
        Err(_) => see_other("/ui/network?unavailable=1"),
    }
}
