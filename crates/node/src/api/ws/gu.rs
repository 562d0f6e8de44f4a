//! `gu-11` / `gu-12` over the command WebSocket: store the record locally (sender = this
//! node) and queue it in the durable outbox for every other participant of the roster
//! (encrypted and signed by the transport, retried until delivered or [`GU_TTL`] passes).
//! Re-sending a request with an `@id` already stored is answered as success without a
//! second broadcast.

use std::time::Duration;

use serde_json::{json, Map, Value};
use tmtm_wire::message::Message;

use super::validate::Problem;
use super::Commands;
use crate::api::ApiState;
use crate::storage::GuKind;

/// How long an undelivered GU record keeps being retried.
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
    let value = Value::Object(payload.clone());
    let inserted = state
        .db
        .insert_gu(kind, &value, me.as_str(), id, state.now_ms())
        .await
        .map_err(|e| Problem::processing(e.to_string()))?;
    if inserted {
        let message = Message::from_map(payload)
            .map_err(|e| Problem::request(format!("Bad message: {e}")))?;
        for participant in state.network.participants() {
            if participant.did == me {
                continue;
            }
            let Some(peer) = commands.transport.peers().by_did(&participant.did) else {
                continue;
            };
            if let Err(e) = commands
                .transport
                .send_with_ttl(peer, &message, GU_TTL)
                .await
            {
                tracing::warn!(to = %participant.did, error = %e, "GU record not queued");
                return Err(Problem::processing(format!(
                    "The record was stored but could not be queued for {}: {e}",
                    participant.did
                )));
            }
        }
    }
    Ok(json!({"progress": 100, "message": BROADCAST_TEXT, "done": true}))
}
