//! Trust ping (RFC 0048, `sirius-protocol.md` §7.1), both directions.
//!
//! **Responder.** A `ping` authcrypted by a roster peer whose `response_requested` is not
//! `false` is answered with a `ping_response` (`~thread.thid` = the ping's `@id`), authcrypt
//! to that peer's roster verkey and endpoint. A ping from a verkey that is not in the roster
//! is refused (403) before it gets here, and never answered: the roster is the trust
//! boundary, we would not know where to send the answer, and answering would let anyone
//! probe the network. An anoncrypt ping is accepted (202) but cannot be answered (no sender).
//!
//! **Sender.** [`Transport::ping`] registers a waiter under the ping's `@id`, POSTs the ping
//! directly and waits for the matching `ping_response`, which must be authcrypted by the
//! pinged peer's verkey. Pings and their answers bypass the outbox on purpose: a health check
//! wants a fresh answer now, not a retried one minutes later; each is one POST bounded by
//! the caller's timeout (ping) or the request timeout (answer).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rand_core::OsRng;
use serde_json::Value;
use tmtm_wire::keys::Verkey;
use tmtm_wire::message::{self, new_message_id, Message};
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::outbound::{pack_for, post, PostError};
use super::{lock, Inner, Peer, PingError, SendError, Transport};
use crate::ports::{InboxDedup, OutboxStore};

/// The protocol name of trust ping.
pub const PROTOCOL: &str = "trust_ping";

struct Waiter {
    expected: Verkey,
    done: oneshot::Sender<Instant>,
}

/// Pings waiting for their response, by ping `@id`.
#[derive(Default)]
pub(crate) struct Waiters(HashMap<String, Waiter>);

/// Removes the waiter when `ping` returns, whatever the outcome.
struct WaiterGuard<'a, O, D> {
    inner: &'a Inner<O, D>,
    id: String,
}

impl<O, D> Drop for WaiterGuard<'_, O, D> {
    fn drop(&mut self) {
        lock(&self.inner.waiters).0.remove(&self.id);
    }
}

impl<O: OutboxStore, D: InboxDedup> Transport<O, D> {
    /// Sends a trust ping to `to` and waits up to `timeout` for its `ping_response`;
    /// returns the round-trip time.
    pub async fn ping(&self, to: &Peer, timeout: Duration) -> Result<Duration, PingError> {
        let inner = &*self.inner;
        let id = new_message_id(&mut OsRng);
        let ping = message::ping(id.clone(), None, Some(true));
        let body = pack_for(inner, to, &ping).map_err(|e| match e {
            SendError::Message(e) => PingError::Message(e),
            SendError::Envelope(e) => PingError::Envelope(e),
            SendError::Store(e) => PingError::Unreachable(e.to_string()),
        })?;
        let (done, answered) = oneshot::channel();
        let waiter = Waiter {
            expected: to.verkey,
            done,
        };
        lock(&inner.waiters).0.insert(id.clone(), waiter);
        let _guard = WaiterGuard {
            inner,
            id: id.clone(),
        };
        let started = Instant::now();
        let deadline = started + timeout;
        match post(&inner.http, &to.endpoint, body, Some(timeout)).await {
            Ok(()) => {}
            Err(PostError::Status(status)) => return Err(PingError::Refused(status)),
            Err(PostError::Unreachable(_)) if Instant::now() >= deadline => {
                return Err(PingError::Timeout(timeout))
            }
            Err(PostError::Unreachable(e)) => return Err(PingError::Unreachable(e)),
        }
        tracing::debug!(to = %to.did, id = %id, "ping sent");
        match tokio::time::timeout_at(deadline, answered).await {
            Ok(Ok(at)) => Ok(at.saturating_duration_since(started)),
            Ok(Err(_)) => Err(PingError::Closed),
            Err(_) => Err(PingError::Timeout(timeout)),
        }
    }
}

/// Handles an authenticated trust-ping message from a roster peer.
pub(crate) fn handle<O, D>(inner: &Arc<Inner<O, D>>, from: &Peer, msg: &Message)
where
    O: OutboxStore,
    D: InboxDedup,
{
    if msg.is(PROTOCOL, "ping") {
        answer(inner, from, msg);
    } else if msg.is(PROTOCOL, "ping_response") {
        complete(inner, &from.verkey, msg);
    } else {
        tracing::debug!(from = %from.did, r#type = msg.type_str(), "unhandled trust_ping message");
    }
}

fn answer<O, D>(inner: &Arc<Inner<O, D>>, from: &Peer, ping: &Message)
where
    O: OutboxStore,
    D: InboxDedup,
{
    let ping_id = ping.id().unwrap_or_default();
    if ping.get("response_requested") == Some(&Value::Bool(false)) {
        tracing::debug!(from = %from.did, id = ping_id, "ping without response requested");
        return;
    }
    let response = message::ping_response(ping_id, new_message_id(&mut OsRng), None);
    let body = match pack_for(inner, from, &response) {
        Ok(body) => body,
        Err(e) => {
            tracing::warn!(to = %from.did, error = %e, "cannot pack ping_response");
            return;
        }
    };
    let http = inner.http.clone();
    let to = from.clone();
    let ping_id = ping_id.to_owned();
    tokio::spawn(async move {
        match post(&http, &to.endpoint, body, None).await {
            Ok(()) => tracing::debug!(to = %to.did, thid = %ping_id, "ping answered"),
            Err(e) => {
                tracing::info!(to = %to.did, thid = %ping_id, error = %e, "ping answer not delivered")
            }
        }
    });
}

fn complete<O, D>(inner: &Inner<O, D>, sender: &Verkey, response: &Message) {
    let Some(thid) = response.thread_id() else {
        tracing::debug!("ping_response without ~thread.thid");
        return;
    };
    let mut waiters = lock(&inner.waiters);
    match waiters.0.get(thid) {
        Some(w) if &w.expected == sender => {
            if let Some(w) = waiters.0.remove(thid) {
                // The pinger may have given up already; nothing to do then.
                let _ = w.done.send(Instant::now());
            }
        }
        Some(_) => tracing::warn!(
            thid,
            "ping_response from a verkey other than the pinged peer"
        ),
        None => tracing::debug!(thid, "ping_response for no pending ping"),
    }
}
