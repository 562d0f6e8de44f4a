//! One consensus step: load the ledgers the events need, run `Engine::handle` for each event
//! of the batch, write every effect in one database transaction (one `WritePlan`; a step
//! that sends and promises nothing waits for the next one, `durability.rs`), then hand the
//! messages to the outbox worker and publish progress. A relaxed step hands its messages
//! over before its transaction, to be sent while it is written.
//! See the module documentation of [`crate::driver`] for the reasons.

use serde_json::{json, Value};
use tmtm_consensus::{format_txn_time, Command, Event, StartFlow};
use tmtm_microledger::Microledger;
use tmtm_wire::keys::Did;
use tmtm_wire::message::Message;

use super::handle::{RoundFinished, RoundUpdate};
use super::ledgers::{ledger_names_in, Effect, NodeLedgers};
use super::run::Driver;
use super::DriverError;
use crate::ports::NewOutgoing;
use crate::storage::{EngineRowChanges, WritePlan};

/// The ledger names an event may need loaded.
fn ledgers_of(event: &Event) -> Vec<String> {
    match event {
        Event::Start(req) => match &req.flow {
            StartFlow::Create { name, .. } => vec![name.clone()],
            StartFlow::Commit { ledger, .. } => vec![ledger.clone()],
            StartFlow::Parallel { ledgers, .. } => ledgers.clone(),
        },
        Event::Received { message, .. } => ledger_names_in(message),
        Event::Timer | Event::Restarted => Vec::new(),
    }
}

/// How a step's unit was written.
enum Persisted {
    /// Written: the outbox ids with their rows, for the worker (empty when there were none
    /// or they were handed over early).
    Now {
        ids: Vec<i64>,
        outgoing: Vec<NewOutgoing>,
    },
    /// Being written in the background; published when it ends (`inflight.rs`).
    Behind,
}

/// Who leads a round and who takes part: the API metadata of a ledger it creates.
struct RoundInfo {
    actor: Did,
    participants: Vec<String>,
}

impl Driver {
    /// Runs one event through the engine and makes its effects durable (see
    /// [`Self::step_batch`]).
    pub(super) async fn step(&mut self, event: Event) -> Result<(), DriverError> {
        self.step_batch(vec![event]).await
    }

    /// Runs `events` through the engine one after another and makes all their effects
    /// durable in one database transaction (group commit: one fsync for every event that
    /// was waiting). Nothing is published before that transaction commits, and nothing is
    /// sent before it either unless the step is relaxed (`durability.rs`: its messages may
    /// be lost, so they travel while it is written), so each event's effects are exactly as
    /// durable as with one transaction per event. On a
    /// storage failure nothing of the batch is kept: the driver is marked for recovery (see
    /// `run.rs`).
    pub(super) async fn step_batch(&mut self, events: Vec<Event>) -> Result<(), DriverError> {
        let began = std::time::Instant::now();
        let batch = events.len();
        let starts_round = events.iter().any(|e| matches!(e, Event::Start(_)));
        let now = now_ms();
        let mut names: Vec<String> = events.iter().flat_map(ledgers_of).collect();
        names.extend(self.engine.locked_ledgers());
        names.sort_unstable();
        names.dedup();
        self.load(&names).await?;

        // The API metadata a ledger gets if the event creates it.
        let metas: Vec<Option<Value>> = events
            .iter()
            .map(|e| self.round_info(e).map(|info| self.metadata(&info, now)))
            .collect();
        let mut ledgers = NodeLedgers {
            open: &mut self.open,
            effects: Vec::new(),
        };
        let mut commands = Vec::new();
        let mut created = Vec::new();
        for (event, meta) in events.into_iter().zip(metas) {
            let first = ledgers.effects.len();
            commands.extend(self.engine.handle(event, now, &self.keys, &mut ledgers));
            if let Some(meta) = meta {
                for effect in ledgers.effects.get(first..).unwrap_or_default() {
                    if let Effect::Create(batch) = effect {
                        created.push((batch.meta.name.clone(), meta.clone()));
                    }
                }
            }
        }
        let effects = ledgers.effects;
        let handled = began.elapsed();
        let persisted = self
            .persist(&effects, &commands, &created, starts_round, now)
            .await;
        let (outbox_ids, outgoing) = match persisted {
            Ok(Persisted::Now { ids, outgoing }) => (ids, outgoing),
            Ok(Persisted::Behind) => {
                // Published when its unit has ended (`inflight.rs`).
                tracing::debug!(
                    events = batch,
                    handled_us = handled.as_micros(),
                    "step handed to the writer"
                );
                return Ok(());
            }
            Err(e) => {
                self.recover_later(&e);
                return Err(e);
            }
        };
        tracing::debug!(
            events = batch,
            handled_us = handled.as_micros(),
            stored_us = began.elapsed().saturating_sub(handled).as_micros(),
            "step stored"
        );
        self.transport.hand_over(&outbox_ids, outgoing);
        self.publish(commands);
        let locked = self.engine.locked_ledgers();
        super::ledger_cache::trim(&mut self.open, &locked);
        self.locked.send_replace(locked);
        Ok(())
    }

