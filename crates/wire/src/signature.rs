//! The RFC 0234 `ed25519Sha512_single` signature decorator (§4): signing, verifying, binding the
//! signer to an expected key (the safe behaviour §9.13 asks for), and TMTM's detached `msg~sig`
//! variant without `sig_data` (§4.4).
//!
//! Signed bytes = `u64be(ts) ‖ ASCII(PyJSON(value))`; `signature` and `sig_data` are base64url
//! with padding. Verification never looks at the timestamp or `@type` (as Python), but it does
//! fail unless the Ed25519 signature is valid — unlike Python's `verify_signed`, which returns
//! the value either way.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::b64;
use crate::json::{self, JsonError};
use crate::keys::{KeyError, KeyPair, Verkey};

/// `@type` of the decorator, as Python emits it.
pub const ED25519_SHA512_SINGLE: &str =
    "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/signature/1.0/ed25519Sha512_single";

/// The decorator object (`hash~sig`, `msg~sig`, `signatures[].signature`, …).
/// Serialises with keys `@type, signer, signature, sig_data` (the latter omitted when `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureDecorator {
    #[serde(rename = "@type", default)]
    pub type_: String,
    pub signer: String,
    pub signature: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig_data: Option<String>,
}

/// A decoded signature: who signed, when (as claimed) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub signer: Verkey,
    pub ts: u64,
    pub value: Value,
}

