//! Packing (§2.3). The DIDComm v1 envelope is a construction of its own (sealed base58 sender,
//! per-recipient `crypto_box` of the content key, ChaCha20-Poly1305 payload whose AAD is the
//! base64 `protected` text) that no crate implements, so it is assembled here from the
//! `crypto_box` and `chacha20poly1305` primitives.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use rand_core::CryptoRngCore;
use serde_json::{Map, Value};

use super::header::{self, Alg, Entry};
use super::{convert, sealed_sender, EnvelopeError, MAX_ENVELOPE_BYTES, MAX_RECIPIENTS};
use crate::keys::{KeyPair, Verkey};
use crate::{b64, json};

/// All randomness of one pack except the ephemeral keys of `crypto_box_seal`.
/// Public only so tests can reproduce the spec's vector; use [`super::pack`].
#[doc(hidden)]
#[derive(Clone)]
pub struct Randomness {
    pub cek: [u8; 32],
    pub iv: [u8; 12],
    /// One 24-byte `crypto_box` nonce per recipient (authcrypt only).
    pub cek_nonces: Vec<[u8; 24]>,
}

impl Randomness {
    pub fn draw(rng: &mut impl CryptoRngCore, recipients: usize) -> Randomness {
        let mut r = Randomness {
            cek: [0; 32],
            iv: [0; 12],
            cek_nonces: vec![[0; 24]; recipients],
        };
        rng.fill_bytes(&mut r.cek);
        rng.fill_bytes(&mut r.iv);
        for nonce in &mut r.cek_nonces {
            rng.fill_bytes(nonce);
        }
        r
    }
}

/// `crypto_box(cek, nonce, ed2curve(recipient), ed2curve(sender secret))` (48 bytes).
#[doc(hidden)]
pub fn box_cek(
    cek: &[u8; 32],
    nonce: &[u8; 24],
    recipient: &Verkey,
    sender: &KeyPair,
) -> Result<Vec<u8>, EnvelopeError> {
    convert::salsa_box(recipient, sender)?
        .encrypt(&crypto_box::Nonce::from(*nonce), cek.as_slice())
        .map_err(|_| EnvelopeError::Encryption)
}

/// ChaCha20-Poly1305 IETF of `plaintext` with `aad` = the ASCII `protected` string;
/// returns `ciphertext ‖ tag`.
#[doc(hidden)]
pub fn encrypt_payload(
    cek: &[u8; 32],
    iv: &[u8; 12],
    protected: &str,
    plaintext: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
    let cipher = ChaCha20Poly1305::new_from_slice(cek).map_err(|_| EnvelopeError::Encryption)?;
    cipher
        .encrypt(
            &chacha20poly1305::Nonce::from(*iv),
            Payload {
                msg: plaintext,
                aad: protected.as_bytes(),
            },
        )
        .map_err(|_| EnvelopeError::Encryption)
}

/// The outer JSON, PyJSON with keys `protected, iv, ciphertext, tag` (tag = last 16 bytes).
#[doc(hidden)]
pub fn outer_json(
    protected: &str,
    iv: &[u8; 12],
    ciphertext_and_tag: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
    let split = ciphertext_and_tag.len().saturating_sub(16);
    let (ciphertext, tag) = ciphertext_and_tag.split_at(split);
    let mut outer = Map::new();
    outer.insert("protected".into(), Value::from(protected));
    outer.insert("iv".into(), Value::from(b64::encode(iv)));
    outer.insert("ciphertext".into(), Value::from(b64::encode(ciphertext)));
    outer.insert("tag".into(), Value::from(b64::encode(tag)));
    Ok(json::python(&Value::Object(outer))?.into_bytes())
}

/// [`super::pack`] with the given randomness (the seal's ephemeral keys come from `seal_rng`,
/// and every sealed sender is made afresh: `sealed_sender.rs`).
#[doc(hidden)]
pub fn pack_with(
    plaintext: &[u8],
    sender: Option<&KeyPair>,
    recipients: &[Verkey],
    randomness: &Randomness,
    seal_rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, EnvelopeError> {
    pack_sealing(plaintext, sender, recipients, randomness, seal_rng, false)
}

/// [`pack_with`], reusing each pair's sealed sender when `reuse_seal` (`sealed_sender.rs`).
pub(super) fn pack_sealing(
    plaintext: &[u8],
    sender: Option<&KeyPair>,
    recipients: &[Verkey],
    randomness: &Randomness,
    seal_rng: &mut impl CryptoRngCore,
    reuse_seal: bool,
) -> Result<Vec<u8>, EnvelopeError> {
    crate::counters::pack();
    if recipients.is_empty() {
        return Err(EnvelopeError::NoRecipients);
    }
    if recipients.len() > MAX_RECIPIENTS {
        return Err(EnvelopeError::TooManyRecipients {
            count: recipients.len(),
            max: MAX_RECIPIENTS,
        });
    }
    // base64 grows by 4/3: refuse early what cannot fit (exact check at the end).
    if plaintext.len() > MAX_ENVELOPE_BYTES / 4 * 3 {
        return Err(EnvelopeError::TooLarge {
            size: plaintext.len(),
            max: MAX_ENVELOPE_BYTES,
        });
    }
    let mut entries = Vec::with_capacity(recipients.len());
    for (i, recipient) in recipients.iter().enumerate() {
        let recipient_x = convert::public_key(recipient)?;
        let entry = match sender {
            Some(sender) => {
                let nonce = randomness
                    .cek_nonces
                    .get(i)
                    .ok_or(EnvelopeError::Encryption)?;
                let sealed_sender = if reuse_seal {
                    sealed_sender::seal(sender, recipient, &recipient_x, seal_rng)?
                } else {
                    sealed_sender::seal_fresh(sender, &recipient_x, seal_rng)?
                };
                Entry {
                    encrypted_key: b64::encode(box_cek(&randomness.cek, nonce, recipient, sender)?),
                    kid: recipient.to_base58(),
                    sender: Some(b64::encode(sealed_sender)),
                    iv: Some(b64::encode(nonce)),
                }
            }
            None => {
                let sealed_cek = recipient_x
                    .seal(seal_rng, &randomness.cek)
                    .map_err(|_| EnvelopeError::Encryption)?;
                Entry {
                    encrypted_key: b64::encode(sealed_cek),
                    kid: recipient.to_base58(),
                    sender: None,
                    iv: None,
                }
            }
        };
        entries.push(entry);
    }
    let alg = if sender.is_some() {
        Alg::Authcrypt
    } else {
        Alg::Anoncrypt
    };
    let protected = b64::encode(header::build(alg, &entries)?);
    let sealed = encrypt_payload(&randomness.cek, &randomness.iv, &protected, plaintext)?;
    let out = outer_json(&protected, &randomness.iv, &sealed)?;
    if out.len() > MAX_ENVELOPE_BYTES {
        return Err(EnvelopeError::TooLarge {
            size: out.len(),
            max: MAX_ENVELOPE_BYTES,
        });
    }
    Ok(out)
}
