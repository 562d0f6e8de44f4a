//! The wrapper API (`PRODUCT.md` §3): the REST routes the organisation's IT systems use,
//! with the original's URL shapes and JSON (`docs/API.md` documents every route).
//!
//! * [`router`] builds the axum router from an [`ApiState`]; `tmtm serve` merges it with the
//!   transport's DIDComm endpoint (`POST /agent`, authenticated by its envelope).
//! * Public routes: `/healthz`, `/readyz`, `/metrics` (counts only), `/api/openapi.json`,
//!   `/content/{uid}` (see [`uploads`]). Everything else requires a user of this node
//!   ([`auth`]: session cookie or BasicAuth).
//! * [`users`] (Argon2id users, admin bootstrap), [`sessions`], [`tokens`] (WebSocket bearer
//!   tokens and [`tokens::authenticate`]), [`ledgers`]/[`meta`]/[`view`]/[`route`] (ledgers,
//!   transaction objects, route computations), [`gu`], [`uploads`]/[`files`], [`health`]
//!   (with the [`HealthPinger`] seam), [`metrics`], [`openapi`], [`error`] (the one error
//!   shape), [`pagination`], [`clock`], [`ws`] (the command WebSocket `/transactions`, which
//!   authenticates itself: token, session cookie or BasicAuth).

pub mod auth;
pub mod clock;
pub mod error;
pub mod files;
pub mod gu;
pub mod health;
pub mod ledgers;
pub mod meta;
pub mod metrics;
pub mod openapi;
pub mod pagination;
pub mod route;
pub mod sessions;
pub mod tokens;
pub mod uploads;
pub mod users;
pub mod view;
pub mod ws;

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{middleware, Router};
use tmtm_wire::keys::Did;

use crate::config::{DocumentSet, NodeConfig, SignaturePolicy};
use crate::endpoint::HttpUrl;
use crate::roster::Network;
use crate::storage::Database;
pub use clock::Clock;
pub use error::ApiError;
pub use health::HealthPinger;
pub use metrics::Metrics;
pub use users::{bootstrap_admin, User};

/// Largest body of the small JSON endpoints.
const SMALL_BODY: usize = 64 * 1024;

/// The configuration the API needs.
#[derive(Clone, Debug)]
pub struct ApiSettings {
    /// This node's DID (its place on the route).
    pub own_did: Did,
    /// Base of every absolute URL the API returns.
    pub public_url: HttpUrl,
    /// Uploads go to `<data_dir>/content/`.
    pub data_dir: PathBuf,
    pub token_lifetime_secs: u64,
    pub upload_max_bytes: u64,
    pub signature_policy: SignaturePolicy,
    /// The document set the wizard offers first.
    pub document_set: DocumentSet,
    pub session_lifetime_ms: i64,
}

impl ApiSettings {
    /// The API settings of a node configuration.
    pub fn from_config(config: &NodeConfig, own_did: Did) -> ApiSettings {
        ApiSettings {
            own_did,
            public_url: config.public_url.clone(),
            data_dir: config.data_dir.clone(),
            token_lifetime_secs: config.token_lifetime_secs,
            upload_max_bytes: config.upload_max_bytes,
            signature_policy: config.signature_policy,
            document_set: config.document_set,
            session_lifetime_ms: sessions::DEFAULT_SESSION_LIFETIME_MS,
        }
    }
}

/// Everything the handlers share. Cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    pub db: Database,
    pub network: Arc<Network>,
    pub settings: Arc<ApiSettings>,
    pub metrics: Metrics,
    pub pinger: Option<Arc<dyn HealthPinger>>,
    /// The consensus driver and signing keys behind the command WebSocket (None: the
    /// WebSocket answers every request with a `request_processing_error`).
    pub commands: Option<ws::Commands>,
    clock: Clock,
    auth_cache: Arc<auth::AuthCache>,
    health_cache: Arc<tokio::sync::Mutex<Option<(i64, health::CheckHealth)>>>,
}

impl ApiState {
    /// State over a database and network, with the system clock and no pinger.
    pub fn new(
        db: Database,
        network: Network,
        settings: ApiSettings,
        metrics: Metrics,
    ) -> ApiState {
        ApiState {
            db,
            network: Arc::new(network),
            settings: Arc::new(settings),
            metrics,
            pinger: None,
            commands: None,
            clock: clock::system_clock(),
            auth_cache: Arc::default(),
            health_cache: Arc::default(),
        }
    }

    /// Sets what `check_health` pings with (the node's transport).
    pub fn with_pinger(mut self, pinger: Arc<dyn HealthPinger>) -> ApiState {
        self.pinger = Some(pinger);
        self
    }

    /// Connects the command WebSocket to the consensus driver and the node's keys.
    pub fn with_commands(mut self, commands: ws::Commands) -> ApiState {
        self.commands = Some(commands);
        self
    }

    /// Replaces the clock (tests fix "now").
    pub fn with_clock(mut self, clock: Clock) -> ApiState {
        self.clock = clock;
        self
    }

    /// Now, Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        (self.clock)()
    }

    fn token_lifetime_ms(&self) -> i64 {
        i64::try_from(self.settings.token_lifetime_secs.saturating_mul(1000)).unwrap_or(i64::MAX)
    }
}

/// The API router: public and authenticated routes, JSON 404/405 fallbacks, request metrics.
pub fn router(state: ApiState) -> Router {
    let upload_limit = usize::try_from(
        state
            .settings
            .upload_max_bytes
            .saturating_add(uploads::MULTIPART_OVERHEAD),
    )
    .unwrap_or(usize::MAX);
    let protected = Router::new()
        .route("/ledgers/", get(ledgers::list_ledgers))
        .route("/ledgers/{id}/", get(ledgers::get_ledger))
        .route(
            "/ledgers/{id}/transactions/",
            get(ledgers::list_transactions),
        )
        .route(
            "/ledgers/{id}/transactions/list_with_meta/",
            get(meta::list_with_meta).post(meta::list_with_meta_post),
        )
        .route(
            "/ledgers/{id}/transactions/{seq_no}/",
            get(ledgers::get_transaction),
        )
        .route("/gu-11/", get(gu::list_gu11))
        .route("/gu-11/{id}/", get(gu::get_gu11))
        .route("/gu-12/", get(gu::list_gu12))
        .route("/gu-12/{id}/", get(gu::get_gu12))
        .route(
            "/maintenance/allocate_token/",
            get(tokens::allocate_token_get).post(tokens::allocate_token),
        )
        .route("/maintenance/tokens/{id}/", delete(tokens::revoke_token))
        .route(
            "/maintenance/check_health/",
            get(health::check_health).post(health::check_health_post),
        )
        .layer(DefaultBodyLimit::max(SMALL_BODY))
        .route(
            "/upload",
            post(uploads::upload).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_auth,
        ));
    let public = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
        .route("/api/openapi.json", get(openapi::openapi_json))
        .route("/content/{uid}", get(uploads::content))
        .route("/transactions", get(ws::transactions));
    let metrics = state.metrics.clone();
    public
        .merge(protected)
        .merge(crate::web::router())
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Method not allowed.",
            )
        })
        .with_state(state)
        .layer(middleware::from_fn_with_state(metrics, metrics::track))
}
