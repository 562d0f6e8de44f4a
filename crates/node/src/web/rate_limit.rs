//! The limit on failed logins: at most [`MAX_FAILURES`] failures per (user name, client IP)
//! within [`WINDOW_MS`]; further attempts are refused without checking the password until
//! the oldest failure leaves the window. A successful login clears the key.
//!
//! Kept in memory (per process): a restart or a second replica starts counting afresh, which
//! is acceptable for slowing down guessing (Argon2 already costs ~20 ms per attempt). When
//! the node is served without the peer address (tests), the IP part is `-`, so the limit
//! holds per user name. The map is bounded: stale keys are pruned when it grows past
//! [`MAX_KEYS`], and it is cleared if it is still too large.

use std::collections::HashMap;
use std::sync::Mutex;

/// Failures allowed per key within the window.
pub const MAX_FAILURES: usize = 5;
/// The window: 15 minutes.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
const MAX_KEYS: usize = 10_000;

/// Failed login times by (lower-case user name, IP).
#[derive(Default)]
pub struct LoginLimiter(Mutex<HashMap<(String, String), Vec<i64>>>);

fn key(username: &str, ip: &str) -> (String, String) {
    (username.trim().to_lowercase(), ip.to_owned())
}

impl LoginLimiter {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Vec<i64>>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `Some(minutes to wait)` when this key may not try now.
    pub fn blocked(&self, username: &str, ip: &str, now_ms: i64) -> Option<i64> {
        let mut map = self.map();
        let times = map.get_mut(&key(username, ip))?;
        times.retain(|t| now_ms - t < WINDOW_MS);
        if times.len() < MAX_FAILURES {
            return None;
        }
        let oldest = times.iter().min().copied().unwrap_or(now_ms);
        let wait_ms = (oldest + WINDOW_MS - now_ms).max(0);
        Some((wait_ms + 59_999) / 60_000)
    }

    /// Records a failure.
    pub fn failed(&self, username: &str, ip: &str, now_ms: i64) {
        let mut map = self.map();
        if map.len() >= MAX_KEYS {
            map.retain(|_, times| times.iter().any(|t| now_ms - t < WINDOW_MS));
            if map.len() >= MAX_KEYS {
                map.clear();
            }
        }
        map.entry(key(username, ip)).or_default().push(now_ms);
    }

    /// Clears a key after a successful login.
    pub fn succeeded(&self, username: &str, ip: &str) {
        self.map().remove(&key(username, ip));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_block_until_the_window_passes() {
        let l = LoginLimiter::default();
        for i in 0..5 {
            assert_eq!(l.blocked("Anna", "1.2.3.4", i), None);
            l.failed("Anna", "1.2.3.4", i);
        }
        assert_eq!(l.blocked("anna", "1.2.3.4", 10), Some(15));
        assert_eq!(l.blocked("anna", "5.6.7.8", 10), None);
        assert_eq!(l.blocked("anna", "1.2.3.4", WINDOW_MS + 1), None);
        l.failed("bob", "-", 0);
        l.succeeded("BOB", "-");
        assert_eq!(l.blocked("bob", "-", 1), None);
    }
}
