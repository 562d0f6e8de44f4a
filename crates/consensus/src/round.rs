//! What every round (actor or participant) shares: thread id, dialect, participants, deadlines,
//! the send counter and deterministic `@id`s, plus the environment a step runs in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest as _, Sha256};
use tmtm_wire::keys::{Did, KeyPair, Verkey};

use crate::dialect::{Dialect, Flow};
use crate::engine::{Command, Config};
use crate::ledger::LedgerAccess;
use crate::problem::{Outcome, ProblemReport};

/// Everything one step of a round may use. Built by the engine for each event.
pub(crate) struct Env<'a> {
    pub now_ms: u64,
    pub keys: &'a KeyPair,
    pub peers: &'a BTreeMap<Did, Verkey>,
    pub config: &'a Config,
    pub ledgers: &'a mut dyn LedgerAccess,
    pub out: &'a mut Vec<Command>,
}

impl Env<'_> {
    /// Signature timestamp: Unix seconds derived from `now_ms`.
    pub fn ts(&self) -> u64 {
        self.now_ms / 1000
    }

    pub fn send(&mut self, to: Vec<Did>, message: Value) {
        if !to.is_empty() {
            self.out.push(Command::Send { to, message });
        }
    }

    pub fn progress(&mut self, thid: &str, percent: u8, message: impl Into<String>) {
        self.out.push(Command::Progress {
            thid: thid.to_string(),
            percent,
            message: message.into(),
        });
    }

    /// The verkey we hold for a DID (our own included).
    pub fn verkey_of(&self, did: &Did) -> Option<Verkey> {
        if *did == self.keys.did() {
            return Some(self.keys.verkey());
        }
        self.peers.get(did).copied()
    }
}

/// Result of one step of a round.
pub(crate) enum Status {
    Continue,
    Done(Result<Outcome, ProblemReport>),
}

/// Shared round bookkeeping (persisted with the round).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Core {
    pub thid: String,
    pub dialect: Dialect,
    pub flow: Flow,
    pub me: Did,
    pub actor: Did,
    /// Deduplicated, the actor included.
    pub participants: Vec<Did>,
    pub deadline_ms: u64,
    /// The actor commits only before this time (deadline - ttl/4), so that every participant,
    /// whose own deadline is not earlier than the actor's, still has a quarter of the time to
    /// live to receive (or re-request) the final message.
    pub decide_by_ms: u64,
    pub retry_every_ms: u64,
    pub retry_at_ms: u64,
    pub sender_order: u64,
    pub id_counter: u64,
    /// `@id`s of the messages this round sent (2.x peers may thread replies by them, §3.5).
    pub sent_ids: Vec<String>,
}

