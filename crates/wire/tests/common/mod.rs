//! Shared test helpers: loading `shared/vectors/*.json` relative to the crate.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;
use tmtm_wire::keys::KeyPair;

/// Reads `../../../shared/vectors/<name>` relative to this crate; panics (fails the test)
/// with a clear message when the file is missing.
pub fn vector(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/vectors")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "test vector {} is missing ({e}); shared/ must sit beside the repository",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

pub fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("vector field `{key}` missing or not a string in {v}"))
}

pub fn seed_keys(seed: &str) -> KeyPair {
    let bytes: [u8; 32] = seed
        .as_bytes()
        .try_into()
        .expect("seed must be 32 ASCII bytes");
    KeyPair::from_seed(&bytes)
}
