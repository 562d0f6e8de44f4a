//! [`Metrics`]: a small Prometheus registry and `GET /metrics` (text format 0.0.4).
//!
//! Hand-rolled on purpose: the node needs a handful of series (requests by route and
//! status, errors, DIDComm messages in/out, outbox depth, consensus round latency), and a
//! registry owned by the router — not a process-global recorder as `metrics` +
//! `metrics-exporter-prometheus` install — keeps several nodes in one test process apart.
//!
//! `/metrics` is **public**: it exposes counts and latencies only (route templates such as
//! `/ledgers/{id}/`, never ids, names, DIDs or users), which is what scrapers expect; put
//! it behind the network policy of your monitoring if even counts are sensitive.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiState;
use crate::ports::OutboxStore;

/// Upper bounds (seconds) of the round-latency histogram buckets.
pub const ROUND_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The node's metrics. Cheap to clone; hand one to the consensus driver and transport.
#[derive(Clone, Default)]
pub struct Metrics(Arc<Inner>);

#[derive(Default)]
struct Inner {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    errors: AtomicU64,
    messages_in: AtomicU64,
    messages_out: AtomicU64,
    rounds: Mutex<Histogram>,
}

#[derive(Default)]
struct Histogram {
    buckets: [u64; ROUND_BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// A new, empty registry.
    pub fn new() -> Metrics {
        Metrics::default()
    }

    /// Records one finished consensus round (seconds from proposal to commit or failure).
    pub fn observe_round(&self, seconds: f64) {
        if !seconds.is_finite() || seconds < 0.0 {
            return;
        }
        let mut h = self.0.rounds.lock().unwrap_or_else(PoisonError::into_inner);
        for (slot, bound) in h.buckets.iter_mut().zip(ROUND_BUCKETS) {
            if seconds <= bound {
                *slot += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// Counts one DIDComm message received from a peer.
    pub fn message_in(&self) {
        self.0.messages_in.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one DIDComm message sent to a peer.
    pub fn message_out(&self) {
        self.0.messages_out.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one answered HTTP request (5xx also count as errors).
    pub fn record_request(&self, method: &str, route: &str, status: u16) {
        if status >= 500 {
            self.0.errors.fetch_add(1, Ordering::Relaxed);
        }
        let mut map = self
            .0
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *map.entry((method.to_owned(), route.to_owned(), status))
            .or_insert(0) += 1;
    }

    /// The registry in Prometheus text format; `outbox_depth` when it could be read.
    pub fn render(&self, outbox_depth: Option<u64>) -> String {
        let mut out = String::new();
        out.push_str("# HELP tmtm_http_requests_total HTTP requests answered, by route template and status.\n");
        out.push_str("# TYPE tmtm_http_requests_total counter\n");
        for ((method, route, status), n) in self
            .0
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            let _ = writeln!(
                out,
                "tmtm_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(method),
                escape(route)
            );
        }
        let counter = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}\n"
            );
        };
        counter(
            &mut out,
            "tmtm_http_errors_total",
            "HTTP requests answered with a 5xx status.",
            self.0.errors.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "tmtm_didcomm_messages_in_total",
            "DIDComm messages received from peers.",
            self.0.messages_in.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "tmtm_didcomm_messages_out_total",
            "DIDComm messages sent to peers.",
            self.0.messages_out.load(Ordering::Relaxed),
        );
        if let Some(depth) = outbox_depth {
            let _ = write!(out, "# HELP tmtm_outbox_depth Messages waiting in the outbox.\n# TYPE tmtm_outbox_depth gauge\ntmtm_outbox_depth {depth}\n");
        }
        let h = self.0.rounds.lock().unwrap_or_else(PoisonError::into_inner);
        out.push_str("# HELP tmtm_consensus_round_seconds Duration of consensus rounds.\n");
        out.push_str("# TYPE tmtm_consensus_round_seconds histogram\n");
        for (bound, n) in ROUND_BUCKETS.iter().zip(h.buckets) {
            let _ = writeln!(
                out,
                "tmtm_consensus_round_seconds_bucket{{le=\"{bound}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "tmtm_consensus_round_seconds_bucket{{le=\"+Inf\"}} {}",
            h.count
        );
        let _ = writeln!(out, "tmtm_consensus_round_seconds_sum {}", h.sum);
        let _ = writeln!(out, "tmtm_consensus_round_seconds_count {}", h.count);
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware counting every request by method, matched route template and status.
pub(crate) async fn track(
    State(metrics): State<Metrics>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    metrics.record_request(&method, &route, response.status().as_u16());
    response
}

/// `GET /metrics`.
#[utoipa::path(
    get, path = "/metrics", tag = "health",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"))
)]
pub async fn metrics(State(state): State<ApiState>) -> Response {
    let depth = match state.db.depth().await {
        Ok(d) => Some(d),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot read the outbox depth");
            None
        }
    };
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(depth),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative() {
        let m = Metrics::new();
        m.observe_round(0.02);
        m.observe_round(3.0);
        m.observe_round(f64::NAN);
        let text = m.render(Some(4));
        assert!(text.contains("tmtm_consensus_round_seconds_bucket{le=\"0.01\"} 0\n"));
        assert!(text.contains("tmtm_consensus_round_seconds_bucket{le=\"0.025\"} 1\n"));
        assert!(text.contains("tmtm_consensus_round_seconds_bucket{le=\"5\"} 2\n"));
        assert!(text.contains("tmtm_consensus_round_seconds_count 2\n"));
        assert!(text.contains("tmtm_outbox_depth 4\n"));
    }
}
