//! Tunables of the transport ([`TransportConfig`]) and the outbox retry schedule ([`Backoff`]).

use std::time::Duration;

/// Exponential backoff with jitter for outbox retries.
///
/// After the `n`-th failed attempt (n ≥ 1) the nominal delay is `initial · 2^(n-1)`, capped
/// at `max`; the actual delay is drawn uniformly from `[nominal/2, nominal]` ("equal
/// jitter"), so peers that went down together do not get retried in lockstep while the
/// delay still grows. Defaults: 250 ms doubling to a 30 s cap (≈ 8 attempts to reach the cap).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// The nominal (un-jittered) delay after `failures` failed attempts.
    pub fn nominal(&self, failures: u32) -> Duration {
        let shift = failures.saturating_sub(1).min(31);
        self.initial
            .checked_mul(1u32 << shift)
            .map_or(self.max, |d| d.min(self.max))
    }

    /// The delay after `failures` failed attempts; `random` picks the point in the jitter
    /// window (any `u32`; pass a random one).
    pub fn delay(&self, failures: u32, random: u32) -> Duration {
        let nominal = self.nominal(failures).as_millis();
        let half = nominal / 2;
        let span = nominal - half;
        let jitter = if span == 0 {
            0
        } else {
            u128::from(random) % (span + 1)
        };
        let ms = u64::try_from(half + jitter).unwrap_or(u64::MAX);
        Duration::from_millis(ms)
    }
}

/// How the transport behaves. `Default` gives production values; tests shorten the timings.
#[derive(Clone, Debug)]
pub struct TransportConfig {
    /// Path of the inbound endpoint (default `/agent`; the conformance kit uses `/`).
    pub inbound_path: String,
    /// Largest accepted inbound body (default 2 MiB; larger → 413).
    pub max_body_bytes: usize,
    /// Capacity of the inbound queue handed to the node; a full queue makes POSTs wait.
    pub inbound_queue: usize,
    /// TCP connect timeout for outgoing POSTs (default 5 s).
    pub connect_timeout: Duration,
    /// Whole-request timeout for outgoing POSTs (default 15 s).
    pub request_timeout: Duration,
    /// How long an outbox message is worth sending (default 1 h); then it expires.
    pub message_ttl: Duration,
    /// Retry schedule of the outbox.
    pub backoff: Backoff,
    /// Most deliveries in flight at once, across peers (default 16; one per peer at most).
    pub max_parallel: usize,
    /// Entries fetched from the store per worker pass (default 512).
    pub due_batch: usize,
    /// Longest the worker sleeps without being woken (default 1 s).
    pub poll_interval: Duration,
    /// How long inbound `(sender, @id)` records are kept for de-duplication (default 7 days).
    pub dedup_retention: Duration,
    /// How often the worker prunes old de-duplication records (default 10 min).
    pub dedup_prune_interval: Duration,
    /// Message names (the last segment of `@type`) whose duplicates are still handed to the
    /// node instead of being dropped (default none). Needed for sirius-sdk 1.0.25 peers, which
    /// answer stage 3 of the parallel commit by re-sending their `stage-pre-commit-parallel`
    /// with the same `@id` (sirius-protocol.md §6.6.2); the consensus engine handles those
    /// duplicates idempotently.
    pub redeliver_duplicates: Vec<String>,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            inbound_path: "/agent".to_owned(),
            max_body_bytes: 2 * 1024 * 1024,
            inbound_queue: 1024,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(15),
            message_ttl: Duration::from_secs(3600),
            backoff: Backoff::default(),
            max_parallel: 16,
            due_batch: 512,
            poll_interval: Duration::from_secs(1),
            dedup_retention: Duration::from_secs(7 * 24 * 3600),
            dedup_prune_interval: Duration::from_secs(600),
            redeliver_duplicates: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_and_jitters_within_half() {
        let b = Backoff::default();
        assert_eq!(b.nominal(1), Duration::from_millis(250));
        assert_eq!(b.nominal(2), Duration::from_millis(500));
        assert_eq!(b.nominal(8), Duration::from_secs(30));
        assert_eq!(b.nominal(1000), Duration::from_secs(30));
        for failures in 1..12 {
            let nominal = b.nominal(failures);
            for r in [0, 1, 7, 12345, u32::MAX] {
                let d = b.delay(failures, r);
                assert!(d <= nominal && d >= nominal / 2, "{failures} {r} {d:?}");
            }
        }
        assert_eq!(b.delay(1, 0), Duration::from_millis(125));
        assert_eq!(b.delay(1, 125), Duration::from_millis(250));
    }
}
