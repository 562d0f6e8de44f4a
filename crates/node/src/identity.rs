//! This node's identity as an operator sees it: the `--seed` parser, the participant card
//! (DID, verkey, endpoint) that organisations exchange, and the `init` / `show` operations
//! that tie the configuration to the key store.

use std::fmt;

use rand_core::CryptoRngCore;
use serde::Serialize;
use tmtm_wire::keys::{Did, KeyPair, Verkey};

use crate::config::{ConfigError, NodeConfig};
use crate::keystore::{CreateOptions, KeyStore, KeyStoreError};

/// Why `init` or `identity show` failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// A configuration problem (exit code 2).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// `--seed` is not 32 bytes (exit code 2).
    #[error("--seed must be exactly 32 ASCII characters (got {0} bytes)")]
    BadSeed(usize),
    /// The key store could not be created or opened (exit code 1).
    #[error(transparent)]
    KeyStore(#[from] KeyStoreError),
    /// The configured DID is not the key store's (exit code 2).
    #[error("the configured did {configured} is not this key store's DID {actual}")]
    DidMismatch { configured: Did, actual: Did },
}

impl IdentityError {
    /// Whether the error is the operator's input (usage or configuration), not a runtime
    /// failure.
    pub fn is_usage(&self) -> bool {
        match self {
            IdentityError::Config(_)
            | IdentityError::BadSeed(_)
            | IdentityError::DidMismatch { .. } => true,
            IdentityError::KeyStore(e) => matches!(
                e,
                KeyStoreError::AlreadyExists { .. } | KeyStoreError::WeakWalletKey { .. }
            ),
        }
    }
}

/// Parses a test seed: its raw 32 ASCII bytes are the Ed25519 seed (as in the Sirius test
/// vectors). Not for production keys.
pub fn parse_seed(text: &str) -> Result<[u8; 32], IdentityError> {
    <[u8; 32]>::try_from(text.as_bytes()).map_err(|_| IdentityError::BadSeed(text.len()))
}

/// What one organisation hands the others to be added to `network.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParticipantCard {
    pub did: Did,
    pub verkey: Verkey,
    pub endpoint: String,
}

impl ParticipantCard {
    /// The card as JSON: `{"did", "verkey", "endpoint"}`.
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "did": self.did.as_str(),
            "verkey": self.verkey.to_base58(),
            "endpoint": self.endpoint,
        })
        .to_string()
    }
}

impl fmt::Display for ParticipantCard {
    /// Human text, with a `[[participants]]` block ready for `network.toml`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "DID:      {}", self.did)?;
        writeln!(f, "Verkey:   {}", self.verkey)?;
        writeln!(f, "Endpoint: {}", self.endpoint)?;
        writeln!(f)?;
        writeln!(f, "# for network.toml (fill in label and organization):")?;
        writeln!(f, "[[participants]]")?;
        writeln!(f, "did = \"{}\"", self.did)?;
        writeln!(f, "verkey = \"{}\"", self.verkey)?;
        writeln!(f, "endpoint = \"{}\"", self.endpoint)?;
        writeln!(f, "label = \"\"")?;
        write!(f, "organization = \"\"")
    }
}

/// Options of [`init`].
#[derive(Clone, Copy, Default)]
pub struct InitOptions {
    /// A fixed seed (tests and demos); random when `None`.
    pub seed: Option<[u8; 32]>,
    /// Replace an existing key store.
    pub force: bool,
}

impl fmt::Debug for InitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InitOptions")
            .field("seed", &self.seed.map(|_| crate::secret::REDACTED))
            .field("force", &self.force)
            .finish()
    }
}

/// `tmtm init`: creates the key store in the data directory and returns the card.
pub fn init(
    config: &NodeConfig,
    options: InitOptions,
    rng: &mut impl CryptoRngCore,
) -> Result<ParticipantCard, IdentityError> {
    let wallet_key = config.wallet_key()?;
    let keys = match options.seed {
        Some(seed) => KeyPair::from_seed(&seed),
        None => KeyPair::generate(rng),
    };
    let public = KeyStore::create(
        &config.keystore_path(),
        &wallet_key,
        &keys,
        CreateOptions {
            overwrite: options.force,
            ..CreateOptions::default()
        },
        rng,
    )?;
    Ok(ParticipantCard {
        did: public.did,
        verkey: public.verkey,
        endpoint: config.agent_endpoint(),
    })
}

/// `tmtm identity show`: opens the key store (proving the wallet key) and returns the card
/// and the key pair. Fails when the configured DID is not the key store's.
pub fn open(config: &NodeConfig) -> Result<(ParticipantCard, KeyPair), IdentityError> {
    let wallet_key = config.wallet_key()?;
    let keys = KeyStore::open(&config.keystore_path(), &wallet_key)?;
    if let Some(configured) = &config.did {
        if configured != &keys.did() {
            return Err(IdentityError::DidMismatch {
                configured: configured.clone(),
                actual: keys.did(),
            });
        }
    }
    let card = ParticipantCard {
        did: keys.did(),
        verkey: keys.verkey(),
        endpoint: config.agent_endpoint(),
    };
    Ok((card, keys))
}

/// This node's DID without the wallet key: the configured `did`, else the key store's
/// public (unauthenticated) DID, else `None`.
pub fn own_did(config: &NodeConfig) -> Option<Did> {
    config.did.clone().or_else(|| {
        KeyStore::read_public(&config.keystore_path())
            .ok()
            .map(|p| p.did)
    })
}
