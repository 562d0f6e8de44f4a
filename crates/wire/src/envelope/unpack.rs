//! Unpacking (§2.4), lenient where Python peers and libindy differ (padding, missing or `null`
//! header keys, key order, spacing, the tag split of §2.3) and strict about cryptography.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use serde_json::Value;

use super::header::{Alg, Entry, Header};
use super::{convert, sealed_sender, EnvelopeError, Unpacked, MAX_ENVELOPE_BYTES};
use crate::b64;
use crate::keys::{KeyPair, Verkey};

fn field<'a>(outer: &'a Value, name: &'static str) -> Result<&'a str, EnvelopeError> {
    outer
        .get(name)
        .and_then(Value::as_str)
        .ok_or(EnvelopeError::MissingField(name))
}

fn decode(text: &str, name: &'static str) -> Result<Vec<u8>, EnvelopeError> {
    b64::decode(text).map_err(|_| EnvelopeError::Base64(name))
}

fn fixed<const N: usize>(bytes: &[u8], name: &'static str) -> Result<[u8; N], EnvelopeError> {
    <[u8; N]>::try_from(bytes).map_err(|_| EnvelopeError::BadLength {
        field: name,
        expected: N,
        got: bytes.len(),
    })
}

/// Unpacks with whichever of `candidates` the envelope is addressed to.
pub fn unpack_for(envelope: &[u8], candidates: &[&KeyPair]) -> Result<Unpacked, EnvelopeError> {
    crate::counters::unpack();
    if envelope.len() > MAX_ENVELOPE_BYTES {
        return Err(EnvelopeError::TooLarge {
            size: envelope.len(),
            max: MAX_ENVELOPE_BYTES,
        });
    }
    let outer: Value =
        serde_json::from_slice(envelope).map_err(|e| EnvelopeError::MalformedJson {
            what: "envelope",
            detail: e.to_string(),
        })?;
    if !outer.is_object() {
        return Err(EnvelopeError::MalformedJson {
            what: "envelope",
            detail: "not an object".into(),
        });
    }
    let protected = field(&outer, "protected")?;
    let header = Header::parse(protected)?;
    let mut found = None;
    for me in candidates {
        if let Some(entry) = header.find(&me.verkey().to_base58())? {
            found = Some((*me, entry));
            break;
        }
    }
    let (me, entry) = found.ok_or(EnvelopeError::UnknownRecipient)?;
    let (cek, sender) = open_cek(header.alg, &entry, me)?;

    let iv = fixed::<12>(&decode(field(&outer, "iv")?, "iv")?, "iv")?;
    // §2.3 quirk: Python may split ciphertext and tag anywhere; only the concatenation counts.
    let mut sealed = decode(field(&outer, "ciphertext")?, "ciphertext")?;
    sealed.extend(decode(field(&outer, "tag")?, "tag")?);
    let cipher = ChaCha20Poly1305::new_from_slice(&cek).map_err(|_| EnvelopeError::Encryption)?;
    let plaintext = cipher
        .decrypt(
            &chacha20poly1305::Nonce::from(iv),
            Payload {
                msg: &sealed,
                aad: protected.as_bytes(),
            },
        )
        .map_err(|_| EnvelopeError::DecryptionFailed("payload"))?;
    Ok(Unpacked {
        plaintext,
        sender,
        recipient: me.verkey(),
    })
}

/// Recovers the content key and, for authcrypt, the sender's verkey.
fn open_cek(
    alg: Alg,
    entry: &Entry,
    me: &KeyPair,
) -> Result<([u8; 32], Option<Verkey>), EnvelopeError> {
    let encrypted_key = decode(&entry.encrypted_key, "encrypted_key")?;
    match (&entry.sender, &entry.iv) {
        (Some(sender), Some(iv)) => {
            let sealed_sender = decode(sender, "header.sender")?;
            let sender_vk = sealed_sender::open(me, &sealed_sender)?;
            let nonce = fixed::<24>(&decode(iv, "header.iv")?, "header.iv")?;
            let salsa = convert::salsa_box(&sender_vk, me)?;
            let cek = salsa
                .decrypt(&crypto_box::Nonce::from(nonce), encrypted_key.as_slice())
                .map_err(|_| EnvelopeError::DecryptionFailed("encrypted_key"))?;
            Ok((fixed::<32>(&cek, "cek")?, Some(sender_vk)))
        }
        _ if alg == Alg::Authcrypt => Err(EnvelopeError::AuthcryptWithoutSender),
        _ => {
            let cek = convert::secret_key(me)
                .unseal(&encrypted_key)
                .map_err(|_| EnvelopeError::DecryptionFailed("encrypted_key"))?;
            Ok((fixed::<32>(&cek, "cek")?, None))
        }
    }
}
