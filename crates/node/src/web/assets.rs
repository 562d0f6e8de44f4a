//! `GET /ui/assets/{name}`: the dashboard's CSS and JavaScript, embedded in the binary (no
//! CDN, no external fonts). Unknown names answer 404.

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// (name, content type, bytes).
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("assets/style.css"),
    ),
    (
        "tmtm.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/tmtm.js"),
    ),
    (
        "wizard.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/wizard.js"),
    ),
    (
        "gu.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/gu.js"),
    ),
];

/// Serves one asset.
pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, ty, body)) => (
            [(CONTENT_TYPE, *ty), (CACHE_CONTROL, "public, max-age=300")],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
