//! The driver task: start-up (engine checkpoint or a fresh engine, then
//! `Event::Restarted`), the event loop over start requests, inbound messages and the timer
//! (each step takes every event already queued, up to [`MAX_BATCH`], into one transaction),
//! recovery after a failed step, and shutdown (the step in progress is finished; nothing new
//! is started once the cancellation token fires).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde_json::Value;
use tmtm_consensus::dialect::consensus_name;
use tmtm_consensus::problem::REQUEST_PROCESSING_ERROR;
use tmtm_consensus::{Dialect, Engine, Event, Flow, ProblemReport, StartFlow, StartRequest};
use tmtm_wire::keys::{Did, KeyPair, Verkey};
use tmtm_wire::message::Message;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::handle::{DriverHandle, RoundUpdate, StartRound};
use super::ledgers::OpenLedger;
use super::step::now_ms;
use super::{DriverConfig, DriverError};
use crate::roster::Network;
use crate::storage::Database;
use crate::transport::{Inbound, Transport};

/// The node transport the driver sends through (outbox and de-dup in the database).
pub type NodeTransport = Transport<Database, Database>;

/// Most events handled in one step (one database transaction).
const MAX_BATCH: usize = 64;

/// Pause before retrying a failed recovery.
const RECOVERY_RETRY: Duration = Duration::from_secs(1);

/// Everything the driver needs to run.
pub struct DriverParts {
    pub keys: KeyPair,
    pub network: Network,
    pub db: Database,
    pub transport: NodeTransport,
    /// The transport's inbound queue (the driver consumes it).
    pub inbound: mpsc::Receiver<Inbound>,
    pub config: DriverConfig,
}

pub(super) struct Driver {
    pub(super) engine: Engine,
    pub(super) keys: KeyPair,
    pub(super) network: Network,
    pub(super) db: Database,
    pub(super) transport: NodeTransport,
    pub(super) config: DriverConfig,
    pub(super) open: BTreeMap<String, OpenLedger>,
    pub(super) watchers: HashMap<String, mpsc::UnboundedSender<RoundUpdate>>,
    pub(super) finished: broadcast::Sender<super::RoundFinished>,
    pub(super) timer_at: Option<u64>,
    pub(super) locked: watch::Sender<Vec<String>>,
    pub(super) needs_recovery: bool,
}

/// Starts the driver task: restores the engine from the database (or makes a new one),
/// resumes or rolls back the rounds in flight, then serves requests until `cancel` fires.
pub async fn spawn(
    parts: DriverParts,
    cancel: CancellationToken,
) -> Result<(DriverHandle, JoinHandle<()>), DriverError> {
    let DriverParts {
        keys,
        network,
        db,
        transport,
        inbound,
        config,
    } = parts;
    let engine = restore(&db, &keys, &network, &config).await?;
    let (requests_tx, requests_rx) = mpsc::channel(config.request_queue.max(1));
    let (finished, _) = broadcast::channel(256);
    let (locked, locked_rx) = watch::channel(engine.locked_ledgers());
    let handle = DriverHandle {
        requests: requests_tx,
        finished: finished.clone(),
        locked: locked_rx,
        dialect: engine.config().dialect,
        gu_retry: config.gu_retry,
    };
    super::gu::spawn_retry(
        db.clone(),
        transport.clone(),
        keys.did(),
        config.gu_retry,
        cancel.clone(),
    );
    let mut driver = Driver {
        engine,
        keys,
        network,
        db,
        transport,
        config,
        open: BTreeMap::new(),
        watchers: HashMap::new(),
        finished,
        timer_at: None,
        locked,
        needs_recovery: false,
    };
    // Rounds in flight at the last stop: uncommitted data is gone, so they re-stage and
    // resume, or roll back with a problem report. The result is stored before serving.
    driver.step(Event::Restarted).await?;
    let task = tokio::spawn(driver.run(requests_rx, inbound, cancel));
    Ok((handle, task))
}

