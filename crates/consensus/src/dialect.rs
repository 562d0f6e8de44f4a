//! Wire dialects (Sirius SDK 1.0.25 as deployed by TMTM, and 2.x), flows, thread-id prefixes
//! and the `@type` names of the simple-consensus protocol (sirius-protocol.md §3.1, §6.1, §6.3).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `@type` prefix we emit (§3.1).
pub const PROTOCOL_PREFIX: &str = "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/simple-consensus/1.0/";
/// The alternative doc URI accepted on input.
pub const PROTOCOL_PREFIX_DIDCOMM: &str = "https://didcomm.org/simple-consensus/1.0/";
/// The ack type used by the creation flow (§3.4).
pub const ACK_TYPE: &str = "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/notification/1.0/ack";

/// Which Python SDK generation we talk to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Dialect {
    /// sirius-sdk 1.0.25, pinned by TMTM (the deployed protocol). The default.
    #[default]
    V1_0_25,
    /// sirius-sdk 2.x (HEAD / 2.2.0).
    V2,
}

/// The three consensus flows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Flow {
    /// Ledger creation (`initialize-*`).
    Create,
    /// Commit to one ledger (`stage-*`).
    Commit,
    /// Commit the same transactions to several ledgers (`stage-*-parallel`).
    Parallel,
}

impl Dialect {
    /// The thread-id prefix the actor uses for a flow (§6.3); a 32-hex id follows it.
    pub fn thread_prefix(self, flow: Flow) -> &'static str {
        match (self, flow) {
            (Dialect::V1_0_25, Flow::Create) => "simple-consensus-",
            (Dialect::V1_0_25, _) => "simple-consensus-txns-",
            (Dialect::V2, Flow::Create) => "simple-consensus-init-",
            (Dialect::V2, Flow::Commit) => "simple-consensus-commit-",
            (Dialect::V2, Flow::Parallel) => "simple-consensus-commit-parallel-",
        }
    }

    /// A thread id for a flow from 32 lowercase hex characters chosen by the caller.
    pub fn thread_id(self, flow: Flow, hex32: &str) -> String {
        format!("{}{}", self.thread_prefix(flow), hex32)
    }

    /// Guess the dialect of a received proposal. 2.x actors always add `~please_ack` and
    /// `received_orders`; a 2.x parallel proposal carries `ledgers`. Everything else is 1.0.25.
    pub fn detect(message: &Value) -> Dialect {
        let thread_has_orders = message
            .get("~thread")
            .and_then(|t| t.get("received_orders"))
            .is_some();
        if message.get("~please_ack").is_some()
            || thread_has_orders
            || message.get("ledgers").is_some()
        {
            Dialect::V2
        } else {
            Dialect::V1_0_25
        }
    }
}

/// The full `@type` we emit for a simple-consensus message name.
pub fn msg_type(name: &str) -> String {
    format!("{PROTOCOL_PREFIX}{name}")
}

/// The message name of a received simple-consensus (or ack) `@type`, if it is one.
/// Accepts both doc URIs and ignores the version like the SDK (§3.1); acks map to `"ack"`.
pub fn consensus_name(message: &Value) -> Option<&str> {
    consensus_name_of_type(message.get("@type")?.as_str()?)
}

/// [`consensus_name`] of the `@type` string itself (for callers holding a parsed message
/// rather than a JSON value).
pub fn consensus_name_of_type(ty: &str) -> Option<&str> {
    let (protocol_path, name) = ty.rsplit_once('/')?;
    let (protocol_path, _version) = protocol_path.rsplit_once('/')?;
    let protocol = protocol_path.rsplit(['/', ';']).next()?;
    match protocol {
        "simple-consensus" => Some(name),
        "notification" if name == "ack" => Some("ack"),
        _ => None,
    }
}

/// The `~thread.thid` of a message.
pub fn thread_id(message: &Value) -> Option<&str> {
    message.get("~thread")?.get("thid")?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_and_prefixes() {
        let m = json!({"@type": "https://didcomm.org/simple-consensus/1.0/stage-commit"});
        assert_eq!(consensus_name(&m), Some("stage-commit"));
        let m = json!({"@type": ACK_TYPE});
        assert_eq!(consensus_name(&m), Some("ack"));
        let m = json!({"@type": "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/trust_ping/1.0/ping"});
        assert_eq!(consensus_name(&m), None);
        assert_eq!(
            consensus_name_of_type(
                "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/simple-consensus/1.0/stage-propose"
            ),
            Some("stage-propose")
        );
        assert_eq!(consensus_name_of_type("stage-propose"), None);
        assert_eq!(
            Dialect::V2.thread_id(Flow::Parallel, "ab"),
            "simple-consensus-commit-parallel-ab"
        );
        assert_eq!(
            Dialect::V1_0_25.thread_prefix(Flow::Parallel),
            "simple-consensus-txns-"
        );
        assert_eq!(Dialect::detect(&json!({"~please_ack": {}})), Dialect::V2);
        assert_eq!(
            Dialect::detect(&json!({"~thread": {"thid": "x"}})),
            Dialect::V1_0_25
        );
    }
}
