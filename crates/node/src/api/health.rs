//! Health: `GET /healthz` (the process serves), `GET /readyz` (the database answers) — both
//! public, for orchestrators — and `GET|POST /maintenance/check_health/` (authenticated):
//! trust-pings every other participant of the network file **and waits for the pongs**,
//! bounded by [`PING_TIMEOUT`], all peers in parallel. The result is cached for
//! [`CHECK_CACHE_MS`] and concurrent calls share one round of pings, so the endpoint cannot
//! be used to flood the peers (the original was unauthenticated and pinged on every call).

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use tmtm_wire::keys::Did;
use utoipa::ToSchema;

use super::clock::rfc3339;
use super::error::{ApiError, ErrorBody};
use super::ApiState;
use crate::ports::{InboxDedup, OutboxStore};
use crate::transport::Transport;

/// How long one ping waits for its pong.
pub const PING_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a check result is reused.
pub const CHECK_CACHE_MS: i64 = 10_000;
/// How long `/readyz` waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// A boxed future, for the object-safe [`HealthPinger`].
pub type PingFuture<'a> = Pin<Box<dyn Future<Output = Result<Duration, String>> + Send + 'a>>;

/// Sends a trust ping to a participant and waits for its answer (the transport in a node,
/// a fake in tests).
pub trait HealthPinger: Send + Sync + 'static {
    /// Pings `did`; the round-trip time, or why there was no answer within `timeout`.
    fn ping<'a>(&'a self, did: &'a Did, timeout: Duration) -> PingFuture<'a>;
}

impl<O: OutboxStore, D: InboxDedup> HealthPinger for Transport<O, D> {
    fn ping<'a>(&'a self, did: &'a Did, timeout: Duration) -> PingFuture<'a> {
        Box::pin(async move {
            let peer = self
                .peers()
                .by_did(did)
                .ok_or_else(|| "not a known peer".to_owned())?
                .clone();
            Transport::ping(self, &peer, timeout)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// One participant's answer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PeerHealth {
    pub label: String,
    /// Whether the pong arrived in time.
    pub ok: bool,
    /// Round-trip time in milliseconds, when `ok`.
    pub rtt_ms: Option<u64>,
    /// Why not, when not `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Result of a health check.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CheckHealth {
    /// Every other participant answered.
    pub success: bool,
    /// Identifies the round of pings (its start time, RFC 3339).
    pub ping_id: String,
    /// `OK`, or how many participants did not answer.
    pub message: String,
    /// By participant DID.
    pub participants: BTreeMap<String, PeerHealth>,
}

/// `GET /healthz`: 200 while the process serves.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "`ok`", content_type = "text/plain")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: 200 when the database answers, 503 otherwise.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, description = "`ready`", content_type = "text/plain"),
              (status = 503, body = ErrorBody)))]
pub async fn readyz(State(state): State<ApiState>) -> Response {
    match tokio::time::timeout(READY_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => "ready".into_response(),
        outcome => {
            if let Ok(Err(e)) = outcome {
                tracing::warn!(error = %e, "readiness: database unavailable");
            }
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "database unavailable",
            )
            .into_response()
        }
    }
}

/// Pings every other participant and reports who answered.
#[utoipa::path(get, path = "/maintenance/check_health/", tag = "maintenance",
    responses((status = 200, body = CheckHealth), (status = 401, body = ErrorBody),
              (status = 503, description = "No transport to ping with", body = ErrorBody)),
    security(("basic" = []), ("session" = [])))]
pub async fn check_health(State(state): State<ApiState>) -> Result<Json<CheckHealth>, ApiError> {
    let pinger = state.pinger.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "This node has no transport to ping with.",
        )
    })?;
    // Held across the pings: concurrent callers wait and then reuse this result.
    let mut cache = state.health_cache.lock().await;
    let now = state.now_ms();
    if let Some((at, result)) = cache.as_ref() {
        if now.saturating_sub(*at) < CHECK_CACHE_MS {
            return Ok(Json(result.clone()));
        }
    }
    let result = run_check(&state, pinger, now).await;
    *cache = Some((now, result.clone()));
    Ok(Json(result))
}

/// `POST` form of [`check_health`].
#[utoipa::path(post, path = "/maintenance/check_health/", tag = "maintenance",
    responses((status = 200, body = CheckHealth), (status = 401, body = ErrorBody),
              (status = 503, body = ErrorBody)),
    security(("basic" = []), ("session" = [])))]
pub async fn check_health_post(state: State<ApiState>) -> Result<Json<CheckHealth>, ApiError> {
    check_health(state).await
}

/// The last check's time (Unix ms) and result, without pinging; `None` before the first
/// check or while one is running (the dashboard's network page).
pub fn last_check(state: &ApiState) -> Option<(i64, CheckHealth)> {
    state.health_cache.try_lock().ok().and_then(|c| c.clone())
}

async fn run_check(state: &ApiState, pinger: Arc<dyn HealthPinger>, now: i64) -> CheckHealth {
    let own = &state.settings.own_did;
    let mut tasks = tokio::task::JoinSet::new();
    for p in state
        .network
        .participants()
        .iter()
        .filter(|p| &p.did != own)
    {
        let (pinger, did, label) = (Arc::clone(&pinger), p.did.clone(), p.label.clone());
        tasks.spawn(async move {
            let outcome = tokio::time::timeout(
                PING_TIMEOUT + Duration::from_secs(1),
                pinger.ping(&did, PING_TIMEOUT),
            )
            .await
            .unwrap_or_else(|_| Err("timed out".to_owned()));
            (did, label, outcome)
        });
    }
    let mut participants = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let Ok((did, label, outcome)) = joined else {
            continue;
        };
        let health = match outcome {
            Ok(rtt) => PeerHealth {
                label,
                ok: true,
                rtt_ms: Some(u64::try_from(rtt.as_millis()).unwrap_or(u64::MAX)),
                error: None,
            },
            Err(e) => PeerHealth {
                label,
                ok: false,
                rtt_ms: None,
                error: Some(e),
            },
        };
        participants.insert(did.as_str().to_owned(), health);
    }
    let failed = participants.values().filter(|p| !p.ok).count();
    CheckHealth {
        success: failed == 0,
        ping_id: rfc3339(now),
        message: if failed == 0 {
            "OK".to_owned()
        } else {
            format!(
                "{failed} of {} participants did not answer",
                participants.len()
            )
        },
        participants,
    }
}
