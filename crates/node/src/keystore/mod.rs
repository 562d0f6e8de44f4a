//! This node's identity at rest: the Ed25519 seed encrypted with XChaCha20-Poly1305 under a
//! key derived by Argon2id from the wallet key (which is never stored beside the key store).
//!
//! Owns [`KeyStore`] (create, open, read the public half) and [`KeyStoreError`]. The file
//! format is in [`format`]; the crypto glue in `crypto`.

pub mod format;

mod crypto;
#[cfg(test)]
mod tests;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use rand_core::CryptoRngCore;
use subtle::ConstantTimeEq;
use tmtm_wire::keys::{Did, KeyPair, Verkey};

use crate::fsio;
use crate::secret::Secret;
use format::{
    CipherSection, KdfParams, KdfSection, KeyStoreFile, Probe, ARGON2_VERSION, CIPHERTEXT_LEN,
    CIPHER_ALGORITHM, FORMAT_NAME, FORMAT_VERSION, KDF_ALGORITHM, NONCE_LEN, SALT_LEN,
};

/// The key store's file name inside the data directory.
pub const KEYSTORE_FILE_NAME: &str = "keystore.json";

/// The shortest wallet key accepted when a key store is created (bytes).
pub const MIN_WALLET_KEY_LEN: usize = 16;

/// Largest key-store file that is read (a real one is well under 1 KiB).
const MAX_FILE_LEN: u64 = 64 * 1024;

/// Why the key store could not be created or opened. No variant carries secret material.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    /// There is no key store at the path.
    #[error("no key store at {path}: run `tmtm init` first")]
    NotFound { path: PathBuf },
    /// `create` found an existing key store and was not allowed to overwrite it.
    #[error(
        "a key store already exists at {path}; refusing to overwrite it \
         (--force replaces it and destroys the old identity)"
    )]
    AlreadyExists { path: PathBuf },
    /// The AEAD tag did not verify: the wallet key is wrong or the sealed data was altered.
    #[error("key store cannot be opened: wrong wallet key or corrupted file ({path})")]
    WrongKeyOrCorrupted { path: PathBuf },
    /// The file is not a well-formed key store (truncated, edited, not JSON, …).
    #[error("key store cannot be opened: wrong wallet key or corrupted file ({path}): {reason}")]
    Corrupted { path: PathBuf, reason: String },
    /// The file was written by a newer (or unknown) format version.
    #[error(
        "key store {path} has format version {found}; this tmtm reads version {FORMAT_VERSION}"
    )]
    UnsupportedVersion { path: PathBuf, found: u32 },
    /// The wallet key is too short to protect the identity.
    #[error("the wallet key is too short: at least {min} bytes are required")]
    WeakWalletKey { min: usize },
    /// KDF parameters given to `create` are out of bounds.
    #[error("invalid key store parameters: {0}")]
    InvalidParams(String),
    /// Key derivation or encryption failed.
    #[error("key store cryptography failed: {0}")]
    Crypto(String),
    /// Reading or writing the file failed.
    #[error("cannot {action} key store {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The public half of a key store, readable without the wallet key. It is not authenticated
/// until [`KeyStore::open`] succeeds, so use it only for display and defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicIdentity {
    pub did: Did,
    pub verkey: Verkey,
}

/// Options of [`KeyStore::create`].
#[derive(Clone, Copy, Debug, Default)]
pub struct CreateOptions {
    /// Replace an existing key store (`--force`).
    pub overwrite: bool,
    /// Argon2id cost parameters.
    pub kdf: KdfParams,
}

/// The encrypted key store file.
pub struct KeyStore;

impl KeyStore {
    /// The key store path inside a data directory.
    pub fn path_in(data_dir: &Path) -> PathBuf {
        data_dir.join(KEYSTORE_FILE_NAME)
    }

