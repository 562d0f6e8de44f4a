//! Ed25519 keys and unqualified Indy DIDs as Sirius peers write them (§1.1, §1.3):
//! a verkey is base58 of the 32-byte public key, a sigkey base58 of the 64-byte libsodium
//! secret key (seed ‖ pk), a DID base58 of the first 16 bytes of the verkey.
//! `KeyPair`'s `Debug` never prints secret material.

mod decompressed;

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{Signature, Signer, SigningKey};
use rand_core::CryptoRngCore;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a key could not be decoded.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The text is not base58 (Bitcoin alphabet).
    #[error("invalid base58")]
    Base58,
    /// The decoded bytes have the wrong length.
    #[error("expected {expected} bytes, got {got}")]
    Length { expected: usize, got: usize },
    /// The 32 bytes are not a valid compressed Ed25519 point.
    #[error("not a valid Ed25519 public key")]
    NotOnCurve,
    /// A sigkey whose public half does not match its seed.
    #[error("sigkey public half does not match its seed")]
    Mismatch,
}

fn decode_base58_fixed<const N: usize>(text: &str) -> Result<[u8; N], KeyError> {
    let bytes = bs58::decode(text)
        .into_vec()
        .map_err(|_| KeyError::Base58)?;
    <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| KeyError::Length {
        expected: N,
        got: bytes.len(),
    })
}

/// An Ed25519 public key ("verkey"); displayed and serialised as base58.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Verkey([u8; 32]);

impl Verkey {
    /// Accepts the bytes only if they decompress to an Ed25519 point.
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Self, KeyError> {
        decompressed::verifying_key(&bytes).ok_or(KeyError::NotOnCurve)?;
        Ok(Verkey(bytes))
    }

    /// Parses base58 text of exactly 32 bytes that form a valid point.
    pub fn from_base58(text: &str) -> Result<Self, KeyError> {
        Self::from_bytes(decode_base58_fixed::<32>(text)?)
    }

    pub fn to_base58(&self) -> String {
        bs58::encode(self.0).into_string()
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The unqualified Indy DID of this key.
    pub fn did(&self) -> Did {
        Did::from_verkey(self)
    }

    /// Ed25519 verification with libsodium-like strictness (`verify_strict`: canonical `S`,
    /// no small-order keys or `R`). False on any malformed input.
    pub fn verify(&self, msg: &[u8], signature: &[u8]) -> bool {
        let Ok(sig) = Signature::from_slice(signature) else {
            return false;
        };
        let Some(key) = decompressed::verifying_key(&self.0) else {
            return false;
        };
        key.verify_strict(msg, &sig).is_ok()
    }
}

impl fmt::Display for Verkey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base58())
    }
}

impl fmt::Debug for Verkey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Verkey({})", self.to_base58())
    }
}

impl FromStr for Verkey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_base58(s)
    }
}

impl Serialize for Verkey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base58())
    }
}

impl<'de> Deserialize<'de> for Verkey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Verkey::from_base58(&text).map_err(serde::de::Error::custom)
    }
}

/// An unqualified Indy DID (base58 of the first 16 bytes of a verkey). Peers' DIDs are
/// compared as plain strings (§1.3), so [`Did::new`] does not validate.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Did(String);

impl Did {
    pub fn from_verkey(verkey: &Verkey) -> Did {
        let (head, _) = verkey.0.split_at(16);
        Did(bs58::encode(head).into_string())
    }

