//! GU-11/GU-12 records received from other participants. They are not consensus messages:
//! the driver's inbound loop hands them here instead of dropping them, and they are stored
//! on a separate task (never blocking a consensus step) with the authenticated sender's DID;
//! a second message with the same sender and `@id` is dropped by the storage layer.
//! Delivery is acknowledged at the transport level (the sender's outbox retries until the
//! HTTP POST succeeds); no application-level ack message is sent.

use serde_json::Value;
use tmtm_wire::keys::Did;

use crate::storage::{Database, GuKind};

/// The `@type` prefix of TMTM command messages (GU records travel with it).
const PREFIX: &str = "https://github.com/Sirius-social/TMTM/tree/master/transactions/1.0/";

/// The register a message belongs to, if it is a GU record.
pub fn gu_kind(message_type: &str) -> Option<GuKind> {
    match message_type.strip_prefix(PREFIX)? {
        "gu-11" => Some(GuKind::Gu11),
        "gu-12" => Some(GuKind::Gu12),
        _ => None,
    }
}

/// Stores a received GU record (spawned; logs instead of failing).
pub fn store_received(db: Database, from: Did, kind: GuKind, payload: Value) {
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
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        match db.insert_gu(kind, &payload, from.as_str(), &id, now).await {
            Ok(true) => tracing::info!(%from, kind = kind.as_str(), "GU record received"),
            Ok(false) => tracing::debug!(%from, "duplicate GU record dropped"),
            Err(e) => tracing::warn!(%from, error = %e, "GU record not stored"),
        }
    });
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
}
