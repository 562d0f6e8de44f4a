//! The transport's typed errors: building it ([`TransportError`]), queueing a message
//! ([`SendError`]), pinging a peer ([`PingError`]) and refusing an inbound POST
//! ([`InboundError`], rendered as `{"error": code, "message": text}`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use tmtm_wire::envelope::EnvelopeError;
use tmtm_wire::message::MessageError;

use crate::ports::StoreFailure;

/// The transport could not be built.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(String),
    #[error("invalid transport configuration: {0}")]
    Config(&'static str),
}

/// A message could not be queued for a peer.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("message cannot be serialised: {0}")]
    Message(#[from] MessageError),
    #[error("message cannot be packed: {0}")]
    Envelope(#[from] EnvelopeError),
    #[error(transparent)]
    Store(#[from] StoreFailure),
}

/// A trust ping did not get its answer.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum PingError {
    #[error("ping cannot be serialised: {0}")]
    Message(#[from] MessageError),
    #[error("ping cannot be packed: {0}")]
    Envelope(#[from] EnvelopeError),
    /// The POST failed (connection refused, DNS, TLS, request timeout).
    #[error("peer unreachable: {0}")]
    Unreachable(String),
    /// The peer answered the POST with a status other than 200/202.
    #[error("peer refused the ping with HTTP {0}")]
    Refused(u16),
    /// The POST was accepted but no `ping_response` arrived in time.
    #[error("no ping_response within {0:?}")]
    Timeout(std::time::Duration),
    /// The transport was dropped while waiting.
    #[error("transport shut down while waiting")]
    Closed,
}

/// Why an inbound POST was refused. The `message` text never contains message bodies or keys.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    /// Content type other than the DIDComm ones (415).
    #[error("unsupported content type {0:?}")]
    UnsupportedMediaType(String),
    /// Body larger than the configured limit (413).
    #[error("body exceeds {0} bytes")]
    TooLarge(usize),
    /// The body could not be read (400).
    #[error("cannot read the body: {0}")]
    Body(String),
    /// The envelope is malformed, not for us, or does not decrypt (400).
    #[error("bad envelope: {0}")]
    Envelope(#[from] EnvelopeError),
    /// Authcrypt from a verkey that is not in the roster (403).
    #[error("unknown sender")]
    UnknownSender,
    /// Anoncrypt for anything but a trust ping (403).
    #[error("anoncrypt is accepted for trust ping only")]
    AnoncryptNotAllowed,
    /// The plaintext is not an agent message (400).
    #[error("bad message: {0}")]
    Message(#[from] MessageError),
    /// The message has no `@id`, so it cannot be de-duplicated (400).
    #[error("message has no @id")]
    MissingId,
    /// The store or the inbound queue is unavailable; the sender should retry (503).
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
}

impl InboundError {
    /// The HTTP status of this refusal.
    pub fn status(&self) -> StatusCode {
        match self {
            InboundError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            InboundError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            InboundError::UnknownSender | InboundError::AnoncryptNotAllowed => {
                StatusCode::FORBIDDEN
            }
            InboundError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            InboundError::Body(_)
            | InboundError::Envelope(_)
            | InboundError::Message(_)
            | InboundError::MissingId => StatusCode::BAD_REQUEST,
        }
    }

    /// The stable machine-readable code (the `error` field).
    pub fn code(&self) -> &'static str {
        match self {
            InboundError::UnsupportedMediaType(_) => "unsupported_media_type",
            InboundError::TooLarge(_) => "payload_too_large",
            InboundError::Body(_) => "bad_body",
            InboundError::Envelope(EnvelopeError::UnknownRecipient) => "unknown_recipient",
            InboundError::Envelope(_) => "bad_envelope",
            InboundError::UnknownSender => "unknown_sender",
            InboundError::AnoncryptNotAllowed => "anoncrypt_not_allowed",
            InboundError::Message(_) => "bad_message",
            InboundError::MissingId => "missing_id",
            InboundError::Unavailable(_) => "unavailable",
        }
    }
}

impl IntoResponse for InboundError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": self.code(), "message": self.to_string()});
        (self.status(), Json(body)).into_response()
    }
}
