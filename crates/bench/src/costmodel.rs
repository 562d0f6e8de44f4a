//! The crypto cost model: how many envelopes are packed and unpacked and how many signatures
//! made and verified per round (counted by every node process, `tmtm_wire::counters`), times
//! what each costs on this machine right now (timed here, in-process, like the criterion
//! benches of `tmtm-wire`), against the measured round time.

use std::time::Instant;

use rand_core::OsRng;
use serde_json::json;
use tmtm_wire::counters::CryptoOps;
use tmtm_wire::envelope;
use tmtm_wire::keys::KeyPair;
use tmtm_wire::signature;

/// Mean cost of each operation in microseconds.
#[derive(Clone, Copy, Debug)]
pub struct OpCosts {
    pub pack_us: f64,
    pub unpack_us: f64,
    pub sign_us: f64,
    pub verify_us: f64,
}

impl OpCosts {
    /// CPU microseconds of `ops`.
    pub fn of(&self, ops: &CryptoOps) -> f64 {
        ops.packs as f64 * self.pack_us
            + ops.unpacks as f64 * self.unpack_us
            + ops.signs as f64 * self.sign_us
            + ops.verifies as f64 * self.verify_us
    }
}

/// Times `n` of each operation on a ~1 KiB consensus-sized message between two fixed keys
/// (so the per-peer key caches are warm, as in a running node).
pub fn measure(n: u32) -> anyhow::Result<OpCosts> {
    let sender = KeyPair::from_seed(b"tmtm-bench-cost-model-sender-001");
    let recipient = KeyPair::from_seed(b"tmtm-bench-cost-model-recipient1");
    let payload = json!({
        "@type": "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/simple-consensus/1.0/stage-propose",
        "@id": "bench", "content": "x".repeat(960)
    })
    .to_string();
    let value = json!({"func": "sha256", "base58": "EcLFhsY7UhBCQoMbKMaAcAYbRCVWbYkNJZ2oSEDsgDvC"});
    let n = n.max(1);
    let per = |started: Instant| started.elapsed().as_secs_f64() * 1e6 / f64::from(n);

    let env = envelope::pack(
        payload.as_bytes(),
        Some(&sender),
        &[recipient.verkey()],
        &mut OsRng,
    )?;
    envelope::unpack(&env, &recipient)?;
    let started = Instant::now();
    for _ in 0..n {
        envelope::pack(
            payload.as_bytes(),
            Some(&sender),
            &[recipient.verkey()],
            &mut OsRng,
        )?;
    }
    let pack_us = per(started);
    let started = Instant::now();
    for _ in 0..n {
        envelope::unpack(&env, &recipient)?;
    }
    let unpack_us = per(started);
    let started = Instant::now();
    for _ in 0..n {
        signature::sign(&sender, &value, 1_764_300_000)?;
    }
    let sign_us = per(started);
    let decorator = signature::sign(&sender, &value, 1_764_300_000)?;
    let started = Instant::now();
    for _ in 0..n {
        // Every signature of a round is new to the node that checks it: no remembered result.
        signature::verify_uncached(&decorator)?;
    }
    let verify_us = per(started);
    Ok(OpCosts {
        pack_us,
        unpack_us,
        sign_us,
        verify_us,
    })
}

/// Parses the `CRYPTO_OPS …` line a node process writes to its log when it stops.
pub fn parse_ops(log: &str) -> Option<CryptoOps> {
    let line = log.lines().rev().find(|l| l.starts_with("CRYPTO_OPS "))?;
    let mut ops = CryptoOps::default();
    for kv in line.split_whitespace().skip(1) {
        let (k, v) = kv.split_once('=')?;
        let v: u64 = v.parse().ok()?;
        match k {
            "packs" => ops.packs = v,
            "unpacks" => ops.unpacks = v,
            "signs" => ops.signs = v,
            "verifies" => ops.verifies = v,
            _ => {}
        }
    }
    Some(ops)
}

/// The line [`parse_ops`] reads.
pub fn format_ops(ops: &CryptoOps) -> String {
    format!(
        "CRYPTO_OPS packs={} unpacks={} signs={} verifies={}",
        ops.packs, ops.unpacks, ops.signs, ops.verifies
    )
}

/// The sum over nodes.
pub fn total(ops: &[CryptoOps]) -> CryptoOps {
    ops.iter().fold(CryptoOps::default(), |a, o| CryptoOps {
        packs: a.packs + o.packs,
        unpacks: a.unpacks + o.unpacks,
        signs: a.signs + o.signs,
        verifies: a.verifies + o.verifies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_line_round_trips() {
        let ops = CryptoOps {
            packs: 1,
            unpacks: 2,
            signs: 3,
            verifies: 4,
        };
        let log = format!("some log\n{}\n", format_ops(&ops));
        assert_eq!(parse_ops(&log), Some(ops));
        assert_eq!(parse_ops("nothing"), None);
    }
}