/// What was wrong with a decorator.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("value cannot be signed: {0}")]
    Json(#[from] JsonError),
    #[error("signer is not a valid verkey: {0}")]
    Signer(KeyError),
    #[error("field `{0}` is not base64url")]
    Base64(&'static str),
    #[error("signature must be 64 bytes, got {0}")]
    SignatureLength(usize),
    #[error("decorator has no sig_data")]
    MissingSigData,
    #[error("sig_data is shorter than its 8-byte timestamp")]
    SigDataTooShort,
    #[error("sig_data payload is not JSON: {0}")]
    Payload(String),
    #[error("signature does not verify")]
    Invalid,
    #[error("signed by {got}, expected {expected}")]
    UnexpectedSigner { expected: Verkey, got: Verkey },
}

/// `u64be(ts) ‖ PyJSON(value)` — the bytes that are signed (§4.2).
pub fn signed_bytes(value: &Value, ts: u64) -> Result<Vec<u8>, SignatureError> {
    let payload = json::python(value)?;
    let mut bytes = Vec::with_capacity(8 + payload.len());
    bytes.extend_from_slice(&ts.to_be_bytes());
    bytes.extend_from_slice(payload.as_bytes());
    Ok(bytes)
}

/// Signs `value` at `ts` (Unix seconds) as Python's `sign` does (§4.2).
pub fn sign(keys: &KeyPair, value: &Value, ts: u64) -> Result<SignatureDecorator, SignatureError> {
    crate::counters::sign();
    let data = signed_bytes(value, ts)?;
    let signature = keys.sign(&data);
    // A signature this process made is valid by construction (Ed25519 signing is
    // deterministic and the key pair is ours): remember it, so that verifying it when a
    // peer echoes it back — a participant's own pre-commit and commit signatures come back
    // in the actor's `stage-commit` and final `stage-post-commit` — costs a digest, not a
    // verification (see [`verify`]).
    verified::insert(verified::digest(&keys.verkey(), &signature, &data));
    Ok(SignatureDecorator {
        type_: ED25519_SHA512_SINGLE.to_owned(),
        signer: keys.verkey().to_base58(),
        signature: b64::encode(signature),
        sig_data: Some(b64::encode(&data)),
    })
}

/// TMTM's `msg~sig` (§4.4): like [`sign`] but without `sig_data` (the timestamp is lost).
pub fn sign_detached(
    keys: &KeyPair,
    value: &Value,
    ts: u64,
) -> Result<SignatureDecorator, SignatureError> {
    let mut decorator = sign(keys, value, ts)?;
    decorator.sig_data = None;
    Ok(decorator)
}

struct Parts {
    signer: Verkey,
    signature: Vec<u8>,
    data: Vec<u8>,
}

fn parts(d: &SignatureDecorator) -> Result<Parts, SignatureError> {
    let signer = Verkey::from_base58(&d.signer).map_err(SignatureError::Signer)?;
    let signature = b64::decode(&d.signature).map_err(|_| SignatureError::Base64("signature"))?;
    if signature.len() != 64 {
        return Err(SignatureError::SignatureLength(signature.len()));
    }
    let sig_data = d
        .sig_data
        .as_deref()
        .ok_or(SignatureError::MissingSigData)?;
    let data = b64::decode(sig_data).map_err(|_| SignatureError::Base64("sig_data"))?;
    Ok(Parts {
        signer,
        signature,
        data,
    })
}

fn decode_data(signer: Verkey, data: &[u8]) -> Result<Signed, SignatureError> {
    let (ts_bytes, payload) = data
        .split_first_chunk::<8>()
        .ok_or(SignatureError::SigDataTooShort)?;
    let value =
        serde_json::from_slice(payload).map_err(|e| SignatureError::Payload(e.to_string()))?;
    Ok(Signed {
        signer,
        ts: u64::from_be_bytes(*ts_bytes),
        value,
    })
}

/// Verifies the signature over `sig_data` and returns its content (§4.3).
/// Err unless the signature is valid for the `signer` it names.
///
/// A signature that verified once is remembered (a digest of signer, signature and signed
/// data in a bounded process-wide set), so reading the same stored transaction again — the
/// REST API verifies every transaction it shows — costs a SHA-256 instead of an Ed25519
/// verification. Failures are not remembered; signatures made by [`sign`] in this process are
/// remembered when made.
pub fn verify(d: &SignatureDecorator) -> Result<Signed, SignatureError> {
    let p = parts(d)?;
    let digest = verified::digest(&p.signer, &p.signature, &p.data);
    if !verified::contains(&digest) {
        crate::counters::verify();
        if !p.signer.verify(&p.data, &p.signature) {
            return Err(SignatureError::Invalid);
        }
        verified::insert(digest);
    }
    decode_data(p.signer, &p.data)
}

/// [`verify`] without the memory of earlier verifications (for benchmarks of the
/// verification itself).
#[doc(hidden)]
pub fn verify_uncached(d: &SignatureDecorator) -> Result<Signed, SignatureError> {
    crate::counters::verify();
    let p = parts(d)?;
    if !p.signer.verify(&p.data, &p.signature) {
        return Err(SignatureError::Invalid);
    }
    decode_data(p.signer, &p.data)
}

/// The set of signatures that verified (see [`verify`]).
mod verified {
    use sha2::{Digest, Sha256};

    use crate::keys::Verkey;
    use crate::memo::Memo;

    /// Most remembered signatures before the set is emptied.
    const MAX: usize = 16_384;

    static SET: Memo<[u8; 32], ()> = Memo::new(MAX);

    /// SHA-256 over the three parts, each prefixed by its length (unambiguous).
    pub(super) fn digest(signer: &Verkey, signature: &[u8], data: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        for part in [signer.as_bytes().as_slice(), signature, data] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        h.finalize().into()
    }

    pub(super) fn contains(digest: &[u8; 32]) -> bool {
        SET.with(|set| set.contains_key(digest))
    }

    pub(super) fn insert(digest: [u8; 32]) {
        SET.insert(digest, ());
    }
}

/// [`verify`], and the signer must be `expected` (§9.13: bind every signature to the
/// participant it claims to come from).
pub fn verify_from(d: &SignatureDecorator, expected: &Verkey) -> Result<Signed, SignatureError> {
    let signed = verify(d)?;
    if signed.signer != *expected {
        return Err(SignatureError::UnexpectedSigner {
            expected: *expected,
            got: signed.signer,
        });
    }
    Ok(signed)
}

/// Decodes `sig_data` WITHOUT checking the signature — for display only.
pub fn decode_unverified(d: &SignatureDecorator) -> Result<Signed, SignatureError> {
    let p = parts(d)?;
    decode_data(p.signer, &p.data)
}

/// Verifies a detached decorator (§4.4) against a value and timestamp the caller supplies
/// (the caller must rebuild the exact insertion order); returns the signer.
pub fn verify_detached(
    d: &SignatureDecorator,
    value: &Value,
    ts: u64,
) -> Result<Verkey, SignatureError> {
    let signer = Verkey::from_base58(&d.signer).map_err(SignatureError::Signer)?;
    let signature = b64::decode(&d.signature).map_err(|_| SignatureError::Base64("signature"))?;
    if signature.len() != 64 {
        return Err(SignatureError::SignatureLength(signature.len()));
    }
    if signer.verify(&signed_bytes(value, ts)?, &signature) {
        Ok(signer)
    } else {
        Err(SignatureError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_signature_made_here_is_remembered_and_a_changed_one_is_not() {
        let keys = KeyPair::from_seed(&[7; 32]);
        let value = json!({"hash": "remembered-when-made"});
        let d = sign(&keys, &value, 1_700_000_000).unwrap();
        let p = parts(&d).unwrap();
        assert!(verified::contains(&verified::digest(
            &p.signer,
            &p.signature,
            &p.data
        )));
        assert_eq!(verify(&d).unwrap().value, value);
        // Another value under the same signature is neither remembered nor valid.
        let mut forged = d.clone();
        forged.sig_data = Some(b64::encode(signed_bytes(&json!({"hash": "x"}), 1).unwrap()));
        let q = parts(&forged).unwrap();
        assert!(!verified::contains(&verified::digest(
            &q.signer,
            &q.signature,
            &q.data
        )));
        assert!(matches!(verify(&forged), Err(SignatureError::Invalid)));
    }
}
