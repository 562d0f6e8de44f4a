//! Signing and verifying the values the protocol signs, always bound to an expected verkey
//! (§4, §6.2 item 4). Unlike the Python SDK, a signature is never trusted unless it verifies
//! *and* its signer is the verkey we hold for the participant it is attributed to (§9.13).

use serde_json::{Map, Value};
use tmtm_wire::keys::{KeyPair, Verkey};
use tmtm_wire::signature::{self, SignatureDecorator};

use crate::error::ConsensusError;

/// Sign `value` at `ts` (Unix seconds) and return the decorator as JSON.
pub fn sign_value(keys: &KeyPair, value: &Value, ts: u64) -> Result<Value, ConsensusError> {
    let decorator =
        signature::sign(keys, value, ts).map_err(|e| ConsensusError::Signature(e.to_string()))?;
    serde_json::to_value(decorator).map_err(|e| ConsensusError::Signature(e.to_string()))
}

/// Verify a decorator (given as received JSON) against `expected` and return the signed value.
pub fn verify_bound(decorator: &Value, expected: &Verkey) -> Result<Value, String> {
    let d: SignatureDecorator = serde_json::from_value(decorator.clone())
        .map_err(|e| format!("malformed signature: {e}"))?;
    let signed = signature::verify_from(&d, expected).map_err(|e| e.to_string())?;
    Ok(signed.value)
}

/// The signer field of a received decorator, if any.
pub fn signer_of(decorator: &Value) -> Option<&str> {
    decorator.get("signer")?.as_str()
}

/// A JSON object without its top-level `~` decorators (how commit signatures are compared, §6.5.5).
pub fn strip_decorators(value: &Value) -> Value {
    match value.as_object() {
        Some(map) => {
            let kept: Map<String, Value> = map
                .iter()
                .filter(|(k, _)| !k.starts_with('~'))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Value::Object(kept)
        }
        None => value.clone(),
    }
}
