//! `tmtm serve`: assembles a running node from its configuration — key store, network
//! file, database, DIDComm transport with its outbox worker, consensus driver — and serves
//! the HTTP endpoints on the configured listen address: the DIDComm endpoint (`/agent` by
//! default) merged with the wrapper API ([`crate::api::router`]: REST, `/healthz`, `/readyz`,
//! `/metrics`, the command WebSocket `/transactions`). At start-up the configured admin user
//! is created if the database has none ([`crate::api::bootstrap_admin`]); the transport is the
//! API's health pinger; the WebSocket feeds round latencies into the metrics.
//!
//! Start-up refuses with one clear error when the key store cannot be opened (missing, wrong
//! wallet key), the network file is invalid or does not list this node, or the database
//! cannot be opened. Shutdown (the `shutdown` future, e.g. Ctrl-C/SIGTERM): stop accepting
//! connections, let the consensus driver finish its current step, stop the outbox worker,
//! close the database. Logs never contain secrets or message bodies.

use axum::serve::ListenerExt;
use std::future::Future;
use std::path::PathBuf;

use tokio_util::sync::CancellationToken;

use crate::api::users::UserError;
use crate::api::{self, ApiSettings, ApiState, Metrics};
use crate::config::NodeConfig;
use crate::driver::{self, DriverConfig, DriverError, DriverParts};
use crate::identity::{self, IdentityError};
use crate::roster::{Network, RosterError};
use crate::storage::{Database, StorageError, StorageOptions};
use crate::transport::{PeerBook, Transport, TransportConfig, TransportError};

/// Why the node could not start or stopped with an error.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The key store could not be opened (or the configuration around it is wrong).
    #[error("cannot open the key store: {0}")]
    Identity(#[from] IdentityError),
    /// The network file is unreadable, invalid or does not list this node.
    #[error(transparent)]
    Network(#[from] RosterError),
    /// The database could not be opened.
    #[error("cannot open the database: {0}")]
    Storage(#[from] StorageError),
    /// The transport could not be built.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The consensus driver could not start.
    #[error("cannot start the consensus driver: {0}")]
    Driver(#[from] DriverError),
    /// The configured admin user could not be created.
    #[error("cannot create the configured admin user: {0}")]
    Admin(#[from] UserError),
    /// The listen address cannot be bound, or serving failed.
    #[error("cannot serve on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

impl ServeError {
    /// Whether the operator's input (configuration, network file) is at fault.
    pub fn is_usage(&self) -> bool {
        match self {
            ServeError::Identity(e) => e.is_usage(),
            ServeError::Network(_) => true,
            _ => false,
        }
    }
}

/// Opens the database named by the configuration: an `sqlite://PATH` URL without options is
/// opened as a file (created if missing); anything else goes through [`Database::connect`].
pub async fn open_database(config: &NodeConfig) -> Result<Database, StorageError> {
    let url = config.database_url.expose();
    if let Some(path) = url.strip_prefix("sqlite://").filter(|p| !p.contains('?')) {
        return Database::open_sqlite_file(&PathBuf::from(path), &StorageOptions::default()).await;
    }
    Database::connect(&config.database_url).await
}

/// Runs the node until `shutdown` completes.
pub async fn serve(
    config: &NodeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let (card, keys) = identity::open(config)?;
    let source = config.network_file.display().to_string();
    let network = Network::load(&config.network_file)?;
    network.require_participant(&keys.did(), &source)?;
    let db = open_database(config).await?;
    if let Err(e) = api::bootstrap_admin(&db, config).await {
        db.close().await;
        return Err(e.into());
    }
    let dialect = driver::dialect_of(&network);
    let driver_config = DriverConfig {
        engine: tmtm_consensus::Config {
            dialect,
            ..tmtm_consensus::Config::default()
        },
        proposal_signatures: Some(config.signature_policy),
        ..DriverConfig::default()
    };
    let transport_config = TransportConfig {
        inbound_path: config.agent_path.clone(),
        redeliver_duplicates: driver::redelivered_duplicates(&driver_config.engine),
        ..TransportConfig::default()
    };
    let (transport, inbound) = Transport::new(
        keys.clone(),
        PeerBook::from_network(&network),
        db.clone(),
        db.clone(),
        transport_config,
    )?;
    let cancel = CancellationToken::new();
    let worker = transport.spawn_worker(cancel.clone());
    let transport_router = transport.router();
    let pinger: std::sync::Arc<dyn api::HealthPinger> = std::sync::Arc::new(transport.clone());
    let api_state = ApiState::new(
        db.clone(),
        network.clone(),
        ApiSettings::from_config(config, keys.did()),
        Metrics::new(),
    )
    .with_pinger(pinger);
    let parts = DriverParts {
        keys: keys.clone(),
        network,
        db: db.clone(),
        transport: transport.clone(),
        inbound,
        config: driver_config,
    };
    let (handle, driver_task) = match driver::spawn(parts, cancel.clone()).await {
        Ok(v) => v,
        Err(e) => {
            cancel.cancel();
            let _ = worker.await;
            db.close().await;
            return Err(e.into());
        }
    };
    let api_state = api_state.with_commands(api::ws::Commands {
        driver: handle,
        keys,
        transport,
    });
    let router = transport_router.merge(api::router(api_state));
    let listener = tokio::net::TcpListener::bind(config.listen).await;
    // No Nagle delay on answers: a WebSocket sends several small frames in a row (progress,
    // then `done`), and axum leaves TCP_NODELAY off.
    let listener = match listener {
        Ok(l) => l.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
        }),
        Err(source) => {
            cancel.cancel();
            let _ = tokio::join!(worker, driver_task);
            db.close().await;
            return Err(ServeError::Listen {
                addr: config.listen,
                source,
            });
        }
    };
    tracing::info!(did = %card.did, listen = %config.listen, endpoint = %card.endpoint, "node serving");
    // The peer address feeds the dashboard's failed-login limit (per user name and IP).
    let router = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await;
    tracing::info!("shutting down: finishing the current consensus step");
    cancel.cancel();
    let _ = tokio::join!(worker, driver_task);
    db.close().await;
    tracing::info!("stopped");
    served.map_err(|source| ServeError::Listen {
        addr: config.listen,
        source,
    })
}

/// Runs [`serve`] on a new multi-threaded runtime until Ctrl-C or SIGTERM.
pub fn run_until_signal(config: &NodeConfig) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| ServeError::Listen {
            addr: config.listen,
            source,
        })?;
    runtime.block_on(serve(config, shutdown_signal()))
}

/// Completes on Ctrl-C or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
