//! What every page shares: who is looking ([`Viewer`] from the session cookie via
//! [`require`] and the [`PageRequest`] extractor, or an anonymous visitor with a pre-session
//! CSRF token), the common template context (language, strings, user, the menu's
//! approaching count, CSRF token, active menu item), redirects to the login page, error
//! pages, and the security headers of every `/ui` response.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, COOKIE, LOCATION, REFERRER_POLICY, SET_COOKIE,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{json, Map, Value};

use super::csrf;
use super::i18n::Lang;
use super::templates::render;
use super::WebState;
use crate::api::sessions::{self, cookie_from_header};
use crate::api::users::User;
use crate::api::ApiState;
use crate::storage::Role;

/// The Content-Security-Policy of every dashboard page.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; \
    form-action 'self'; base-uri 'none'";

/// A logged-in user looking at a page.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub user: User,
    /// The session cookie's value (the key of the CSRF token).
    pub session: String,
    pub csrf: String,
    pub lang: Lang,
    /// How many containers are approaching this node (the menu's counter), when known.
    pub approaching: Option<usize>,
}

impl Viewer {
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }

    /// Whether a submitted form token is this session's.
    pub fn csrf_ok(&self, form: &std::collections::HashMap<String, String>) -> bool {
        form.get(csrf::FIELD)
            .is_some_and(|given| csrf::matches(&self.csrf, given))
    }

    /// This viewer, if the form carries this session's CSRF token; else the 403 page (the
    /// handler then changes nothing). Async only so that it chains with [`require`].
    pub async fn with_csrf(
        self,
        form: &std::collections::HashMap<String, String>,
    ) -> Result<Viewer, Response> {
        if self.csrf_ok(form) {
            Ok(self)
        } else {
            Err(error_page(
                self.lang,
                Some(&self),
                StatusCode::FORBIDDEN,
                "csrf_failed",
            ))
        }
    }
}

/// Whether the node is served over HTTPS (cookies get `Secure`).
pub fn secure(state: &ApiState) -> bool {
    state.settings.public_url.as_str().starts_with("https://")
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| csrf::cookie_value(h, name))
}

/// The pre-session CSRF cookie's value, if any.
pub fn pre_session_cookie(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, csrf::PRE_SESSION_COOKIE)
}

/// The session cookie's value, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(cookie_from_header)
}

/// The logged-in viewer of a request, if the session is live.
pub async fn viewer(state: &ApiState, headers: &HeaderMap) -> Result<Option<Viewer>, Response> {
    let Some(token) = session_cookie(headers) else {
        return Ok(None);
    };
    let lang = Lang::of(headers);
    match sessions::lookup(&state.db, token, state.now_ms()).await {
        Ok(Some(user)) => Ok(Some(Viewer {
            user,
            session: token.to_owned(),
            csrf: csrf::session_token(token),
            lang,
            approaching: None,
        })),
        Ok(None) => Ok(None),
        Err(e) => {
            tracing::warn!(error = %e, "dashboard: session lookup failed");
            Err(error_page(
                lang,
                None,
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
            ))
        }
    }
}

/// What a page handler needs of its request to find the viewer (an extractor).
pub struct PageRequest {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub web: Arc<WebState>,
}

impl<S: Send + Sync> FromRequestParts<S> for PageRequest {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        let Some(web) = parts.extensions.get::<Arc<WebState>>().cloned() else {
            tracing::error!("dashboard: WebState missing from the router");
            return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        };
        Ok(PageRequest {
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            headers: parts.headers.clone(),
            web,
        })
    }
}

/// The viewer with the menu's approaching counter, or a redirect to the login page. A GET
/// (or HEAD) comes back to `uri` after the login (`?next=`); any other method cannot be
/// repeated by a redirect, so it goes to the plain login page (then the container list).
pub async fn require(state: &ApiState, req: &PageRequest) -> Result<Viewer, Response> {
    match viewer(state, &req.headers).await? {
        Some(mut v) => {
            v.approaching = approaching_count(state, &req.web).await;
            Ok(v)
        }
        None if req.method == Method::GET || req.method == Method::HEAD => {
            let next = req
                .uri
                .path_and_query()
                .map_or("/ui/containers", |p| p.as_str());
            Err(see_other(&format!(
                "/ui/login?next={}",
                super::url::query(next)
            )))
        }
        None => Err(see_other("/ui/login")),
    }
}