    /// Encrypts `keys` under `wallet_key` and writes the key store atomically with mode 0600.
    /// Creates the parent directory (mode 0700) when missing.
    pub fn create(
        path: &Path,
        wallet_key: &Secret,
        keys: &KeyPair,
        options: CreateOptions,
        rng: &mut impl CryptoRngCore,
    ) -> Result<PublicIdentity, KeyStoreError> {
        if wallet_key.expose().len() < MIN_WALLET_KEY_LEN {
            return Err(KeyStoreError::WeakWalletKey {
                min: MIN_WALLET_KEY_LEN,
            });
        }
        options.kdf.check().map_err(KeyStoreError::InvalidParams)?;
        if !options.overwrite && path.exists() {
            return Err(KeyStoreError::AlreadyExists {
                path: path.to_owned(),
            });
        }
        let mut salt = [0u8; SALT_LEN];
        rng.fill_bytes(&mut salt);
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let verkey = keys.verkey();
        let did = keys.did();
        let mut file = KeyStoreFile {
            format: FORMAT_NAME.to_owned(),
            version: FORMAT_VERSION,
            did: did.as_str().to_owned(),
            verkey: verkey.to_base58(),
            kdf: KdfSection {
                algorithm: KDF_ALGORITHM.to_owned(),
                version: ARGON2_VERSION,
                memory_kib: options.kdf.memory_kib,
                iterations: options.kdf.iterations,
                parallelism: options.kdf.parallelism,
                salt: B64.encode(salt),
            },
            cipher: CipherSection {
                algorithm: CIPHER_ALGORITHM.to_owned(),
                nonce: B64.encode(nonce),
                ciphertext: String::new(),
            },
        };
        let key = crypto::derive_key(wallet_key.expose().as_bytes(), &salt, &options.kdf)
            .map_err(KeyStoreError::Crypto)?;
        let sealed = crypto::seal(&key, &nonce, keys.seed(), &file.associated_data())
            .map_err(KeyStoreError::Crypto)?;
        file.cipher.ciphertext = B64.encode(sealed);
        let mut text = serde_json::to_vec_pretty(&file)
            .map_err(|e| KeyStoreError::Crypto(format!("cannot serialise key store: {e}")))?;
        text.push(b'\n');
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fsio::create_private_dir(dir).map_err(|source| KeyStoreError::Io {
                action: "create the directory of",
                path: path.to_owned(),
                source,
            })?;
        }
        fsio::write_private_atomic(path, &text, options.overwrite).map_err(|source| {
            if source.kind() == io::ErrorKind::AlreadyExists {
                KeyStoreError::AlreadyExists {
                    path: path.to_owned(),
                }
            } else {
                KeyStoreError::Io {
                    action: "write",
                    path: path.to_owned(),
                    source,
                }
            }
        })?;
        Ok(PublicIdentity { did, verkey })
    }

    /// Decrypts the key store with `wallet_key` and returns this node's key pair.
    pub fn open(path: &Path, wallet_key: &Secret) -> Result<KeyPair, KeyStoreError> {
        let file = read_file(path)?;
        let corrupted = |reason: &str| KeyStoreError::Corrupted {
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        let public = public_of(&file).map_err(|r| corrupted(&r))?;
        if file.kdf.algorithm != KDF_ALGORITHM || file.kdf.version != ARGON2_VERSION {
            return Err(corrupted("unknown kdf algorithm or version"));
        }
        if file.cipher.algorithm != CIPHER_ALGORITHM {
            return Err(corrupted("unknown cipher algorithm"));
        }
        let params = file.kdf.params();
        params.check().map_err(|r| corrupted(&r))?;
        let salt = decode_fixed::<SALT_LEN>(&file.kdf.salt).ok_or_else(|| corrupted("bad salt"))?;
        let nonce =
            decode_fixed::<NONCE_LEN>(&file.cipher.nonce).ok_or_else(|| corrupted("bad nonce"))?;
        let sealed = decode_fixed::<CIPHERTEXT_LEN>(&file.cipher.ciphertext)
            .ok_or_else(|| corrupted("bad ciphertext"))?;
        let key = crypto::derive_key(wallet_key.expose().as_bytes(), &salt, &params)
            .map_err(KeyStoreError::Crypto)?;
        let seed =
            crypto::open(&key, &nonce, &sealed, &file.associated_data()).ok_or_else(|| {
                KeyStoreError::WrongKeyOrCorrupted {
                    path: path.to_owned(),
                }
            })?;
        let keys = KeyPair::from_seed(&seed);
        // The verkey is authenticated as AAD, so a mismatch means a bug or a crafted file.
        let same: bool = keys
            .verkey()
            .as_bytes()
            .ct_eq(public.verkey.as_bytes())
            .into();
        if !same {
            return Err(corrupted(
                "the sealed seed does not match the stored verkey",
            ));
        }
        Ok(keys)
    }

    /// Reads the DID and verkey without the wallet key (unauthenticated; see
    /// [`PublicIdentity`]).
    pub fn read_public(path: &Path) -> Result<PublicIdentity, KeyStoreError> {
        let file = read_file(path)?;
        public_of(&file).map_err(|reason| KeyStoreError::Corrupted {
            path: path.to_owned(),
            reason,
        })
    }
}

fn read_file(path: &Path) -> Result<KeyStoreFile, KeyStoreError> {
    let io_err = |source: io::Error| {
        if source.kind() == io::ErrorKind::NotFound {
            KeyStoreError::NotFound {
                path: path.to_owned(),
            }
        } else {
            KeyStoreError::Io {
                action: "read",
                path: path.to_owned(),
                source,
            }
        }
    };
    let len = fs::metadata(path).map_err(io_err)?.len();
    if len > MAX_FILE_LEN {
        return Err(KeyStoreError::Corrupted {
            path: path.to_owned(),
            reason: format!("file is {len} bytes, larger than any key store"),
        });
    }
    let bytes = fs::read(path).map_err(io_err)?;
    let corrupted = |e: serde_json::Error| KeyStoreError::Corrupted {
        path: path.to_owned(),
        reason: format!("not a key store file ({e})"),
    };
    let probe: Probe = serde_json::from_slice(&bytes).map_err(corrupted)?;
    if probe.format != FORMAT_NAME {
        return Err(KeyStoreError::Corrupted {
            path: path.to_owned(),
            reason: format!("format is {:?}, expected {FORMAT_NAME:?}", probe.format),
        });
    }
    if probe.version != FORMAT_VERSION {
        return Err(KeyStoreError::UnsupportedVersion {
            path: path.to_owned(),
            found: probe.version,
        });
    }
    serde_json::from_slice(&bytes).map_err(corrupted)
}

fn public_of(file: &KeyStoreFile) -> Result<PublicIdentity, String> {
    let verkey = Verkey::from_base58(&file.verkey).map_err(|e| format!("bad verkey: {e}"))?;
    let did = Did::from_verkey(&verkey);
    if did.as_str() != file.did {
        return Err("the stored DID does not belong to the stored verkey".to_owned());
    }
    Ok(PublicIdentity { did, verkey })
}

fn decode_fixed<const N: usize>(text: &str) -> Option<[u8; N]> {
    let bytes = B64.decode(text).ok()?;
    <[u8; N]>::try_from(bytes.as_slice()).ok()
}
