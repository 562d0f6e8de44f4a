//! DIDComm v1 envelopes (RFC 0019 `JWM/1.0`, §2): [`pack`] (authcrypt with a sender,
//! anoncrypt without), [`unpack`], and routing via [`wrap_forward`].
//!
//! Output is byte-compatible with the Python SDK: PyJSON outer object and protected header,
//! base64url with padding, the sealed sender is the base58 **text** of the sender verkey,
//! the payload cipher is ChaCha20-Poly1305 IETF with `aad` = the `protected` string.
//! Input is accepted with or without padding, with missing/`null` header keys, in any key
//! order and spacing, and with any ciphertext/tag split.
//!
//! Bounds: envelopes larger than [`MAX_ENVELOPE_BYTES`] (10 MiB) and headers with more than
//! [`MAX_RECIPIENTS`] recipients are rejected with [`EnvelopeError`]; nothing panics on input.

mod convert;
mod error;
mod forward;
mod header;
mod pack;
mod sealed_sender;
mod unpack;

use rand_core::CryptoRngCore;

use crate::keys::{KeyPair, Verkey};

pub use error::EnvelopeError;
pub use forward::wrap_forward;
#[doc(hidden)]
pub use pack::{box_cek, encrypt_payload, outer_json, pack_with, Randomness};
pub use sealed_sender::MAX_USES as SEALED_SENDER_MAX_USES;
pub use unpack::unpack_for;

/// Largest envelope accepted by [`unpack`] or produced by [`pack`]: 10 MiB.
pub const MAX_ENVELOPE_BYTES: usize = 10 * 1024 * 1024;
/// Most recipients in one envelope.
pub const MAX_RECIPIENTS: usize = 128;

/// A successfully opened envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpacked {
    pub plaintext: Vec<u8>,
    /// The authenticated sender (authcrypt), `None` for anoncrypt.
    pub sender: Option<Verkey>,
    /// Which of our keys it was addressed to.
    pub recipient: Verkey,
}

/// Packs `plaintext` for `recipients`: authcrypt from `sender` when `Some`, else anoncrypt.
/// A (sender, recipient) pair's sealed sender is reused for a while (`sealed_sender.rs`).
pub fn pack(
    plaintext: &[u8],
    sender: Option<&KeyPair>,
    recipients: &[Verkey],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, EnvelopeError> {
    let randomness = Randomness::draw(rng, recipients.len());
    pack::pack_sealing(plaintext, sender, recipients, &randomness, rng, true)
}

/// Unpacks an envelope addressed to `me`.
pub fn unpack(envelope: &[u8], me: &KeyPair) -> Result<Unpacked, EnvelopeError> {
    unpack_for(envelope, &[me])
}
