//! Ed25519 → Curve25519 key conversion with libsodium semantics
//! (`crypto_sign_ed25519_pk_to_curve25519` / `crypto_sign_ed25519_sk_to_curve25519`).
//! No crate exposes the public-key rejection rules of libsodium, so they are spelled out here.
//!
//! Both conversions of a peer's key cost a scalar multiplication each (the subgroup check of
//! the public key, the X25519 agreement of `crypto_box`), and a node talks to the same few
//! peers all the time, so the converted public keys and the precomputed `crypto_box` per
//! (our key, their key) pair — libsodium's `crypto_box_beforenm` — are kept in small
//! process-wide caches ([`public_key`], [`salsa_box`]), emptied when they reach
//! [`MAX_CACHED`] entries. The cached boxes hold shared keys; they live in the same process
//! memory as the key pairs they come from and are zeroized when dropped.

use std::sync::Arc;

use crypto_box::{PublicKey, SalsaBox, SecretKey};
use curve25519_dalek::edwards::CompressedEdwardsY;

use super::EnvelopeError;
use crate::keys::{KeyError, KeyPair, Verkey};
use crate::memo::Memo;

/// Most entries of each cache before it is emptied.
const MAX_CACHED: usize = 4096;

static PUBLIC_KEYS: Memo<[u8; 32], PublicKey> = Memo::new(MAX_CACHED);
static BOXES: Memo<([u8; 32], [u8; 32]), Arc<SalsaBox>> = Memo::new(MAX_CACHED);

/// Birational map `u = (1 + y) / (1 - y)`; rejects, like libsodium, points of small order and
/// points outside the prime-order subgroup. Cached per verkey (only accepted keys).
pub(crate) fn public_key(verkey: &Verkey) -> Result<PublicKey, EnvelopeError> {
    PUBLIC_KEYS.get_or_try(*verkey.as_bytes(), || convert_public(verkey))
}

/// The `crypto_box` between our `me` and `their` key (the X25519 agreement done once per
/// pair; see the module docs).
pub(crate) fn salsa_box(their: &Verkey, me: &KeyPair) -> Result<Arc<SalsaBox>, EnvelopeError> {
    let key = (*me.verkey().as_bytes(), *their.as_bytes());
    BOXES.get_or_try(key, || {
        Ok(Arc::new(SalsaBox::new(
            &public_key(their)?,
            &secret_key(me),
        )))
    })
}

fn convert_public(verkey: &Verkey) -> Result<PublicKey, EnvelopeError> {
    let point = CompressedEdwardsY(*verkey.as_bytes())
        .decompress()
        .ok_or(EnvelopeError::UnusableKey(KeyError::NotOnCurve))?;
    if point.is_small_order() || !point.is_torsion_free() {
        return Err(EnvelopeError::UnusableKey(KeyError::NotOnCurve));
    }
    Ok(PublicKey::from(point.to_montgomery().to_bytes()))
}

/// The clamped first half of SHA-512(seed).
pub(crate) fn secret_key(keys: &KeyPair) -> SecretKey {
    SecretKey::from_bytes(keys.x25519_secret_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_and_public_conversions_agree() {
        for seed in [[0u8; 32], [9u8; 32], *b"000000000000000000000000000SEED1"] {
            let kp = KeyPair::from_seed(&seed);
            let from_pk = public_key(&kp.verkey()).unwrap();
            let from_sk = secret_key(&kp).public_key();
            assert_eq!(from_pk, from_sk);
        }
    }

    #[test]
    fn rejects_small_order_points() {
        // The identity point (y = 1) decompresses but has small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let vk = Verkey::from_bytes(identity).unwrap();
        assert!(matches!(
            public_key(&vk),
            Err(EnvelopeError::UnusableKey(_))
        ));
    }
}
