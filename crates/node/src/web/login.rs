//! `GET|POST /ui/login`, `POST /ui/logout`, `POST /ui/lang` and `GET /`.
//!
//! * Login checks the pre-session CSRF token, the failed-login limit ([`super::rate_limit`]),
//!   then the password ([`crate::api::users::check_password`]). Every failure — unknown
//!   user, wrong password, disabled account — shows the same message; a blocked key shows the
//!   same message plus when to retry (status 429). Success creates a session
//!   ([`crate::api::sessions::create`]) and redirects to `next` (a local `/ui/` path only).
//! * Logout is a POST with the session's CSRF token; it deletes the session and the cookie.
//! * The language switch stores `tmtm_lang` and goes back to the referring `/ui/` page.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::header::REFERER;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::{Extension, Form};
use serde_json::{json, Map, Value};

use super::csrf;
use super::i18n::{Lang, LANG_COOKIE};
use super::layout::{self, base_context, error_page, see_other, with_cookie, PageRequest};
use super::url::{local_next, query};
use super::WebState;
use crate::api::sessions::{self, SESSION_COOKIE};
use crate::api::users::{check_password, CheckError};
use crate::api::ApiState;

/// `GET /`: the container list when logged in, else the login page.
pub async fn root(State(state): State<ApiState>, headers: HeaderMap) -> Response {
    match layout::viewer(&state, &headers).await {
        Ok(Some(_)) => see_other("/ui/containers"),
        Ok(None) => see_other("/ui/login"),
        Err(r) => r,
    }
}

fn login_page(
    state: &ApiState,
    headers: &HeaderMap,
    status: StatusCode,
    next: &str,
    username: &str,
    error: Option<String>,
) -> Response {
    let lang = Lang::of(headers);
    let (token, set) = layout::pre_session(state, headers);
    let mut ctx = base_context(lang, None, &token, "login");
    let own = state.network.participant(&state.settings.own_did);
    let extra: Map<String, Value> = [
        ("next".to_owned(), json!(next)),
        ("next_q".to_owned(), json!(query(next))),
        ("username".to_owned(), json!(username)),
        ("error".to_owned(), json!(error)),
        ("org".to_owned(), json!(own.map(|p| p.organization.clone()))),
    ]
    .into_iter()
    .collect();
    ctx.extend(extra);
    let response = layout::html(status, "login.html", &Value::Object(ctx), lang);
    match set {
        Some(cookie) => with_cookie(response, &cookie),
        None => response,
    }
}

/// `GET /ui/login`.
pub async fn login_form(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let next = local_next(q.get("next").map(String::as_str));
    match layout::viewer(&state, &headers).await {
        Ok(Some(_)) => see_other(&next),
        Ok(None) => login_page(&state, &headers, StatusCode::OK, &next, "", None),
        Err(r) => r,
    }
}

/// `POST /ui/login`.
pub async fn login(
    State(state): State<ApiState>,
    Extension(web): Extension<Arc<WebState>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let lang = Lang::of(&headers);
    let field = |k: &str| form.get(k).map_or("", String::as_str);
    let next = local_next(Some(field("next")));
    let expected = layout::pre_session_cookie(&headers).unwrap_or_default();
    if !csrf::matches(expected, field(csrf::FIELD)) {
        return error_page(lang, None, StatusCode::FORBIDDEN, "csrf_failed");
    }
    let username = field("username").trim().to_owned();
    let ip = peer.map_or_else(
        || "-".to_owned(),
        |Extension(ConnectInfo(a))| a.ip().to_string(),
    );
    let now = state.now_ms();
    let failed = lang.text("login_failed");
    if let Some(minutes) = web.limiter.blocked(&username, &ip, now) {
        let text = format!(
            "{failed} {}",
            lang.text("login_limited")
                .replace("{}", &minutes.to_string())
        );
        return login_page(
            &state,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            &next,
            &username,
            Some(text),
        );
    }
    let user = match check_password(&state.db, &username, field("password")).await {
        Ok(user) => user,
        Err(CheckError::Storage(e)) => {
            tracing::warn!(error = %e, "dashboard login: storage failed");
            return error_page(
                lang,
                None,
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
            );
        }
        Err(CheckError::Invalid | CheckError::Disabled) => {
            web.limiter.failed(&username, &ip, now);
            return login_page(
                &state,
                &headers,
                StatusCode::UNAUTHORIZED,
                &next,
                &username,
                Some(failed.to_owned()),
            );
        }
    };
    web.limiter.succeeded(&username, &ip);
    let lifetime = state.settings.session_lifetime_ms;
    match sessions::create(&state.db, user.id, lifetime, now).await {
        Ok((token, _)) => {
            let cookie =
                sessions::set_cookie_value(&token, lifetime / 1000, layout::secure(&state));
            with_cookie(see_other(&next), &cookie)
        }
        Err(e) => {
            tracing::warn!(error = %e, "dashboard login: session not created");
            error_page(
                lang,
                None,
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
            )
        }
    }
}

/// `POST /ui/logout`.
pub async fn logout(
    State(state): State<ApiState>,
    req: PageRequest,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let viewer = match layout::require_form(&state, &req, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(e) = sessions::delete(&state.db, &viewer.session).await {
        return layout::internal(&viewer, "logout", e);
    }
    let secure = if layout::secure(&state) {
        "; Secure"
    } else {
        ""
    };
    let expired = format!("{SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax{secure}");
    with_cookie(see_other("/ui/login"), &expired)
}

/// `POST /ui/lang`: remembers the language and goes back.
pub async fn set_lang(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let viewer = match layout::viewer(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let given = form.get(csrf::FIELD).map_or("", String::as_str);
    let ok = match &viewer {
        Some(v) => csrf::matches(&v.csrf, given),
        None => csrf::matches(
            layout::pre_session_cookie(&headers).unwrap_or_default(),
            given,
        ),
    };
    let lang = Lang::of(&headers);
    if !ok {
        return error_page(lang, viewer.as_ref(), StatusCode::FORBIDDEN, "csrf_failed");
    }
    let chosen = form
        .get("lang")
        .and_then(|l| Lang::parse(l))
        .unwrap_or(lang);
    let secure = if layout::secure(&state) {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{LANG_COOKIE}={}; Max-Age=31536000; Path=/; SameSite=Lax{secure}",
        chosen.code()
    );
    let back = headers
        .get(REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(referer_path);
    with_cookie(see_other(&local_next(back.as_deref())), &cookie)
}

/// The path and query of a referring URL.
fn referer_path(referer: &str) -> Option<String> {
    let after_scheme = referer.split_once("://")?.1;
    let slash = after_scheme.find('/')?;
    Some(after_scheme[slash..].to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn referer_paths() {
        assert_eq!(
            super::referer_path("http://127.0.0.1:1/ui/gu11?q=1").as_deref(),
            Some("/ui/gu11?q=1")
        );
        assert_eq!(super::referer_path("nonsense"), None);
    }
}
