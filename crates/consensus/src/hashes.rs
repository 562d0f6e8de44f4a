//! The hashes of the protocol (sirius-protocol.md §6.2) and the actor's `txnTime` string.
//!
//! * state hash: `md5_hex(CJSON(MicroLedgerState))`;
//! * parallel hash: states sorted by name, their md5 hex strings concatenated, SHA-256 hex;
//! * `ledger~hash`: `{"func": "sha256", "base58": b58(SHA256(CJSON(ledger)))}`.

use md5::{Digest as _, Md5};
use serde_json::{json, Value};
use sha2::Sha256;
use tmtm_microledger::LedgerState;

use crate::error::ConsensusError;

/// CJSON bytes of a JSON value (via `tmtm_wire`), with the error mapped.
pub fn cjson(value: &Value) -> Result<Vec<u8>, ConsensusError> {
    tmtm_wire::json::canonical(value).map_err(|e| ConsensusError::Json(e.to_string()))
}

/// The wire object of a ledger state (§6.2: name, seq_no, size, uncommitted_size, roots).
pub fn state_value(state: &LedgerState) -> Value {
    json!({
        "name": state.name,
        "seq_no": state.seq_no,
        "size": state.size,
        "uncommitted_size": state.uncommitted_size,
        "root_hash": state.root_hash,
        "uncommitted_root_hash": state.uncommitted_root_hash,
    })
}

/// md5 hex of the CJSON of a state object as received (any JSON object).
pub fn state_value_hash(state: &Value) -> Result<String, ConsensusError> {
    let bytes = cjson(state)?;
    Ok(hex_lower(&Md5::digest(&bytes)))
}

/// The state hash of a ledger state.
pub fn state_hash(state: &LedgerState) -> Result<String, ConsensusError> {
    state_value_hash(&state_value(state))
}

/// The parallel hash of several states (any order; sorted by name here).
pub fn parallel_hash(states: &[LedgerState]) -> Result<String, ConsensusError> {
    let mut named: Vec<(&str, String)> = Vec::with_capacity(states.len());
    for s in states {
        named.push((s.name.as_str(), state_hash(s)?));
    }
    named.sort_by(|a, b| a.0.cmp(b.0));
    let mut hasher = Sha256::new();
    for (_, h) in &named {
        hasher.update(h.as_bytes());
    }
    Ok(hex_lower(&hasher.finalize()))
}

/// The `ledger~hash` object of a `ledger` object.
pub fn ledger_hash(ledger: &Value) -> Result<Value, ConsensusError> {
    let digest = Sha256::digest(cjson(ledger)?);
    Ok(json!({"func": "sha256", "base58": bs58::encode(digest).into_string()}))
}

fn hex_lower(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    s
}

/// Python's `str(datetime.utcfromtimestamp(micros / 1e6))`: `YYYY-MM-DD HH:MM:SS.ffffff`,
/// without the fraction when the microseconds are zero (as Python prints it).
pub fn format_txn_time(unix_micros: u64) -> String {
    let micros = unix_micros % 1_000_000;
    let secs = unix_micros / 1_000_000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    let base = format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    );
    if micros == 0 {
        base
    } else {
        format!("{base}.{micros:06}")
    }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txn_time_matches_python_str() {
        // 2020-09-04 17:31:18.355738 UTC (the README's txnTime)
        assert_eq!(
            format_txn_time(1_599_240_678_355_738),
            "2020-09-04 17:31:18.355738"
        );
        assert_eq!(format_txn_time(0), "1970-01-01 00:00:00");
        assert_eq!(
            format_txn_time(951_782_400_000_001),
            "2000-02-29 00:00:00.000001"
        );
    }
}
