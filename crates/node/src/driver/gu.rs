//! GU-11/GU-12 records between participants. They are not consensus messages: the driver's
//! inbound loop hands them here instead of to the engine.
//!
//! * **Receiving**: a record is stored on a separate task (never blocking a consensus step)
//!   with the authenticated sender's DID; a second message with the same sender and `@id`
//!   is dropped by the storage layer. After the store commits — new or duplicate — the
//!   receiver answers `notification/1.0/ack` (status `OK`, `~thread.thid` = the record's
//!   `@id`) to the sender, so a re-sent record is acknowledged again but stored once.
//! * **Acknowledgements**: an ack from a participant settles the pending delivery of our
//!   record with that `@id` to exactly that participant (others' acks and unknown ids change
//!   nothing).
//! * **Re-sending** ([`spawn_retry`]): own records whose ack has not arrived are re-sent with
//!   the same `@id` (and `~please_ack`) after `DriverConfig::gu_retry`, then after twice as
//!   long each time (at most [`MAX_RETRY`]), until the delivery row expires (24 h).

use std::time::Duration;

use serde_json::Value;
use tmtm_wire::keys::Did;
use tmtm_wire::message::{self, Message};
use tokio_util::sync::CancellationToken;

use super::run::NodeTransport;
use crate::storage::{Database, GuKind};

/// The `@type` prefix of TMTM command messages (GU records travel with it).
const PREFIX: &str = "https://github.com/Sirius-social/TMTM/tree/master/transactions/1.0/";

/// The longest wait between two re-sends of one record.
pub const MAX_RETRY: Duration = Duration::from_secs(3600);

/// At most this many due deliveries are re-sent per pass.
const BATCH: i64 = 100;

/// The register a message belongs to, if it is a GU record.
pub fn gu_kind(message_type: &str) -> Option<GuKind> {
    match message_type.strip_prefix(PREFIX)? {
        "gu-11" => Some(GuKind::Gu11),
        "gu-12" => Some(GuKind::Gu12),
        _ => None,
    }
}

/// The `~thread.thid` of a `notification/*/ack` message.
pub fn ack_thread(message: &Message) -> Option<&str> {
    if !message
        .type_()
        .is_ok_and(|t| t.protocol == "notification" && t.name == "ack")
    {
        return None;
    }
    message.thread_id().filter(|t| !t.is_empty())
}

/// The message a record is (re-)sent as: the record plus `~please_ack`.
pub fn outgoing(payload: Value) -> Option<Message> {
    let mut m = Message::from_value(payload).ok()?;
    m.set_please_ack();
    Some(m)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Stores a received GU record, then acknowledges it to the sender (spawned; logs instead
/// of failing).
pub fn store_received(
    db: Database,
    transport: NodeTransport,
    from: Did,
    kind: GuKind,
    payload: Value,
) {
    tokio::spawn(async move {
        let Some(id) = payload
            .get("@id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        else {
            tracing::warn!(%from, "GU record without @id dropped");
            return;
        };
        let id = id.to_owned();
        match db
            .insert_gu(kind, &payload, from.as_str(), &id, now_ms())
            .await
        {
            Ok(true) => tracing::info!(%from, kind = kind.as_str(), "GU record received"),
            Ok(false) => tracing::debug!(%from, "duplicate GU record dropped"),
            Err(e) => {
                tracing::warn!(%from, error = %e, "GU record not stored");
                return;
            }
        }
        let Some(peer) = transport.peers().by_did(&from).cloned() else {
            return;
        };
        let ack = message::ack(&id, message::new_message_id(&mut rand_core::OsRng));
        if let Err(e) = transport.send(&peer, &ack).await {
            tracing::warn!(%from, error = %e, "GU ack not queued");
        }
    });
}

/// Settles the delivery of our record `thid` to `from` (spawned).
pub fn ack_received(db: Database, from: Did, thid: String) {
    tokio::spawn(async move {
        match db.ack_gu_delivery(&thid, from.as_str(), now_ms()).await {
            Ok(true) => tracing::info!(%from, id = %thid, "GU record acknowledged"),
            Ok(false) => {}
            Err(e) => tracing::warn!(%from, error = %e, "GU ack not recorded"),
        }
    });
}

/// Starts the task that re-sends unacknowledged own GU records until `cancel` fires.
pub fn spawn_retry(
    db: Database,
    transport: NodeTransport,
    me: Did,
    first: Duration,
    cancel: CancellationToken,
) {
    let poll = (first / 2).clamp(Duration::from_millis(50), Duration::from_secs(5));
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(poll) => {}
            }
            if let Err(e) = retry_due(&db, &transport, &me, first).await {
                tracing::warn!(error = %e, "GU re-send pass failed");
            }
        }
    });
}

async fn retry_due(
    db: &Database,
    transport: &NodeTransport,
    me: &Did,
    first: Duration,
) -> Result<(), crate::storage::StorageError> {
    let now = now_ms();
    for due in db.due_gu_deliveries(me.as_str(), now, BATCH).await? {
        let d = &due.delivery;
        let attempts = d.attempts.saturating_add(1);
        let shift = u32::try_from(d.attempts.clamp(0, 20)).unwrap_or(20);
        let wait = first.saturating_mul(1u32 << shift).min(MAX_RETRY);
        let next = now.saturating_add(ms(wait));
        let peer = transport
            .peers()
            .by_did(&Did::new(d.recipient_did.as_str()))
            .cloned();
        match (peer, outgoing(due.payload)) {
            (Some(peer), Some(m)) => {
                let ttl = Duration::from_millis(
                    u64::try_from(d.expires_at_ms.saturating_sub(now)).unwrap_or(0),
                );
                if let Err(e) = transport.send_with_ttl(&peer, &m, ttl).await {
                    tracing::warn!(to = %d.recipient_did, error = %e, "GU re-send not queued");
                } else {
                    tracing::debug!(to = %d.recipient_did, id = %d.message_id, attempts, "GU record re-sent");
                }
            }
            _ => tracing::warn!(to = %d.recipient_did, id = %d.message_id, "GU re-send impossible"),
        }
        db.reschedule_gu_delivery(&d.message_id, &d.recipient_did, attempts, next)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tmtm_gu_types_are_gu_records() {
        assert_eq!(gu_kind(&format!("{PREFIX}gu-11")), Some(GuKind::Gu11));
        assert_eq!(gu_kind(&format!("{PREFIX}gu-12")), Some(GuKind::Gu12));
        assert_eq!(gu_kind(&format!("{PREFIX}gu-13")), None);
        assert_eq!(gu_kind("https://didcomm.org/gu-11"), None);
    }

    #[test]
    fn acks_are_recognised_by_type_and_thread() {
        let ack = message::ack("gu-1", "a1");
        assert_eq!(ack_thread(&ack), Some("gu-1"));
        let other = Message::from_value(serde_json::json!({
            "@type": "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/trust_ping/1.0/ping_response",
            "@id": "x", "~thread": {"thid": "gu-1"}
        }))
        .unwrap();
        assert_eq!(ack_thread(&other), None);
    }

    #[test]
    fn outgoing_records_ask_for_an_ack_with_their_own_id() {
        let m =
            outgoing(serde_json::json!({"@type": format!("{PREFIX}gu-11"), "@id": "g7"})).unwrap();
        assert_eq!(m.please_ack_id(), Some("g7"));
        assert_eq!(m.id(), Some("g7"));
    }
}
