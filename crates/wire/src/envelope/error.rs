//! [`EnvelopeError`]: what was wrong with an envelope, as precisely as is safe to say.

use crate::json::JsonError;
use crate::keys::KeyError;

/// Why an envelope could not be packed or unpacked.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Envelope (or packed output) larger than [`super::MAX_ENVELOPE_BYTES`].
    #[error("envelope of {size} bytes exceeds the limit of {max}")]
    TooLarge { size: usize, max: usize },
    /// More recipients than [`super::MAX_RECIPIENTS`].
    #[error("{count} recipients exceed the limit of {max}")]
    TooManyRecipients { count: usize, max: usize },
    /// `pack` was called with no recipient, or the header lists none.
    #[error("no recipients")]
    NoRecipients,
    /// The outer JSON or the decoded protected header is not the expected JSON object.
    #[error("malformed {what}: {detail}")]
    MalformedJson { what: &'static str, detail: String },
    /// A required field is absent or not a string/array/object as required.
    #[error("missing or mistyped field `{0}`")]
    MissingField(&'static str),
    /// A field is not base64url.
    #[error("field `{0}` is not base64url")]
    Base64(&'static str),
    /// `alg` is neither `Authcrypt` nor `Anoncrypt`.
    #[error("unsupported alg {0:?}")]
    UnsupportedAlg(String),
    /// No recipient entry has a `kid` equal to one of our verkeys.
    #[error("envelope is not addressed to any of our keys")]
    UnknownRecipient,
    /// `alg` is `Authcrypt` but the recipient header lacks `sender` or `iv`.
    #[error("authcrypt envelope without sender")]
    AuthcryptWithoutSender,
    /// The sealed sender opened, but is not a base58 Ed25519 verkey.
    #[error("sender is not a valid verkey: {0}")]
    BadSender(KeyError),
    /// A decoded field has the wrong length.
    #[error("field `{field}` must be {expected} bytes, got {got}")]
    BadLength {
        field: &'static str,
        expected: usize,
        got: usize,
    },
    /// Authentication failed while opening `sender`, `encrypted_key` or the payload.
    #[error("decryption of {0} failed")]
    DecryptionFailed(&'static str),
    /// A verkey cannot be converted to Curve25519 (small order or outside the main subgroup).
    #[error("key cannot be used for encryption: {0}")]
    UnusableKey(KeyError),
    /// JSON could not be serialised (only for messages given to `wrap_forward`).
    #[error("cannot serialise JSON: {0}")]
    Json(#[from] JsonError),
    /// An encryption primitive failed (should not happen).
    #[error("encryption failed")]
    Encryption,
}
