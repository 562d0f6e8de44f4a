//! Decompressed Ed25519 public keys, remembered per verkey.
//!
//! Turning a verkey's 32 bytes into a curve point (`VerifyingKey::from_bytes`) is a field
//! square root, about a fifth of a signature verification, and it was done twice per
//! verification (once to accept the verkey, once to verify) for the same few peer keys all
//! the time. A small process-wide map keeps the points of keys that decompressed; it is
//! emptied when it reaches [`MAX_CACHED`] entries. A remembered point is the value
//! decompression would give again, so nothing accepted or refused changes.

use ed25519_dalek::VerifyingKey;

use crate::memo::Memo;

/// Most remembered keys before the map is emptied.
const MAX_CACHED: usize = 4096;

static POINTS: Memo<[u8; 32], VerifyingKey> = Memo::new(MAX_CACHED);

/// The decompressed key of `bytes`, or `None` if they are not a point.
pub(super) fn verifying_key(bytes: &[u8; 32]) -> Option<VerifyingKey> {
    POINTS
        .get_or_try(*bytes, || VerifyingKey::from_bytes(bytes))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_key_is_the_decompressed_one_and_non_points_stay_refused() {
        let good = *crate::keys::KeyPair::from_seed(&[9; 32])
            .verkey()
            .as_bytes();
        let first = verifying_key(&good).unwrap();
        assert_eq!(first, VerifyingKey::from_bytes(&good).unwrap());
        assert_eq!(verifying_key(&good).unwrap(), first);
        // y = 2 is not on the curve: refused every time, never remembered.
        let mut bad = [0u8; 32];
        bad[0] = 2;
        assert!(VerifyingKey::from_bytes(&bad).is_err());
        assert!(verifying_key(&bad).is_none());
        assert!(verifying_key(&bad).is_none());
    }
}