/// The engine from its checkpoint, or a new one for this node and its consensus peers.
///
/// The checkpoint carries the peers and settings of the engine that wrote it; they are
/// replaced by the current roster and configuration (taken from a fresh engine's own
/// serialisation, so no field layout is assumed here), so that a changed network file takes
/// effect on restart while rounds, locks and used thread ids are kept.
pub(super) async fn restore(
    db: &Database,
    keys: &KeyPair,
    network: &Network,
    config: &DriverConfig,
) -> Result<Engine, DriverError> {
    let me = keys.did();
    let peers: BTreeMap<_, Verkey> = network
        .consensus_members()
        .iter()
        .filter(|d| **d != me)
        .filter_map(|d| network.participant(d).map(|p| (d.clone(), p.verkey)))
        .collect();
    let fresh = Engine::new(me.clone(), peers, config.engine.clone());
    let Some(mut state) = db.engine_state().await? else {
        return Ok(fresh);
    };
    let corrupt = |e: serde_json::Error| DriverError::CorruptState(e.to_string());
    if let (Value::Object(stored), Value::Object(current)) =
        (&mut state, serde_json::to_value(&fresh).map_err(corrupt)?)
    {
        for key in ["peers", "config"] {
            if let (true, Some(v)) = (stored.contains_key(key), current.get(key)) {
                stored.insert(key.to_owned(), v.clone());
            }
        }
    }
    let rows = db.engine_rows().await?;
    let engine = Engine::restore(state, rows.finished, rows.used).map_err(corrupt)?;
    if engine.me() != &me {
        return Err(DriverError::CorruptState(format!(
            "the stored consensus state belongs to {}, not {me}",
            engine.me()
        )));
    }
    Ok(engine)
}

impl Driver {
    async fn run(
        mut self,
        mut requests: mpsc::Receiver<StartRound>,
        mut inbound: mpsc::Receiver<Inbound>,
        cancel: CancellationToken,
    ) {
        tracing::info!(did = %self.keys.did(), "consensus driver started");
        loop {
            if self.needs_recovery {
                if let Err(e) = self.recover().await {
                    tracing::warn!(error = %e, "consensus recovery failed; retrying");
                    tokio::select! {
                        () = cancel.cancelled() => break,
                        () = tokio::time::sleep(RECOVERY_RETRY) => continue,
                    }
                }
            }
            let timer = self.timer_at.map(|at| {
                let wait = Duration::from_millis(at.saturating_sub(now_ms()));
                tokio::time::Instant::now() + wait
            });
            let event = tokio::select! {
                biased;
                () = cancel.cancelled() => break,
                Some(request) = requests.recv() => self.start_event(request),
                Some(message) = inbound.recv() => self.inbound_event(message),
                () = sleep_until(timer), if timer.is_some() => Some(Event::Timer),
            };
            let Some(event) = event else { continue };
            // Group commit: what else is already queued joins this step's transaction.
            let mut batch = vec![event];
            while batch.len() < MAX_BATCH {
                let next = if let Ok(request) = requests.try_recv() {
                    self.start_event(request)
                } else if let Ok(message) = inbound.try_recv() {
                    self.inbound_event(message)
                } else {
                    break;
                };
                batch.extend(next);
            }
            let started: Vec<String> = batch
                .iter()
                .filter_map(|event| match event {
                    Event::Start(req) => Some(
                        self.config
                            .engine
                            .dialect
                            .thread_id(flow_of(&req.flow), &req.thread_hex),
                    ),
                    _ => None,
                })
                .collect();
            if let Err(e) = self.step_batch(batch).await {
                tracing::warn!(error = %e, "consensus step failed");
                // A start that was not stored never began: tell its requester.
                for w in started.iter().filter_map(|t| self.watchers.remove(t)) {
                    let report = ProblemReport::new(
                        REQUEST_PROCESSING_ERROR,
                        "the node could not store the round; nothing was changed",
                    );
                    let _ = w.send(RoundUpdate::Finished(Err(report)));
                }
            }
        }
        for (_, w) in self.watchers.drain() {
            drop(w);
        }
        tracing::info!("consensus driver stopped");
    }

