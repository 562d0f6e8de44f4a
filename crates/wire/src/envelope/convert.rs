//! Ed25519 → Curve25519 key conversion with libsodium semantics
//! (`crypto_sign_ed25519_pk_to_curve25519` / `crypto_sign_ed25519_sk_to_curve25519`).
//! No crate exposes the public-key rejection rules of libsodium, so they are spelled out here.

use crypto_box::{PublicKey, SecretKey};
use curve25519_dalek::edwards::CompressedEdwardsY;

use super::EnvelopeError;
use crate::keys::{KeyError, KeyPair, Verkey};

/// Birational map `u = (1 + y) / (1 - y)`; rejects, like libsodium, points of small order and
/// points outside the prime-order subgroup.
pub(crate) fn public_key(verkey: &Verkey) -> Result<PublicKey, EnvelopeError> {
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
