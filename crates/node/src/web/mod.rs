//! The web dashboard (`PRODUCT.md` §5): server-rendered pages under `/ui/` for dispatchers
//! and document clerks, in Russian and English, with every asset embedded in the binary.
//!
//! * [`router`] adds the pages to the API router (`api::router` merges it); every `/ui`
//!   response gets the CSP and security headers of [`layout::security_headers`].
//! * Pages: [`login`] (login, logout, language, `/`), [`containers`] (list, search, tabs,
//!   paging; summaries from [`summary`]), [`container`] (route picture from [`route_svg`],
//!   timeline), [`wizard`] (the transaction wizard; its JS talks to the command WebSocket),
//!   [`gu`] (GU-11/GU-12 registers and forms), [`network`] (participants, health, card),
//!   [`admin`] (users, tokens; admins only).
//! * Shared: [`layout`] (viewer, page context, errors, headers), [`templates`] (minijinja,
//!   auto-escaping on), [`i18n`] (language choice) and [`strings`], [`csrf`] (tokens on every form),
//!   [`rate_limit`] (failed logins), [`url`] (safe links), [`assets`] (CSS/JS).
//!
//! Authentication is the session cookie of [`crate::api::sessions`]; anonymous requests for a
//! page are redirected to `/ui/login?next=…` (non-GET requests to `/ui/login` without `next`,
//! see [`layout::require`]), and every page's menu shows the approaching count. Every POST checks the CSRF token in constant
//! time. Nothing from a user or a peer is ever marked safe in a template.

pub mod admin;
pub mod assets;
pub mod container;
pub mod containers;
pub mod csrf;
pub mod gu;
pub mod i18n;
pub mod layout;
pub mod login;
pub mod network;
pub mod rate_limit;
pub mod route_svg;
pub mod strings;
pub mod summary;
pub mod templates;
pub mod url;
pub mod wizard;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{middleware, Extension, Router};

use crate::api::ApiState;

/// State the dashboard keeps beside [`ApiState`] (one per router).
#[derive(Default)]
pub struct WebState {
    pub limiter: rate_limit::LoginLimiter,
    pub summaries: summary::SummaryCache,
}

/// The dashboard's routes.
pub fn router() -> Router<ApiState> {
    let web = Arc::new(WebState::default());
    let ui = Router::new()
        .route("/ui", get(|| async { layout::see_other("/ui/containers") }))
        .route(
            "/ui/",
            get(|| async { layout::see_other("/ui/containers") }),
        )
        .route("/ui/login", get(login::login_form).post(login::login))
        .route("/ui/logout", post(login::logout))
        .route("/ui/lang", post(login::set_lang))
        .route("/ui/containers", get(containers::list))
        .route("/ui/containers/{name}", get(container::show))
        .route("/ui/wizard", get(wizard::wizard))
        .route("/ui/gu11", get(gu::list11))
        .route("/ui/gu12", get(gu::list12))
        .route("/ui/gu11/new", get(gu::form11))
        .route("/ui/gu12/new", get(gu::form12))
        .route("/ui/network", get(network::page))
        .route("/ui/network/check", post(network::check))
        .route("/ui/admin", get(admin::page))
        .route("/ui/admin/users", post(admin::create_user))
        .route("/ui/admin/users/disable", post(admin::disable_user))
        .route("/ui/admin/users/reset", post(admin::reset_password))
        .route("/ui/admin/tokens", post(admin::issue_token))
        .route("/ui/admin/tokens/revoke", post(admin::revoke_token))
        .route("/ui/assets/{name}", get(assets::asset))
        .route("/ui/{*rest}", get(not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(Extension(web))
        .layer(middleware::map_response(layout::security_headers));
    Router::new().route("/", get(login::root)).merge(ui)
}

/// A method a `/ui/…` route does not take: the login page (without `next`) for anonymous
/// visitors, else 405.
async fn method_not_allowed(
    axum::extract::State(state): axum::extract::State<ApiState>,
    req: layout::PageRequest,
) -> Response {
    match layout::require(&state, &req).await {
        Ok(v) => layout::error_page(
            v.lang,
            Some(&v),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        Err(r) => r,
    }
}

/// Any other `/ui/…` page: the login page for anonymous visitors, else 404.
async fn not_found(
    axum::extract::State(state): axum::extract::State<ApiState>,
    req: layout::PageRequest,
) -> Response {
    match layout::require(&state, &req).await {
        Ok(v) => layout::error_page(v.lang, Some(&v), StatusCode::NOT_FOUND, "not_found"),
        Err(r) => r,
    }
}
