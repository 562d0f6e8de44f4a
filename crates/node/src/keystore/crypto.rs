//! The key-store cryptography: Argon2id key derivation from the wallet key and
//! XChaCha20-Poly1305 sealing of the 32-byte Ed25519 seed. Both come from RustCrypto crates;
//! nothing here is hand-rolled beyond gluing them together.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use super::format::{KdfParams, NONCE_LEN};

/// Derives the 32-byte encryption key from the wallet key with Argon2id.
pub(crate) fn derive_key(
    wallet_key: &[u8],
    salt: &[u8],
    params: &KdfParams,
) -> Result<Zeroizing<[u8; 32]>, String> {
    let argon_params = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(32),
    )
    .map_err(|e| format!("invalid Argon2 parameters: {e}"))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
    let mut key = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(wallet_key, salt, key.as_mut())
        .map_err(|e| format!("Argon2 key derivation failed: {e}"))?;
    Ok(key)
}

/// Seals `seed` under `key`; the result is the ciphertext with its tag.
pub(crate) fn seal(
    key: &[u8; 32],
    nonce: &[u8; NONCE_LEN],
    seed: &[u8; 32],
    aad: &[u8],
) -> Result<Vec<u8>, String> {
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher
        .encrypt(XNonce::from_slice(nonce), Payload { msg: seed, aad })
        .map_err(|_| "encryption failed".to_owned())
}

/// Opens a sealed seed. `None` when the tag does not verify (wrong key or altered data).
pub(crate) fn open(
    key: &[u8; 32],
    nonce: &[u8; NONCE_LEN],
    ciphertext: &[u8],
    aad: &[u8],
) -> Option<Zeroizing<[u8; 32]>> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .ok()?,
    );
    let mut seed = Zeroizing::new([0u8; 32]);
    if plain.len() != seed.len() {
        return None;
    }
    seed.copy_from_slice(&plain);
    Some(seed)
}
