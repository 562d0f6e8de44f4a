//! `GET /ui/admin` and its forms (admins only; anyone else gets the 403 page): users —
//! create, disable/enable, reset password (typed by the admin, or generated and shown once)
//! — and API tokens — issue for a user (the token is shown once) and revoke. Every form
//! carries the CSRF token. The answers to forms render the page directly (with the flash),
//! so a generated password or token is never put in a URL.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use serde_json::{json, Map, Value};

use super::layout::{self, error_page, PageRequest, Viewer};
use crate::api::clock::rfc3339;
use crate::api::sessions::new_secret;
use crate::api::users::{add_user, list_users, set_disabled, set_password};
use crate::api::{tokens, ApiState};
use crate::secret::Secret;
use crate::storage::Role;

/// A flash message and whether it is an error; an optional secret shown once.
struct Flash {
    text: String,
    error: bool,
    secret: Option<String>,
}

async fn render(state: &ApiState, viewer: &Viewer, flash: Option<Flash>) -> Response {
    let users = match list_users(&state.db).await {
        Ok(u) => u,
        Err(e) => return layout::internal(viewer, "user list", e),
    };
    let tokens = match state.db.list_tokens().await {
        Ok(t) => t,
        Err(e) => return layout::internal(viewer, "token list", e),
    };
    let now = state.now_ms();
    let lang = viewer.lang;
    let users: Vec<Value> = users
        .iter()
        .map(|u| {
            json!({
                "username": u.username,
                "role": lang.text(if u.role == Role::Admin { "role_admin" } else { "role_user" }),
                "disabled": u.disabled,
                "me": u.id == viewer.user.id,
            })
        })
        .collect();
    let tokens: Vec<Value> = tokens
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "owner": t.username,
                "created": rfc3339(t.created_at_ms),
                "expires": rfc3339(t.expires_at_ms),
                "live": t.revoked_at_ms.is_none() && t.expires_at_ms > now,
                "revoked": t.revoked_at_ms.is_some(),
            })
        })
        .collect();
    let mut ctx = Map::new();
    ctx.insert("users".into(), json!(users));
    ctx.insert("tokens".into(), json!(tokens));
    if let Some(f) = flash {
        ctx.insert("flash".into(), json!(f.text));
        ctx.insert(
            "flash_kind".into(),
            json!(if f.error { "error" } else { "ok" }),
        );
        ctx.insert("secret".into(), json!(f.secret));
    }
    layout::page(viewer, "admin", "admin.html", ctx)
}

/// The admin viewer, or the response to send instead (login redirect or 403).
async fn admin(state: &ApiState, req: &PageRequest) -> Result<Viewer, Response> {
    let viewer = layout::require(state, req).await?;
    if !viewer.is_admin() {
        return Err(error_page(
            viewer.lang,
            Some(&viewer),
            StatusCode::FORBIDDEN,
            "forbidden",
        ));
    }
    Ok(viewer)
}

/// Admin + CSRF check of a form post.
async fn admin_post(
    state: &ApiState,
    req: &PageRequest,
    form: &HashMap<String, String>,
) -> Result<Viewer, Response> {
    admin(state, req).await?.with_csrf(form).await
}

fn done(viewer: &Viewer, text: Option<String>) -> Flash {
    Flash {
        text: text.unwrap_or_else(|| viewer.lang.text("user_updated").to_owned()),
        error: false,
        secret: None,
    }
}

fn failed(e: impl std::fmt::Display) -> Flash {
    Flash {
        text: e.to_string(),
        error: true,
        secret: None,
    }
}

fn field<'a>(form: &'a HashMap<String, String>, key: &str) -> &'a str {
    form.get(key).map_or("", String::as_str)
}

/// `GET /ui/admin`.
pub async fn page(State(state): State<ApiState>, req: PageRequest) -> Response {
    match admin(&state, &req).await {
        Ok(v) => render(&state, &v, None).await,
        Err(r) => r,
    }
}

