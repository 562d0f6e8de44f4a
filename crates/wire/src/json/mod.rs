//! The two JSON serialisations of Sirius (§1.2), reproduced byte for byte:
//!
//! * **CJSON** ([`canonical`]) = Python `json.dumps(v, sort_keys=True, ensure_ascii=False,
//!   separators=(',', ':'))` as UTF-8: keys sorted by Unicode code point at every level,
//!   compact, non-ASCII emitted raw, `/` not escaped. Hashed into Merkle leaves and state hashes.
//! * **PyJSON** ([`python`]) = Python `json.dumps(v)` with defaults: insertion order (serde_json's
//!   `preserve_order`), `", "` and `": "` separators, every non-ASCII character as `\uXXXX`
//!   (lowercase hex, astral characters as surrogate pairs), so the output is pure ASCII.
//!   Signed in `sig_data` and packed into envelopes.
//!
//! Both escape `"` and `\` and the control characters as `\n \r \t \b \f` or `\u00XX`
//! (lowercase hex); PyJSON also escapes DEL (U+007F) as `\u007f`, as Python does.
//!
//! **Integers only.** A float anywhere in the value is rejected with [`JsonError::Float`]:
//! we never hash or sign floats (Python's float `repr` cannot be reproduced reliably, and
//! integers beyond the 64-bit range parse as floats in serde_json), and the node rejects
//! them at its edges. Nesting deeper than [`MAX_DEPTH`] is rejected with
//! [`JsonError::TooDeep`] instead of risking the stack.

mod writer;

use serde_json::{Map, Value};

/// Deepest nesting of arrays/objects accepted by the serialisers (serde_json's parser stops at 128).
pub const MAX_DEPTH: usize = 256;

/// Why a value cannot be serialised.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// The value contains a floating-point number (we never hash or sign floats).
    #[error("floating-point numbers are not allowed")]
    Float,
    /// Arrays/objects nested deeper than [`MAX_DEPTH`].
    #[error("JSON nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

/// CJSON bytes (UTF-8) of `value` (§1.2).
pub fn canonical(value: &Value) -> Result<Vec<u8>, JsonError> {
    canonical_string(value).map(String::into_bytes)
}

/// CJSON text of `value` (§1.2).
pub fn canonical_string(value: &Value) -> Result<String, JsonError> {
    let mut out = String::new();
    writer::write(&mut out, value, writer::Style::Canonical, 0)?;
    Ok(out)
}

/// CJSON bytes of a JSON object given as its map (the same as [`canonical`] of
/// `Value::Object`, without building that value).
pub fn canonical_object(map: &Map<String, Value>) -> Result<Vec<u8>, JsonError> {
    let mut out = String::new();
    writer::write_map(&mut out, map, writer::Style::Canonical, 0)?;
    Ok(out.into_bytes())
}

/// PyJSON text of `value` (§1.2); pure ASCII.
pub fn python(value: &Value) -> Result<String, JsonError> {
    let mut out = String::new();
    writer::write(&mut out, value, writer::Style::Python, 0)?;
    Ok(out)
}
