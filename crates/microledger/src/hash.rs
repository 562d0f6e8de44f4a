//! The 32-byte SHA-256 [`Hash`](struct@Hash) of the tree and the three Plenum `TreeHasher`
//! primitives (§5.3): leaf = SHA256(0x00 ‖ data), node = SHA256(0x01 ‖ left ‖ right),
//! empty root = SHA256("").
//!
//! Hand-written on purpose: no crate implements the Plenum/RFC 6962 hashing with this exact
//! tree shape and the base58 encoding Sirius puts on the wire, and it is three lines of SHA-256.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// Domain-separation prefix of a leaf hash (RFC 6962 §2.1).
const LEAF_PREFIX: u8 = 0x00;
/// Domain-separation prefix of an interior node hash (RFC 6962 §2.1).
const NODE_PREFIX: u8 = 0x01;

/// A SHA-256 value of the tree: leaf, interior node or root.
///
/// `Display`, `FromStr` and serde all use base58 (Bitcoin alphabet), as on the wire.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash([u8; 32]);

/// Why a string is not a [`Hash`](struct@Hash).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// Not valid base58 (Bitcoin alphabet).
    #[error("hash is not valid base58")]
    Base58,
    /// Decoded to the wrong number of bytes.
    #[error("hash must decode to 32 bytes, got {0}")]
    Length(usize),
}

impl Hash {
    /// Wraps 32 raw bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Hash(bytes)
    }

    /// The 32 raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Root of the empty tree: SHA256("") (`GKot5hBsd81kMupNCXHaqbhv3huEbxAFMLnpcX2hniwn`).
    pub fn empty() -> Self {
        Hash(Sha256::digest(b"").into())
    }

    /// Leaf hash of already-serialised leaf data: SHA256(0x00 ‖ data).
    pub fn leaf(data: &[u8]) -> Self {
        let mut h = Sha256::new();
        h.update([LEAF_PREFIX]);
        h.update(data);
        Hash(h.finalize().into())
    }

    /// Interior node hash: SHA256(0x01 ‖ left ‖ right).
    pub fn children(left: &Hash, right: &Hash) -> Self {
        let mut h = Sha256::new();
        h.update([NODE_PREFIX]);
        h.update(left.0);
        h.update(right.0);
        Hash(h.finalize().into())
    }

    /// Base58 text (the wire form).
    pub fn to_base58(&self) -> String {
        bs58::encode(self.0).into_string()
    }

    /// Parses the base58 wire form; exactly 32 bytes must come out.
    pub fn from_base58(s: &str) -> Result<Self, HashError> {
        let bytes = bs58::decode(s).into_vec().map_err(|_| HashError::Base58)?;
        let len = bytes.len();
        let arr: [u8; 32] = bytes.try_into().map_err(|_| HashError::Length(len))?;
        Ok(Hash(arr))
    }

    /// Lowercase hex (for logs and vectors written in hex).
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base58())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_base58())
    }
}

impl FromStr for Hash {
    type Err = HashError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Hash::from_base58(s)
    }
}

impl From<[u8; 32]> for Hash {
    fn from(bytes: [u8; 32]) -> Self {
        Hash(bytes)
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base58())
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Hash::from_base58(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(
            Hash::empty().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn base58_round_trip_and_errors() {
        let h = Hash::leaf(b"x");
        assert_eq!(Hash::from_base58(&h.to_string()), Ok(h));
        assert_eq!(h.to_string().parse::<Hash>(), Ok(h));
        assert_eq!(Hash::from_base58("0OIl"), Err(HashError::Base58));
        let long = bs58::encode([7u8; 33]).into_string();
        assert_eq!(Hash::from_base58(&long), Err(HashError::Length(33)));
        let short = bs58::encode([7u8; 31]).into_string();
        assert_eq!(Hash::from_base58(&short), Err(HashError::Length(31)));
        assert_eq!(Hash::from_base58(""), Err(HashError::Length(0)));
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, format!("\"{h}\""));
        assert_eq!(serde_json::from_str::<Hash>(&json).unwrap(), h);
        assert!(serde_json::from_str::<Hash>("\"abc\"").is_err());
    }

    #[test]
    fn leaf_and_node_are_domain_separated() {
        let a = Hash::leaf(b"a");
        let b = Hash::leaf(b"b");
        let mut concat = Vec::new();
        concat.extend_from_slice(a.as_bytes());
        concat.extend_from_slice(b.as_bytes());
        assert_ne!(Hash::children(&a, &b), Hash::leaf(&concat));
        assert_ne!(Hash::children(&a, &b), Hash::children(&b, &a));
    }
}