/// `POST /ui/admin/users`: username, password, role.
pub async fn create_user(
    State(state): State<ApiState>,
    req: PageRequest,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let viewer = match admin_post(&state, &req, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let role = Role::parse(field(&form, "role")).unwrap_or(Role::User);
    let password = Secret::new(field(&form, "password"));
    let flash = match add_user(
        &state.db,
        field(&form, "username"),
        &password,
        role,
        state.now_ms(),
    )
    .await
    {
        Ok(_) => done(&viewer, Some(viewer.lang.text("user_created").to_owned())),
        Err(e) => failed(e),
    };
    render(&state, &viewer, Some(flash)).await
}

/// `POST /ui/admin/users/disable`: username, disabled = `1` (disable) or `0` (enable).
pub async fn disable_user(
    State(state): State<ApiState>,
    req: PageRequest,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let viewer = match admin_post(&state, &req, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let username = field(&form, "username");
    let disable = field(&form, "disabled") != "0";
    let flash = if disable && username == viewer.user.username {
        failed("You cannot disable your own account.")
    } else {
        match set_disabled(&state.db, username, disable, state.now_ms()).await {
            Ok(()) => done(&viewer, None),
            Err(e) => failed(e),
        }
    };
    render(&state, &viewer, Some(flash)).await
}

/// `POST /ui/admin/users/reset`: username, password (empty: a generated one, shown once).
pub async fn reset_password(
    State(state): State<ApiState>,
    req: PageRequest,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let viewer = match admin_post(&state, &req, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let username = field(&form, "username");
    let typed = field(&form, "password");
    let generated = typed.is_empty().then(|| new_secret().0[..20].to_owned());
    let password = Secret::new(generated.as_deref().unwrap_or(typed));
    let flash = match set_password(&state.db, username, &password, state.now_ms()).await {
        Ok(()) => match generated {
            Some(p) => Flash {
                text: viewer
                    .lang
                    .text("password_shown_once")
                    .replace("{}", username),
                error: false,
                secret: Some(p),
            },
            None => done(&viewer, None),
        },
        Err(e) => failed(e),
    };
    render(&state, &viewer, Some(flash)).await
}

/// `POST /ui/admin/tokens`: username (empty: the admin); the token is shown once.
pub async fn issue_token(
    State(state): State<ApiState>,
    req: PageRequest,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let viewer = match admin_post(&state, &req, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let username = match field(&form, "username").trim() {
        "" => viewer.user.username.clone(),
        u => u.to_owned(),
    };
    let user = match state.db.user_by_name(&username).await {
        Ok(Some(u)) => u,
        Ok(None) => {
            return render(
                &state,
                &viewer,
                Some(failed(format!("no user {username:?}"))),
            )
            .await
        }
        Err(e) => return layout::internal(&viewer, "token issue", e),
    };
    let lifetime =
        i64::try_from(state.settings.token_lifetime_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let flash = match tokens::issue(&state.db, user.id, lifetime, state.now_ms()).await {
        Ok(t) => Flash {
            text: viewer.lang.text("token_shown_once").to_owned(),
            error: false,
            secret: Some(t.token),
        },
        Err(e) => failed(e),
    };
    render(&state, &viewer, Some(flash)).await
}

/// `POST /ui/admin/tokens/revoke`: id.
pub async fn revoke_token(
    State(state): State<ApiState>,
    req: PageRequest,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let viewer = match admin_post(&state, &req, &form).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let flash = match field(&form, "id").parse::<i64>() {
        Ok(id) => match state.db.revoke_token(id, state.now_ms()).await {
            Ok(true) => done(&viewer, None),
            Ok(false) => failed(format!("no token {id}")),
            Err(e) => failed(e),
        },
        Err(_) => failed("invalid token id"),
    };
    render(&state, &viewer, Some(flash)).await
}
