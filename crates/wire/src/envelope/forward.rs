//! Routing (§2.5): wrapping an envelope in `forward` messages for each mediator key, innermost
//! first, each layer packed for its routing key (authcrypt from the sender when known).

use rand_core::CryptoRngCore;
use serde_json::Value;

use super::{pack, EnvelopeError};
use crate::keys::{KeyPair, Verkey};
use crate::message::{forward, new_hex_id};

/// Wraps `envelope` (already packed for `recipient`) for `routing_keys = [k1, …, kn]`:
/// first a forward `to = recipient` packed for `k1`, then `to = k1` packed for `k2`, …;
/// the result is sent to the recipient's endpoint. No routing keys → `envelope` unchanged.
pub fn wrap_forward(
    envelope: &[u8],
    recipient: &Verkey,
    routing_keys: &[Verkey],
    sender: Option<&KeyPair>,
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, EnvelopeError> {
    let mut current = envelope.to_vec();
    let mut to = *recipient;
    for key in routing_keys {
        let inner: Value =
            serde_json::from_slice(&current).map_err(|e| EnvelopeError::MalformedJson {
                what: "envelope",
                detail: e.to_string(),
            })?;
        if !inner.is_object() {
            return Err(EnvelopeError::MalformedJson {
                what: "envelope",
                detail: "not an object".into(),
            });
        }
        let message = forward(new_hex_id(rng), &to, inner);
        let plaintext = crate::json::python(&message.into_value())?;
        current = pack(plaintext.as_bytes(), sender, &[*key], rng)?;
        to = *key;
    }
    Ok(current)
}
