//! The on-disk format of the key store: versioned JSON, documented in `docs/CONFIGURATION.md`.
//!
//! Owns the serde structs of the file, the Argon2id parameters ([`KdfParams`]) with their
//! accepted bounds, and the associated data that binds every clear-text field of the file to
//! the ciphertext (so editing the DID, the verkey or the KDF parameters breaks decryption).

use serde::{Deserialize, Serialize};

/// The value of the `format` field.
pub const FORMAT_NAME: &str = "tmtm-keystore";
/// The only file version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// The `kdf.algorithm` value.
pub const KDF_ALGORITHM: &str = "argon2id";
/// The Argon2 version number (0x13 = 1.3).
pub const ARGON2_VERSION: u32 = 0x13;
/// The `cipher.algorithm` value.
pub const CIPHER_ALGORITHM: &str = "xchacha20poly1305";
/// Length of the random KDF salt.
pub const SALT_LEN: usize = 16;
/// Length of the XChaCha20-Poly1305 nonce.
pub const NONCE_LEN: usize = 24;
/// Length of the sealed seed: 32 bytes + 16 bytes of Poly1305 tag.
pub const CIPHERTEXT_LEN: usize = 48;

/// Argon2id cost parameters, stored in the file so that they can be raised later without
/// breaking old key stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Degree of parallelism (lanes).
    pub parallelism: u32,
}

impl KdfParams {
    /// Smallest accepted memory cost (8 MiB).
    pub const MIN_MEMORY_KIB: u32 = 8 * 1024;
    /// Largest accepted memory cost (1 GiB): a tampered file cannot make `open` allocate more.
    pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;
    /// Largest accepted number of passes.
    pub const MAX_ITERATIONS: u32 = 64;
    /// Largest accepted parallelism.
    pub const MAX_PARALLELISM: u32 = 16;

    /// Checks the bounds above; the error text names the offending parameter.
    pub fn check(&self) -> Result<(), String> {
        if !(Self::MIN_MEMORY_KIB..=Self::MAX_MEMORY_KIB).contains(&self.memory_kib) {
            return Err(format!(
                "kdf memory_kib {} is outside {}..={}",
                self.memory_kib,
                Self::MIN_MEMORY_KIB,
                Self::MAX_MEMORY_KIB
            ));
        }
        if !(1..=Self::MAX_ITERATIONS).contains(&self.iterations) {
            return Err(format!(
                "kdf iterations {} is outside 1..={}",
                self.iterations,
                Self::MAX_ITERATIONS
            ));
        }
        if !(1..=Self::MAX_PARALLELISM).contains(&self.parallelism) {
            return Err(format!(
                "kdf parallelism {} is outside 1..={}",
                self.parallelism,
                Self::MAX_PARALLELISM
            ));
        }
        Ok(())
    }
}

impl Default for KdfParams {
    /// 64 MiB, 3 passes, 1 lane (RFC 9106 §4's second recommendation, single lane): about a
    /// quarter of a second on one core, paid once at start-up.
    fn default() -> Self {
        KdfParams {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 1,
        }
    }
}

/// Only `format` and `version`, read first so that a future version gets a clear error
/// instead of a confusing field mismatch.
#[derive(Deserialize)]
pub(crate) struct Probe {
    pub format: String,
    pub version: u32,
}

/// The whole file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeyStoreFile {
    pub format: String,
    pub version: u32,
    /// Public: this node's DID (readable without the wallet key, authenticated as AAD).
    pub did: String,
    /// Public: this node's verkey (same).
    pub verkey: String,
    pub kdf: KdfSection,
    pub cipher: CipherSection,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KdfSection {
    pub algorithm: String,
    pub version: u32,
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Base64 (standard, padded) of [`SALT_LEN`] random bytes.
    pub salt: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CipherSection {
    pub algorithm: String,
    /// Base64 of [`NONCE_LEN`] random bytes.
    pub nonce: String,
    /// Base64 of the sealed 32-byte Ed25519 seed.
    pub ciphertext: String,
}

impl KdfSection {
    /// The cost parameters of this section.
    pub fn params(&self) -> KdfParams {
        KdfParams {
            memory_kib: self.memory_kib,
            iterations: self.iterations,
            parallelism: self.parallelism,
        }
    }
}

impl KeyStoreFile {
    /// Associated data of the AEAD: every clear-text field except the nonce and ciphertext,
    /// one per line, in a fixed order.
    pub fn associated_data(&self) -> Vec<u8> {
        format!(
            "{}/{}\n{}\n{}\n{}/{}/m={}/t={}/p={}\n{}\n{}",
            self.format,
            self.version,
            self.did,
            self.verkey,
            self.kdf.algorithm,
            self.kdf.version,
            self.kdf.memory_kib,
            self.kdf.iterations,
            self.kdf.parallelism,
            self.kdf.salt,
            self.cipher.algorithm,
        )
        .into_bytes()
    }
}
