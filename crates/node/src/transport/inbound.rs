//! The inbound endpoint: `POST {inbound_path}` with a DIDComm v1 envelope as the body.
//!
//! Pipeline (first failure wins):
//! 1. content type `application/ssi-agent-wire`, `application/didcomm-envelope-enc`, or
//!    `application/json` (what some peers send for envelopes too; parameters such as
//!    `charset` are ignored) — else 415;
//! 2. body at most `max_body_bytes` — else 413;
//! 3. unpack with the node's key — malformed, not for us or undecryptable → 400;
//! 4. authcrypt: the sender verkey must be in the [`PeerBook`](super::PeerBook) — else 403,
//!    logged; anoncrypt: only a trust `ping` is accepted (202, cannot be answered), anything
//!    else → 403, logged;
//! 5. the plaintext must be an agent message with an `@id` — else 400;
//! 6. de-dup by `(sender verkey, @id)` through [`InboxDedup`]: a duplicate gets 202 and is
//!    dropped (logged at debug);
//! 7. trust ping messages are handled by [`super::ping`]; everything else is handed to the
//!    inbound queue as an [`Inbound`]. Then 202.
//!
//! A slot in the queue is reserved *before* the `(sender, @id)` pair is recorded, so a
//! message is never marked seen without being delivered; a full queue makes the POST wait
//! (back-pressure), a closed one answers 503. Errors are `{"error": code, "message": text}`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use tmtm_wire::envelope;
use tmtm_wire::message::Message;

use super::{now_ms, ping, Inbound, InboundError, Inner, Transport};
use crate::ports::{InboxDedup, OutboxStore};

/// Content types accepted for envelopes.
pub const ACCEPTED_CONTENT_TYPES: [&str; 3] = [
    "application/ssi-agent-wire",
    "application/didcomm-envelope-enc",
    "application/json",
];

impl<O: OutboxStore, D: InboxDedup> Transport<O, D> {
    /// The axum router serving `POST {inbound_path}`; merge or nest it into the node's app.
    pub fn router(&self) -> Router {
        let config = &self.inner.config;
        Router::new()
            .route(&config.inbound_path, post(receive::<O, D>))
            .layer(DefaultBodyLimit::max(config.max_body_bytes))
            .with_state(Arc::clone(&self.inner))
    }
}

async fn receive<O: OutboxStore, D: InboxDedup>(
    State(inner): State<Arc<Inner<O, D>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match pipeline(&inner, &headers, body).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(e) => {
            match &e {
                InboundError::UnknownSender | InboundError::AnoncryptNotAllowed => {}
                InboundError::Unavailable(_) => tracing::warn!(error = %e, "inbound refused"),
                _ => tracing::info!(code = e.code(), error = %e, "inbound refused"),
            }
            e.into_response()
        }
    }
}

async fn pipeline<O: OutboxStore, D: InboxDedup>(
    inner: &Arc<Inner<O, D>>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(), InboundError> {
    check_content_type(headers)?;
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            InboundError::TooLarge(inner.config.max_body_bytes)
        } else {
            InboundError::Body(r.body_text())
        }
    })?;
    let unpacked = envelope::unpack(&body, &inner.keys)?;
    let Some(sender_verkey) = unpacked.sender else {
        return anoncrypt(&unpacked.plaintext);
    };
    let Some(peer) = inner.peers.by_verkey(&sender_verkey) else {
        tracing::warn!(sender_verkey = %sender_verkey, "envelope from a verkey not in the roster refused");
        return Err(InboundError::UnknownSender);
    };
    let message = Message::from_slice(&unpacked.plaintext)?;
    let Some(id) = message.id().map(str::to_owned) else {
        return Err(InboundError::MissingId);
    };
    let is_ping = message.type_().is_ok_and(|t| t.protocol == ping::PROTOCOL);
    let permit = if is_ping {
        None
    } else {
        let permit =
            inner.inbound_tx.reserve().await.map_err(|_| {
                InboundError::Unavailable("the node is not taking messages".to_owned())
            })?;
        Some(permit)
    };
    let first = inner
        .dedup
        .first_seen(&sender_verkey.to_base58(), &id, now_ms())
        .await
        .map_err(|e| InboundError::Unavailable(e.to_string()))?;
    if !first && !redeliver(&inner.config.redeliver_duplicates, &message) {
        tracing::debug!(from = %peer.did, r#type = message.type_str(), id = %id, "duplicate dropped");
        return Ok(());
    }
    tracing::debug!(from = %peer.did, r#type = message.type_str(), id = %id, "received");
    match permit {
        Some(permit) => permit.send(Inbound {
            sender_did: peer.did.clone(),
            sender_verkey,
            message,
        }),
        None => ping::handle(inner, peer, &message),
    }
    Ok(())
}

/// Whether a duplicate of this message is still delivered (see
/// [`super::TransportConfig::redeliver_duplicates`]).
fn redeliver(names: &[String], message: &Message) -> bool {
    !names.is_empty() && message.type_().is_ok_and(|t| names.contains(&t.name))
}

/// Anoncrypt carries no authenticated sender: only a trust ping is let through (and it
/// cannot be answered, since we do not know whom to answer).
fn anoncrypt(plaintext: &[u8]) -> Result<(), InboundError> {
    let message = Message::from_slice(plaintext)?;
    if message.is(ping::PROTOCOL, "ping") {
        tracing::info!(
            id = message.id().unwrap_or(""),
            "anoncrypt ping accepted, not answerable"
        );
        return Ok(());
    }
    tracing::warn!(r#type = message.type_str(), "anoncrypt message refused");
    Err(InboundError::AnoncryptNotAllowed)
}

fn check_content_type(headers: &HeaderMap) -> Result<(), InboundError> {
    let raw = headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let essence = raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if ACCEPTED_CONTENT_TYPES.contains(&essence.as_str()) {
        Ok(())
    } else {
        Err(InboundError::UnsupportedMediaType(
            raw.chars().take(100).collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_message_names_are_redelivered() {
        let m = |t: &str| Message::from_value(serde_json::json!({"@type": t, "@id": "1"})).unwrap();
        let echo = m(
            "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/simple-consensus/1.0/stage-pre-commit-parallel",
        );
        let other = m("did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/simple-consensus/1.0/stage-pre-commit");
        let names = vec!["stage-pre-commit-parallel".to_owned()];
        assert!(redeliver(&names, &echo));
        assert!(!redeliver(&names, &other));
        assert!(!redeliver(&[], &echo));
    }
}