    fn round_info(&self, event: &Event) -> Option<RoundInfo> {
        match event {
            Event::Start(req) => {
                let mut participants = vec![self.keys.did().as_str().to_owned()];
                participants.extend(req.participants.iter().map(|d| d.as_str().to_owned()));
                Some(RoundInfo {
                    actor: self.keys.did(),
                    participants,
                })
            }
            Event::Received { from, message } => {
                let participants = message
                    .get("participants")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                Some(RoundInfo {
                    actor: from.clone(),
                    participants,
                })
            }
            Event::Timer | Event::Restarted => None,
        }
    }

    /// Opens every named ledger that exists and is not open yet (head only: O(log n) rows,
    /// enough to append and commit).
    async fn load(&mut self, names: &[String]) -> Result<(), DriverError> {
        for name in names {
            if self.open.contains_key(name) {
                continue;
            }
            // What is read must include the unit in flight (`inflight.rs`).
            self.settle_inflight().await?;
            let Some(loaded) = self.db.load_ledger_head(name).await? else {
                continue;
            };
            let ledger = Microledger::open(name, loaded).map_err(|e| DriverError::Ledger {
                name: name.clone(),
                reason: e.to_string(),
            })?;
            self.open.insert(name.clone(), ledger);
        }
        Ok(())
    }

