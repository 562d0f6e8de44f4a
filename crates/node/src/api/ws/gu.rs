//! `gu-11` / `gu-12` over the command WebSocket: store the record locally (sender = this
//! node) and, in the same database transaction, queue it in the durable outbox for every
//! other participant of the roster (signed with the node's `msg~sig`, authcrypted by the
//! transport, with
//! `~please_ack`) and record one pending delivery per participant. The delivery stays
//! pending until that participant's `notification/1.0/ack` arrives; the driver re-sends the
//! record (same `@id`) until then or until [`GU_TTL`] passes. Re-sending a request with an
//! `@id` already stored is answered as success without a second broadcast.

use std::time::Duration;

use serde_json::{json, Map, Value};
use tmtm_wire::message::Message;

use super::sign::sign_transaction;
use super::validate::Problem;
use super::Commands;
use crate::api::ApiState;
use crate::storage::GuKind;

/// How long an unacknowledged GU record keeps being retried.
pub const GU_TTL: Duration = Duration::from_secs(24 * 3600);

/// The final answer's text (the original's).
pub const BROADCAST_TEXT: &str =
    "Transaction successfully accepted and was broadcast for all participants";

/// Stores and broadcasts one record; returns the fields of the final `progress` answer.
pub async fn store_and_send(
    state: &ApiState,
    commands: &Commands,
    id: &str,
    kind: GuKind,
    payload: Map<String, Value>,
) -> Result<Value, Problem> {
    let me = commands.keys.did();
    // The record carries the node's own `msg~sig` (with `sig_data`), like business
    // transactions, so that anyone holding it can check who issued it.
    let ts = u64::try_from(state.now_ms() / 1000).unwrap_or(0);
    let payload = sign_transaction(&commands.keys, payload, ts)?.into_map();
    let value = Value::Object(payload.clone());
    let mut message =
        Message::from_map(payload).map_err(|e| Problem::request(format!("Bad message: {e}")))?;
    message.set_please_ack();
    let mut sends = Vec::new();
    for participant in state.network.participants() {
        if participant.did == me {
            continue;
        }
        let Some(peer) = commands.transport.peers().by_did(&participant.did) else {
            continue;
        };
        let row = commands
            .transport
            .pack_for(peer, &message, GU_TTL)
            .map_err(|e| {
                Problem::processing(format!(
                    "The record could not be packed for {}: {e}",
                    participant.did
                ))
            })?;
        sends.push(row);
    }
    let now = state.now_ms();
    let retry = i64::try_from(commands.driver.gu_retry().as_millis()).unwrap_or(i64::MAX);
    let inserted = state
        .db
        .insert_own_gu(
            kind,
            &value,
            me.as_str(),
            id,
            now,
            &sends,
            now.saturating_add(retry),
        )
        .await
        .map_err(|e| Problem::processing(e.to_string()))?;
    if inserted {
        commands.transport.wake();
    }
    Ok(json!({"progress": 100, "message": BROADCAST_TEXT, "done": true}))
}
