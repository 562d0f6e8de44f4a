//! What a commit round keeps out of its progress row: the proposed transactions (and, for the
//! actor until its participants have all pre-committed, the `stage-propose` that carries
//! them). A round's progress is rewritten at every step that advances it, but this part never
//! changes once the round has started, and it is most of the round's size (every transaction
//! of a shared round: hundreds of KB). The engine hands it over once, as a row of its own, and
//! puts it back into the round when the node restarts (`engine::persist`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tmtm_microledger::Transaction;

/// The unchanging part of a commit round, taken out of the round while its progress is
/// written (`take_apart`) and put back right after or at a restart (`put_apart`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Apart {
    /// Per ledger, the round's transactions (the actor's as appended, with metadata; the
    /// participant's as received).
    pub txns: Vec<(String, Vec<Transaction>)>,
    /// The actor's `stage-propose`, while the round is still waiting for pre-commits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propose: Option<Value>,
}
