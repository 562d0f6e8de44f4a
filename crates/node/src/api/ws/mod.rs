//! The command WebSocket `GET /transactions` (`original-tmtm.md` §1.4, `docs/API.md`).
//!
//! * **Authentication** happens before the upgrade: a `token` query parameter (name
//!   case-insensitive, as the original) naming a live token ([`super::tokens::authenticate`]),
//!   or else the session cookie / BasicAuth of the REST API. Anything else is refused with
//!   401 and the JSON error body — the handshake is rejected, as in the original.
//! * **One request per connection:** the first text (or UTF-8 binary) frame is the request;
//!   the node answers with `progress` messages, then a final `progress {done: true}` or a
//!   `problem_report`, and closes the socket ([`session`]). Frames larger than
//!   [`MAX_FRAME`] are refused by the WebSocket layer (the socket closes with code 1009).
//! * Validation is in [`validate`]; business-transaction signing in [`sign`]; GU records in
//!   [`gu`].

pub mod gu;
pub mod session;
pub mod sign;
pub mod validate;

use std::collections::HashMap;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use tmtm_wire::keys::KeyPair;

use super::auth::authenticate_request;
use super::error::ApiError;
use super::ApiState;
use crate::driver::{DriverHandle, NodeTransport};

/// Largest accepted WebSocket frame/message (bytes).
pub const MAX_FRAME: usize = 1024 * 1024;

/// How much a session reads from its socket at a time. tungstenite's default (128 KiB) is
/// zero-filled before every read and held per open connection; a command is about a KB and
/// one connection carries one command, so that was most of what a session cost in memory and
/// a few per cent of a loaded node's CPU. Larger messages (up to [`MAX_FRAME`]) still arrive:
/// the buffer grows as a frame needs.
pub const READ_BUFFER: usize = 8 * 1024;

/// What the WebSocket needs to run commands: the driver and this node's signing keys.
#[derive(Clone)]
pub struct Commands {
    pub driver: DriverHandle,
    pub keys: KeyPair,
    /// Sends GU records to the other participants.
    pub transport: NodeTransport,
}

/// `GET /transactions`: authenticates, then upgrades to the command session.
pub async fn transactions(
    State(state): State<ApiState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let token = query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("token"))
        .map(|(_, v)| v.clone());
    let user = match token {
        Some(token) => super::tokens::authenticate_at(&state.db, &token, state.now_ms()).await,
        None => {
            // A browser sends the session cookie with a WebSocket handshake from any page:
            // only this node's own pages may use it (cross-site WebSocket hijacking).
            if !super::auth::origin_allowed(&state, &headers) {
                return super::auth::foreign_origin().into_response();
            }
            authenticate_request(&state, &headers).await.ok()
        }
    };
    let Some(user) = user else {
        return ApiError::unauthorized("Invalid or expired token.").into_response();
    };
    let upgrade = match upgrade {
        Ok(u) => u,
        Err(rejection) => return rejection.into_response(),
    };
    tracing::debug!(user = %user.username, "command WebSocket opened");
    upgrade
        .max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| session::run(socket, state))
}
