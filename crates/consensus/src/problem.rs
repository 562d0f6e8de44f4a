//! Problem codes, problem reports and the outcome of a round (sirius-protocol.md §3.3, §6.7).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The four problem codes of simple consensus (§6.7). Received unknown codes are kept verbatim.
pub const REQUEST_NOT_ACCEPTED: &str = "request_not_accepted";
/// See [`REQUEST_NOT_ACCEPTED`].
pub const REQUEST_PROCESSING_ERROR: &str = "request_processing_error";
/// See [`REQUEST_NOT_ACCEPTED`].
pub const RESPONSE_NOT_ACCEPTED: &str = "response_not_accepted";
/// See [`REQUEST_NOT_ACCEPTED`].
pub const RESPONSE_PROCESSING_ERROR: &str = "response_processing_error";

/// Why a round failed: the `problem-code` and `explain` of §3.3.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemReport {
    /// `problem-code`.
    pub code: String,
    /// `explain` (free text, in the wording of the Python SDK where one exists).
    pub explain: String,
}

impl ProblemReport {
    /// A report with a code and text.
    pub fn new(code: &str, explain: impl Into<String>) -> Self {
        ProblemReport {
            code: code.to_string(),
            explain: explain.into(),
        }
    }

    /// Read `problem-code` / `explain` of a received report (missing → empty, like the SDK).
    pub fn from_message(message: &Value) -> Self {
        let field = |k: &str| {
            message
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        ProblemReport {
            code: field("problem-code"),
            explain: field("explain"),
        }
    }

    /// The wire message, threaded `{"thid": T}` only (as both SDK versions send problem reports).
    pub fn to_message(&self, id: &str, thid: &str) -> Value {
        json!({
            "@type": crate::dialect::msg_type("problem_report"),
            "@id": id,
            "problem-code": self.code,
            "explain": self.explain,
            "~thread": {"thid": thid},
        })
    }
}

impl std::fmt::Display for ProblemReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.explain)
    }
}

/// What a successful round did to the local ledgers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The ledger names touched (one for create/commit, several for parallel).
    pub ledgers: Vec<String>,
    /// Their committed states after the round.
    pub states: Vec<tmtm_microledger::LedgerState>,
}