    /// Reloads the engine checkpoint, drops every open ledger and replays the restart.
    async fn recover(&mut self) -> Result<(), DriverError> {
        self.engine = restore(&self.db, &self.keys, &self.network, &self.config).await?;
        self.open.clear();
        self.needs_recovery = false;
        self.step(Event::Restarted).await
    }

    fn start_event(&mut self, request: StartRound) -> Option<Event> {
        if request.updates.is_closed() {
            return None;
        }
        let me = self.keys.did();
        let participants = self
            .network
            .consensus_members()
            .iter()
            .filter(|d| **d != me)
            .cloned()
            .collect();
        let now = now_ms();
        let txn_time = tmtm_consensus::format_txn_time(now.saturating_mul(1000));
        self.watchers
            .insert(request.thread_id.clone(), request.updates);
        tracing::info!(thid = %request.thread_id, "starting a round");
        Some(Event::Start(StartRequest {
            thread_hex: request.thread_hex,
            flow: request.flow,
            participants,
            ttl_sec: request.ttl_sec,
            txn_time,
        }))
    }

    fn inbound_event(&self, inbound: Inbound) -> Option<Event> {
        let from = inbound.sender_did;
        if let Some(kind) = super::gu::gu_kind(inbound.message.type_str()) {
            if from != self.keys.did() && self.network.participant(&from).is_some() {
                super::gu::store_received(
                    self.db.clone(),
                    self.transport.clone(),
                    from,
                    kind,
                    inbound.message.into_value(),
                );
            }
            return None;
        }
        // An ack may settle a GU delivery; it still goes on to the engine (consensus acks
        // share the type), which ignores threads it does not know.
        if let Some(thid) = super::gu::ack_thread(&inbound.message) {
            if from != self.keys.did() && self.network.participant(&from).is_some() {
                super::gu::ack_received(self.db.clone(), from.clone(), thid.to_owned());
                if !self.network.is_consensus_member(&from) {
                    return None;
                }
            }
        }
        if !self.network.is_consensus_member(&from) || from == self.keys.did() {
            tracing::warn!(%from, r#type = inbound.message.type_str(), "message from a non-member dropped");
            return None;
        }
        let message = inbound.message.into_value();
        let Some(name) = consensus_name(&message) else {
            tracing::debug!(%from, "non-consensus message dropped by the driver");
            return None;
        };
        if let Some(policy) = self.config.proposal_signatures {
            if let Err(report) =
                super::verify::check(name, &message, &inbound.sender_verkey, policy)
            {
                tracing::warn!(%from, name, "proposal refused: a transaction is not signed by its proposer");
                self.send_refusal(from, report);
                return None;
            }
        }
        Some(Event::Received { from, message })
    }

    /// Sends a refusal outside the engine (the proposal never reached it).
    fn send_refusal(&self, to: Did, report: serde_json::Value) {
        let transport = self.transport.clone();
        let ttl = self.config.message_ttl;
        tokio::spawn(async move {
            let Some(peer) = transport.peers().by_did(&to).cloned() else {
                return;
            };
            match Message::from_value(report) {
                Ok(m) => {
                    if let Err(e) = transport.send_with_ttl(&peer, &m, ttl).await {
                        tracing::warn!(%to, error = %e, "refusal not queued");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "refusal not built"),
            }
        });
    }
}

fn flow_of(flow: &StartFlow) -> Flow {
    match flow {
        StartFlow::Create { .. } => Flow::Create,
        StartFlow::Commit { .. } => Flow::Commit,
        StartFlow::Parallel { .. } => Flow::Parallel,
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The dialect a driver leads in, from the roster.
pub fn dialect_of(network: &Network) -> Dialect {
    match network.dialect() {
        crate::roster::ConsensusDialect::V1_0_25 => Dialect::V1_0_25,
        crate::roster::ConsensusDialect::V2 => Dialect::V2,
    }
}