impl Core {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        thid: String,
        dialect: Dialect,
        flow: Flow,
        me: Did,
        actor: Did,
        participants: Vec<Did>,
        now_ms: u64,
        ttl_sec: u64,
        retry_divisor: u64,
    ) -> Self {
        let ttl_ms = ttl_sec.saturating_mul(1000);
        let retry_every_ms = (ttl_ms / retry_divisor.max(1)).max(200);
        Core {
            thid,
            dialect,
            flow,
            me,
            actor,
            participants,
            deadline_ms: now_ms.saturating_add(ttl_ms),
            decide_by_ms: now_ms.saturating_add(ttl_ms - ttl_ms / 4),
            retry_every_ms,
            retry_at_ms: now_ms.saturating_add(retry_every_ms),
            sender_order: 0,
            id_counter: 0,
            sent_ids: Vec::new(),
        }
    }

    /// Participants other than me.
    pub fn others(&self) -> Vec<Did> {
        self.participants
            .iter()
            .filter(|d| **d != self.me)
            .cloned()
            .collect()
    }

    pub fn is_participant(&self, did: &Did) -> bool {
        self.participants.contains(did)
    }

    /// A fresh, deterministic uuid-shaped `@id` (no randomness needed: unique per me/thread/counter).
    pub fn next_id(&mut self) -> String {
        self.id_counter += 1;
        let digest = Sha256::digest(format!("{}|{}|{}", self.me, self.thid, self.id_counter));
        let h: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        let id = format!(
            "{}-{}-4{}-a{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        );
        self.sent_ids.push(id.clone());
        id
    }

    /// A consensus message: `@type`, `@id`, the body fields in order, `~thread {thid, sender_order}`.
    pub fn message(&mut self, name: &str, body: Vec<(&str, Value)>) -> Value {
        let mut m = Map::new();
        m.insert(
            "@type".into(),
            Value::String(crate::dialect::msg_type(name)),
        );
        m.insert("@id".into(), Value::String(self.next_id()));
        for (k, v) in body {
            m.insert(k.to_string(), v);
        }
        m.insert(
            "~thread".into(),
            json!({"thid": self.thid, "sender_order": self.sender_order}),
        );
        self.sender_order += 1;
        Value::Object(m)
    }

    /// An ack (§3.4), threaded `{"thid": T}` only as both SDK versions accept.
    pub fn ack(&mut self) -> Value {
        let id = self.next_id();
        json!({"@type": crate::dialect::ACK_TYPE, "@id": id, "status": "OK", "~thread": {"thid": self.thid}})
    }

    /// A problem report message for this thread.
    pub fn report(&mut self, report: &ProblemReport) -> Value {
        let id = self.next_id();
        report.to_message(&id, &self.thid)
    }

    /// Whether the retry timer fired; re-arms it.
    pub fn retry_due(&mut self, now_ms: u64) -> bool {
        if now_ms >= self.retry_at_ms {
            self.retry_at_ms = now_ms.saturating_add(self.retry_every_ms);
            true
        } else {
            false
        }
    }

    pub fn next_wakeup(&self) -> u64 {
        self.deadline_ms.min(self.retry_at_ms)
    }
}

/// Deduplicate a DID list, keeping first occurrences (HEAD may list the actor twice, §6.6.1).
pub(crate) fn dedup(list: impl IntoIterator<Item = Did>) -> Vec<Did> {
    let mut out: Vec<Did> = Vec::new();
    for d in list {
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

/// Parse a `participants` field: a list of strings.
pub(crate) fn parse_participants(message: &Value) -> Option<Vec<Did>> {
    let list = message.get("participants")?.as_array()?;
    let mut out = Vec::with_capacity(list.len());
    for v in list {
        out.push(Did::new(v.as_str()?));
    }
    Some(dedup(out))
}

/// Same set of DIDs?
pub(crate) fn same_set(a: &[Did], b: &[Did]) -> bool {
    let sa: std::collections::BTreeSet<&Did> = a.iter().collect();
    let sb: std::collections::BTreeSet<&Did> = b.iter().collect();
    sa == sb
}

/// Check a participant list against our peers: at least two, `me` in it, every other DID known.
pub(crate) fn check_participants(
    participants: &[Did],
    me: &Did,
    env: &Env<'_>,
) -> Result<(), ProblemReport> {
    use crate::problem::{REQUEST_NOT_ACCEPTED, RESPONSE_NOT_ACCEPTED};
    if participants.len() < 2 {
        return Err(ProblemReport::new(
            RESPONSE_NOT_ACCEPTED,
            "Stage-1: participant count less than 2",
        ));
    }
    if !participants.contains(me) {
        return Err(ProblemReport::new(
            RESPONSE_NOT_ACCEPTED,
            format!("Stage-1: {me} is not participant"),
        ));
    }
    for p in participants {
        if env.verkey_of(p).is_none() {
            return Err(ProblemReport::new(
                REQUEST_NOT_ACCEPTED,
                format!("Stage-1: no pairwise for participant {p}"),
            ));
        }
    }
    Ok(())
}