    /// Wraps any string, without validation.
    pub fn new(s: impl Into<String>) -> Did {
        Did(s.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An Ed25519 signing key pair. `Debug` shows only the verkey.
#[derive(Clone)]
pub struct KeyPair {
    signing: SigningKey,
}

impl KeyPair {
    /// The libsodium `crypto_sign_seed_keypair` of a 32-byte seed.
    pub fn from_seed(seed: &[u8; 32]) -> KeyPair {
        KeyPair {
            signing: SigningKey::from_bytes(seed),
        }
    }

    pub fn generate(rng: &mut impl CryptoRngCore) -> KeyPair {
        KeyPair {
            signing: SigningKey::generate(rng),
        }
    }

    /// Parses a base58 64-byte libsodium secret key (seed ‖ pk); the halves must match.
    pub fn from_sigkey_base58(text: &str) -> Result<KeyPair, KeyError> {
        let bytes = decode_base58_fixed::<64>(text)?;
        let signing = SigningKey::from_keypair_bytes(&bytes).map_err(|_| KeyError::Mismatch)?;
        Ok(KeyPair { signing })
    }

    pub fn verkey(&self) -> Verkey {
        Verkey(self.signing.verifying_key().to_bytes())
    }

    pub fn did(&self) -> Did {
        self.verkey().did()
    }

    /// Detached Ed25519 signature (libsodium `crypto_sign_detached`).
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.signing.sign(msg).to_bytes()
    }

    /// The 32-byte seed (secret).
    pub fn seed(&self) -> &[u8; 32] {
        self.signing.as_bytes()
    }

    /// Base58 of the 64-byte libsodium secret key (seed ‖ pk) (secret).
    pub fn sigkey_base58(&self) -> String {
        bs58::encode(self.signing.to_keypair_bytes()).into_string()
    }

    /// The libsodium `crypto_sign_ed25519_sk_to_curve25519` scalar: the first half of
    /// SHA-512(seed), clamped. Crate-internal (envelope encryption).
    pub(crate) fn x25519_secret_bytes(&self) -> [u8; 32] {
        let mut bytes = self.signing.to_scalar_bytes();
        if let Some(first) = bytes.first_mut() {
            *first &= 248;
        }
        if let Some(last) = bytes.last_mut() {
            *last &= 127;
            *last |= 64;
        }
        bytes
    }
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("verkey", &self.verkey().to_base58())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let kp = KeyPair::from_seed(b"0000000000000000000000000000SEED");
        let shown = format!("{kp:?} {:#?}", kp);
        assert!(shown.contains(&kp.verkey().to_base58()));
        assert!(!shown.contains(&kp.sigkey_base58()));
        assert!(!shown.contains("SEED"));
        assert!(!shown.contains("48, 48"));
    }

    #[test]
    fn verkey_rejects_bad_input() {
        assert_eq!(Verkey::from_base58("0OIl"), Err(KeyError::Base58));
        assert!(matches!(
            Verkey::from_base58("3VqgfTp6Q4VeF8KY7eTuWDVAZafD2kVcioDv76KGLmg"),
            Err(KeyError::Length { expected: 32, .. })
        ));
        // y = 2 is not the y coordinate of any curve point.
        let mut not_a_point = [0u8; 32];
        not_a_point[0] = 2;
        assert_eq!(Verkey::from_bytes(not_a_point), Err(KeyError::NotOnCurve));
    }

    #[test]
    fn sigkey_round_trip_and_mismatch() {
        let kp = KeyPair::from_seed(&[7u8; 32]);
        let back = KeyPair::from_sigkey_base58(&kp.sigkey_base58()).unwrap();
        assert_eq!(back.verkey(), kp.verkey());
        let mut bytes = [0u8; 64];
        bytes[..32].copy_from_slice(kp.seed());
        bytes[32..].copy_from_slice(KeyPair::from_seed(&[8u8; 32]).verkey().as_bytes());
        let wrong = bs58::encode(bytes).into_string();
        assert_eq!(
            KeyPair::from_sigkey_base58(&wrong).unwrap_err(),
            KeyError::Mismatch
        );
    }

    #[test]
    fn serde_as_base58_strings() {
        let kp = KeyPair::from_seed(&[1u8; 32]);
        let vk = kp.verkey();
        let json = serde_json::to_string(&vk).unwrap();
        assert_eq!(json, format!("\"{vk}\""));
        assert_eq!(serde_json::from_str::<Verkey>(&json).unwrap(), vk);
        assert!(serde_json::from_str::<Verkey>("\"abc\"").is_err());
        let did = kp.did();
        assert_eq!(
            serde_json::to_string(&did).unwrap(),
            format!("\"{}\"", did.as_str())
        );
        assert!("x".parse::<Verkey>().is_err());
    }

    #[test]
    fn sign_and_verify() {
        let kp = KeyPair::from_seed(&[3u8; 32]);
        let sig = kp.sign(b"hello");
        assert!(kp.verkey().verify(b"hello", &sig));
        assert!(!kp.verkey().verify(b"hellO", &sig));
        assert!(!kp.verkey().verify(b"hello", &sig[..63]));
    }
}