    /// Packs the outgoing messages, then writes ledger effects, metadata, the engine
    /// checkpoint (its core, and the finished-round and thread-id rows that changed) and the
    /// outbox rows in one transaction. Returns the outbox ids with their rows, for the
    /// outbox worker once the transaction committed (none when the rows were handed over
    /// early: a relaxed step's), or [`Persisted::Behind`] when the unit is being written in
    /// the background (`inflight.rs`).
    async fn persist(
        &mut self,
        effects: &[Effect],
        commands: &[Command],
        created: &[(String, Value)],
        starts_round: bool,
        now: u64,
    ) -> Result<Persisted, DriverError> {
        if super::durability::may_wait(effects, commands) && created.is_empty() {
            // Nothing sent, promised or finished: the changes ride the next step's unit. What
            // it publishes comes after what the unit in flight publishes.
            self.settle_inflight().await?;
            return Ok(Persisted::Now {
                ids: Vec::new(),
                outgoing: Vec::new(),
            });
        }
        let outgoing = self.pack(commands);
        let sync = super::durability::must_sync(effects, commands);
        // A relaxed step's messages travel while its unit is written: their loss is allowed
        // for (`durability.rs`), and the worker keeps each peer's order (`transport/worker/early.rs`).
        let early = (!sync && !outgoing.is_empty()).then(|| self.transport.send_early(&outgoing));
        // The unit before this one ends first; if it failed, this one is not written.
        if let Err(e) = self.settle_inflight().await {
            if let Some(tickets) = early {
                self.transport.settle_early(tickets, None);
            }
            return Err(e);
        }
        let corrupt = |e: serde_json::Error| DriverError::CorruptState(e.to_string());
        let state = self.engine.core_json().map_err(corrupt)?;
        let rows = self.engine.take_changes().map_err(corrupt)?;
        let now_i = i64::try_from(now).unwrap_or(i64::MAX);
        // The inbound de-dup records of the messages this step handles (and any others not
        // stored yet) commit with their effects (`storage/dedup.rs`).
        let seen = self.db.take_pending_seen();
        // Delivered outbox entries leave with this step too (`storage/delivered.rs`).
        let delivered = self.db.take_delivered();
        let stored = match self.plan_step(
            effects, created, &state, rows, &outgoing, &seen, &delivered, now_i,
        ) {
            Ok(plan) if super::inflight::may_write_behind(starts_round, outgoing.len()) => {
                let pending = self.db.submit(plan, sync).await;
                self.stored_core = Some(state);
                self.inflight = Some(super::inflight::InFlight::new(
                    pending,
                    seen,
                    delivered,
                    commands.to_vec(),
                ));
                return Ok(Persisted::Behind);
            }
            // Steps that cannot lose a commit skip their own fsync (`durability.rs`).
            Ok(plan) => self
                .db
                .write(plan, sync)
                .await
                .map(|out| out.ids)
                .map_err(Into::into),
            Err(e) => Err(e),
        };
        match stored {
            Ok(ids) => {
                self.db.end_delivered(delivered, true);
                self.stored_core = Some(state);
                match early {
                    Some(tickets) => {
                        self.transport.settle_early(tickets, Some(&ids));
                        Ok(Persisted::Now {
                            ids: Vec::new(),
                            outgoing: Vec::new(),
                        })
                    }
                    None => Ok(Persisted::Now { ids, outgoing }),
                }
            }
            Err(e) => {
                if let Some(tickets) = early {
                    self.transport.settle_early(tickets, None);
                }
                self.give_back(seen, delivered);
                Err(e)
            }
        }
    }

    /// The one transaction of [`Self::persist`], as a plan.
    #[allow(clippy::too_many_arguments)]
    fn plan_step(
        &self,
        effects: &[Effect],
        created: &[(String, Value)],
        state: &str,
        rows: tmtm_consensus::engine::PersistChanges,
        outgoing: &[NewOutgoing],
        seen: &[crate::storage::SeenRecord],
        delivered: &[i64],
        now_i: i64,
    ) -> Result<WritePlan, DriverError> {
        // The whole step is one plan: on an SQLite file it runs on the writer thread in one
        // hand-off (`storage/sqlite_writer.rs`).
        let mut plan = WritePlan::new();
        plan.seen(seen)?;
        plan.outbox_delivered(delivered);
        for effect in effects {
            match effect {
                Effect::Create(batch) | Effect::Commit(batch) => {
                    plan.ledger_batch(batch, now_i)?;
                }
                Effect::Delete(name) => {
                    plan.delete_ledger(name)?;
                }
            }
        }
        for (name, metadata) in created {
            plan.ledger_metadata(name, metadata)?;
        }
        // The core (locks, settings) changes only when a round starts or ends.
        if self.stored_core.as_deref() != Some(state) {
            plan.engine_core(state, now_i)?;
        }
        plan.engine_rows(EngineRowChanges {
            finished_upserts: &rows.finished_upserts,
            finished_removed: &rows.finished_removed,
            used_upserts: &rows.used_upserts,
            used_removed: &rows.used_removed,
            live_upserts: &rows.live_upserts,
            live_removed: &rows.live_removed,
            proposal_upserts: &rows.proposal_upserts,
        })?;
        plan.outbox(outgoing)?;
        Ok(plan)
    }