/// The viewer of a form post: logged in (else [`require`]'s redirect) and carrying this
/// session's CSRF token (else the 403 page).
pub async fn require_form(
    state: &ApiState,
    req: &PageRequest,
    form: &std::collections::HashMap<String, String>,
) -> Result<Viewer, Response> {
    require(state, req).await?.with_csrf(form).await
}

/// The number of approaching containers (the same rule as the list's tab, no filter);
/// `None` (no counter shown) when the storage fails.
async fn approaching_count(state: &ApiState, web: &WebState) -> Option<usize> {
    match web.summaries.all(state).await {
        Ok(all) => Some(all.iter().filter(|s| s.approaching).count()),
        Err(e) => {
            tracing::warn!(error = %e, "dashboard: approaching count failed");
            None
        }
    }
}

/// An anonymous visitor's CSRF token and, when new, the cookie to set.
pub fn pre_session(state: &ApiState, headers: &HeaderMap) -> (String, Option<String>) {
    match cookie(headers, csrf::PRE_SESSION_COOKIE) {
        Some(t) if crate::api::sessions::looks_like_secret(t) => (t.to_owned(), None),
        _ => {
            let token = csrf::new_pre_session();
            let set = csrf::pre_session_cookie(&token, secure(state));
            (token, Some(set))
        }
    }
}

/// 303 See Other.
pub fn see_other(location: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

/// Adds a `Set-Cookie` to a response.
pub fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(SET_COOKIE, v);
    }
    response
}

/// The context every page template gets.
pub fn base_context(
    lang: Lang,
    viewer: Option<&Viewer>,
    csrf: &str,
    active: &str,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("lang".into(), json!(lang.code()));
    m.insert("t".into(), lang.strings());
    m.insert("csrf".into(), json!(csrf));
    m.insert("active".into(), json!(active));
    if let Some(v) = viewer {
        m.insert(
            "user".into(),
            json!({"username": v.user.username, "admin": v.is_admin()}),
        );
        if let Some(n) = v.approaching {
            m.insert("nav_approaching".into(), json!(n));
        }
    }
    m
}

/// Renders a page for a viewer with the page's own context entries.
pub fn page(viewer: &Viewer, active: &str, template: &str, extra: Map<String, Value>) -> Response {
    let mut ctx = base_context(viewer.lang, Some(viewer), &viewer.csrf, active);
    ctx.extend(extra);
    html(StatusCode::OK, template, &Value::Object(ctx), viewer.lang)
}

/// Renders a template with a status; a template failure becomes a plain 500.
pub fn html(status: StatusCode, template: &str, ctx: &Value, lang: Lang) -> Response {
    match render(template, ctx) {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(template, error = %e, "dashboard: template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                lang.text("server_error").to_owned(),
            )
                .into_response()
        }
    }
}

/// An error page (403, 404, 500 …) with one message from the strings.
pub fn error_page(lang: Lang, viewer: Option<&Viewer>, status: StatusCode, key: &str) -> Response {
    let csrf = viewer.map_or("", |v| v.csrf.as_str());
    let mut ctx = base_context(lang, viewer, csrf, "");
    ctx.insert("message".into(), json!(lang.text(key)));
    ctx.insert("status".into(), json!(status.as_u16()));
    html(status, "error.html", &Value::Object(ctx), lang)
}

/// A storage or other internal failure, logged, as a 500 page.
pub fn internal(viewer: &Viewer, what: &str, e: impl std::fmt::Display) -> Response {
    tracing::warn!(error = %e, "dashboard: {what} failed");
    error_page(
        viewer.lang,
        Some(viewer),
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
    )
}

/// The security headers of every `/ui` response (see the contract in the module docs).
pub async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
