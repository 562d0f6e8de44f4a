//! The driver task: start-up (engine checkpoint or a fresh engine, then
//! `Event::Restarted`), the event loop over start requests, inbound messages and the timer
//! (each step takes every event already queued, up to [`MAX_BATCH`], into one transaction),
//! recovery after a failed step, and shutdown (the step in progress is finished; nothing new
//! is started once the cancellation token fires; waiting requests are dropped). Commit
//! requests pass through `coalesce.rs`: parked while their ledger is locked, merged into one
//! round per ledger, failed when they wait longer than their time to live.

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

use super::coalesce::{self, Admitted, Batch, CommitRequest, Group, Parking, Requesters, Sorted};
use super::handle::{DriverHandle, RoundUpdate, StartRound};
use super::ledgers::OpenLedger;
use super::step::now_ms;
use super::verify_stage::Checked;
use super::{DriverConfig, DriverError};
use crate::roster::Network;
use crate::storage::Database;
use crate::transport::{Inbound, Transport};

/// The node transport the driver sends through (outbox and de-dup in the database).
pub type NodeTransport = Transport<Database, Database>;

/// Most events handled in one step (one database transaction).
const MAX_BATCH: usize = 64;

/// Checked inbound messages waiting for the driver (`verify_stage.rs`); the transport's
/// own queue is in front of them.
const INBOUND_CHECKED: usize = 64;

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
    /// Thread id of a round this node leads → everyone following it (several when commit
    /// requests were merged).
    pub(super) watchers: HashMap<String, Requesters>,
    /// Commit requests waiting for their ledger (`coalesce.rs`).
    pub(super) parking: Parking,
    pub(super) finished: broadcast::Sender<super::RoundFinished>,
    pub(super) timer_at: Option<u64>,
    pub(super) locked: watch::Sender<Vec<String>>,
    pub(super) needs_recovery: bool,
    /// The engine core as last stored (a step whose core is unchanged — most steps in the
    /// middle of a round — does not write it again); `None` after start and recovery.
    pub(super) stored_core: Option<String>,
    /// The unit of a step being written in the background (`inflight.rs`).
    pub(super) inflight: Option<super::inflight::InFlight>,
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
        parking: Parking::default(),
        finished,
        timer_at: None,
        locked,
        needs_recovery: false,
        stored_core: None,
        inflight: None,
    };
    // Rounds in flight at the last stop: uncommitted data is gone, so they re-stage and
    // resume, or roll back with a problem report. The result is stored before serving.
    driver.step(Event::Restarted).await?;
    driver.settle_inflight().await?;
    // Proposals' transaction signatures are checked beside the driver (`verify_stage.rs`).
    let inbound = super::verify_stage::spawn(
        inbound,
        driver.config.proposal_signatures,
        driver.network.clone(),
        INBOUND_CHECKED,
    );
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
    let engine = Engine::restore(state, rows.finished, rows.used, rows.live, rows.proposals)
        .map_err(corrupt)?;
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
        mut inbound: mpsc::Receiver<Checked>,
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
            self.expire_parked();
            // Ledgers freed by the last step start their waiting commits first.
            let locked = self.engine.locked_ledgers();
            let mut batch = Batch::default();
            for group in self.parking.release(&locked) {
                batch.push_group(group);
            }
            if batch.is_empty() {
                let timer = self.timer_at.map(at_instant);
                let parked = self.parking.next_deadline().map(at_instant);
                // The unit in flight is waited on with the events (`inflight.rs`).
                let mut behind = self.inflight.take();
                let mut written = None;
                let mut stopping = false;
                tokio::select! {
                    biased;
                    () = cancel.cancelled() => stopping = true,
                    outcome = async {
                        match behind.as_mut() {
                            Some(inflight) => (&mut inflight.pending).await,
                            None => std::future::pending().await,
                        }
                    }, if behind.is_some() => written = Some(outcome),
                    Some(request) = requests.recv() => self.admit(request, &locked, &mut batch),
                    Some(message) = inbound.recv() => {
                        if let Some(event) = self.inbound_event(message) {
                            batch.push_event(event);
                        }
                    }
                    () = sleep_until(timer), if timer.is_some() => batch.push_event(Event::Timer),
                    // A parked request's time to live ended (failed at the top of the loop).
                    () = sleep_until(parked), if parked.is_some() => {}
                }
                match (written, behind) {
                    (Some(outcome), Some(inflight)) => {
                        // A failure marks the driver for recovery (top of the loop).
                        if self.finish_inflight(inflight, outcome).is_ok() {
                            let locked = self.engine.locked_ledgers();
                            super::ledger_cache::trim(&mut self.open, &locked);
                        }
                    }
                    (_, behind) => self.inflight = behind,
                }
                if stopping {
                    break;
                }
                if batch.is_empty() {
                    continue;
                }
            }
            // Group commit: what else is already queued joins this step's transaction.
            for _ in 1..MAX_BATCH {
                if let Ok(request) = requests.try_recv() {
                    self.admit(request, &locked, &mut batch);
                } else if let Ok(message) = inbound.try_recv() {
                    if let Some(event) = self.inbound_event(message) {
                        batch.push_event(event);
                    }
                } else {
                    break;
                }
            }
            let events = batch.into_events(|group| self.start_group(group));
            let started: Vec<String> = events
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
            if let Err(e) = self.step_batch(events).await {
                tracing::warn!(error = %e, "consensus step failed");
                // A start that was not stored never began: tell everyone merged into it.
                let report = ProblemReport::new(
                    REQUEST_PROCESSING_ERROR,
                    "the node could not store the round; nothing was changed",
                );
                let update = RoundUpdate::Finished(Err(report));
                for w in started.iter().filter_map(|t| self.watchers.remove(t)) {
                    coalesce::tell(&w, &update);
                }
            }
        }
        // A unit in flight ends (and publishes) before the driver stops.
        if let Err(e) = self.settle_inflight().await {
            tracing::warn!(error = %e, "the last consensus step was not stored");
        }
        // Dropping the senders ends every watch with "the node stopped".
        self.parking.clear();
        self.watchers.clear();
        tracing::info!("consensus driver stopped");
    }

    /// Reloads the engine checkpoint, drops every open ledger and replays the restart.
    async fn recover(&mut self) -> Result<(), DriverError> {
        // Whatever was in flight has ended before the state is read back.
        let _ = self.settle_inflight().await;
        self.engine = restore(&self.db, &self.keys, &self.network, &self.config).await?;
        self.open.clear();
        self.needs_recovery = false;
        self.stored_core = None;
        self.step(Event::Restarted).await
    }

    /// Takes a start request into `batch`: a commit is parked, merged or started by
    /// `coalesce.rs`; another flow starts as it is.
    fn admit(&mut self, request: StartRound, locked: &[String], batch: &mut Batch) {
        if request.updates.is_closed() {
            return;
        }
        let default_ttl = self.engine.config().default_ttl_sec;
        match CommitRequest::from_start(request, now_ms(), default_ttl) {
            Sorted::Commit(commit) => {
                let ledger = commit.ledger().to_owned();
                let admitted = batch.admit(commit, locked, &mut self.parking);
                if admitted != Admitted::Started {
                    tracing::debug!(%ledger, ?admitted, waiting = self.parking.len(), "commit request coalesced");
                }
            }
            Sorted::Other(request) => {
                tracing::info!(thid = %request.thread_id, "starting a round");
                self.watchers
                    .insert(request.thread_id.clone(), vec![request.updates]);
                let start = self.start_request(request.thread_hex, request.flow, request.ttl_sec);
                batch.push_event(Event::Start(start));
            }
        }
    }

    /// The start of a commit round for `group`; its requesters follow the round.
    fn start_group(&mut self, mut group: Group) -> Event {
        tracing::info!(
            thid = %group.thread_id,
            ledger = %group.ledger,
            requests = group.requesters.len(),
            transactions = group.transactions.len(),
            "starting a round"
        );
        let flow = group.flow();
        let ttl_sec = group.ttl_sec();
        self.watchers.insert(
            group.thread_id.clone(),
            std::mem::take(&mut group.requesters),
        );
        Event::Start(self.start_request(group.thread_hex, flow, ttl_sec))
    }

    fn start_request(
        &self,
        thread_hex: String,
        flow: StartFlow,
        ttl_sec: Option<u64>,
    ) -> StartRequest {
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
        StartRequest {
            thread_hex,
            flow,
            participants,
            ttl_sec,
            txn_time,
        }
    }

    /// Fails the parked requests whose time to live ended.
    fn expire_parked(&mut self) {
        let failed = self.parking.expire(now_ms());
        if failed > 0 {
            tracing::info!(
                failed,
                "parked commit requests expired: their ledgers stayed locked"
            );
        }
    }

    fn inbound_event(&self, checked: Checked) -> Option<Event> {
        let Checked { inbound, refusal } = checked;
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
        // Checked by the stage in front of the driver (`verify_stage.rs`).
        if let Some(report) = refusal {
            tracing::warn!(%from, name, "proposal refused: a transaction is not signed by its proposer");
            self.send_refusal(from, report);
            return None;
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

/// A tokio instant for a wall-clock time in ms.
fn at_instant(at_ms: u64) -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_millis(at_ms.saturating_sub(now_ms()))
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