    fn metadata(&self, info: &RoundInfo, now: u64) -> Value {
        let label = self
            .network
            .participant(&info.actor)
            .map(|p| p.label.clone())
            .unwrap_or_default();
        json!({
            "actor": {"label": label, "did": info.actor.as_str()},
            "local_timestamp_utc": format_txn_time(now.saturating_mul(1000)),
            "participants": info.participants,
        })
    }

    fn pack(&self, commands: &[Command]) -> Vec<NewOutgoing> {
        let mut out = Vec::new();
        for command in commands {
            let Command::Send { to, message } = command else {
                continue;
            };
            let message = match Message::from_value(message.clone()) {
                Ok(m) => m,
                Err(e) => {
                    tracing::error!(error = %e, "the engine produced an invalid message");
                    continue;
                }
            };
            let ttl = self.expiry(&message);
            let plaintext = match message.to_python_json() {
                Ok(text) => text,
                Err(e) => {
                    tracing::error!(error = %e, "the engine produced a message that cannot be written");
                    continue;
                }
            };
            for did in to {
                let Some(peer) = self.transport.peers().by_did(did) else {
                    tracing::warn!(to = %did, "no endpoint for a consensus peer; not sent");
                    continue;
                };
                match self.transport.pack_text_for(peer, &plaintext, ttl) {
                    Ok(row) => out.push(row),
                    Err(e) => tracing::warn!(to = %did, error = %e, "cannot pack a message"),
                }
                tracing::debug!(
                    to = %did,
                    r#type = message.type_str(),
                    thid = message.thread_id().unwrap_or(""),
                    "consensus message queued"
                );
            }
        }
        out
    }

    /// How long a message is worth delivering: until its round's deadline (a late proposal
    /// would only start a stale round at a peer that was down), at most `message_ttl`.
    fn expiry(&self, message: &Message) -> std::time::Duration {
        let cap = self.config.message_ttl;
        match message.thread_id().and_then(|t| self.engine.deadline_of(t)) {
            Some(deadline) => {
                let left = std::time::Duration::from_millis(deadline.saturating_sub(now_ms()));
                left.min(cap).max(std::time::Duration::from_secs(1))
            }
            None => cap,
        }
    }

    /// After the commit: timers, locks (logged), progress and results to the requesters.
    pub(super) fn publish(&mut self, commands: Vec<Command>) {
        self.timer_at = None;
        for command in commands {
            match command {
                Command::Send { .. } => {}
                Command::SetTimer { at_ms } => self.timer_at = Some(at_ms),
                Command::Lock { thid, ledgers } => {
                    tracing::debug!(%thid, ?ledgers, "ledgers locked");
                }
                Command::Unlock { thid, ledgers } => {
                    tracing::debug!(%thid, ?ledgers, "ledgers unlocked");
                }
                Command::Progress {
                    thid,
                    percent,
                    message,
                } => {
                    if let Some(w) = self.watchers.get(&thid) {
                        super::coalesce::tell(w, &RoundUpdate::Progress { percent, message });
                    }
                }
                Command::Finished {
                    thid,
                    role,
                    flow,
                    result,
                } => {
                    match &result {
                        Ok(o) => {
                            tracing::info!(%thid, ?role, ?flow, ledgers = ?o.ledgers, "round committed")
                        }
                        Err(p) => {
                            tracing::info!(%thid, ?role, ?flow, problem = %p.code, explain = %p.explain, "round failed")
                        }
                    }
                    if let Some(w) = self.watchers.remove(&thid) {
                        super::coalesce::tell(&w, &RoundUpdate::Finished(result.clone()));
                    }
                    let _ = self.finished.send(RoundFinished {
                        thread_id: thid,
                        role,
                        flow,
                        result,
                    });
                }
            }
        }
    }
}

/// Now as Unix milliseconds (the engine's clock).
pub(super) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}
