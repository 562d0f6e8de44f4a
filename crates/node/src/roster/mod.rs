//! The network roster from `network.toml`, shared by all organisations of one network:
//! participants, the consensus membership, the route with its leg durations, and the
//! consensus dialect. Validated on load; see `docs/CONFIGURATION.md` for the format.
//!
//! Owns [`Network`] and its parts; parsing is in `raw`, the rules in `validate`, the errors
//! in [`error`].

pub mod error;
mod raw;
#[cfg(test)]
mod tests;
mod validate;

use std::fmt;
use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};
use tmtm_wire::keys::{Did, Verkey};

use crate::endpoint::HttpUrl;
pub use error::{RosterError, RosterErrorKind};

/// Largest accepted leg duration, in days.
pub const MAX_LEG_DAYS: i64 = 365;
/// Largest accepted number of participants.
pub const MAX_PARTICIPANTS: usize = 256;

/// Which Python Sirius SDK generation the consensus messages follow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsensusDialect {
    /// sirius-sdk 1.0.25, the version TMTM deployed (the default).
    #[default]
    #[serde(rename = "1.0.25")]
    V1_0_25,
    /// sirius-sdk 2.x.
    #[serde(rename = "2.x")]
    V2,
}

impl fmt::Display for ConsensusDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConsensusDialect::V1_0_25 => "1.0.25",
            ConsensusDialect::V2 => "2.x",
        })
    }
}

/// One organisation's node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Participant {
    pub did: Did,
    pub verkey: Verkey,
    /// The DIDComm endpoint (`…/agent`).
    pub endpoint: HttpUrl,
    /// Short name (pairwise label, invitation label).
    pub label: String,
    /// Organisation name (signer label in the API).
    pub organization: String,
    /// Logo file name under the dashboard's logo folder, or an http(s) URL.
    pub logo: Option<String>,
}

/// One stop of the route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteHop {
    pub did: Did,
    /// Expected days to reach this hop from the previous one; `None` for the first hop.
    pub days: Option<u32>,
}

/// A validated network file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Network {
    name: Option<String>,
    participants: Vec<Participant>,
    members: Vec<Did>,
    route: Vec<RouteHop>,
    dialect: ConsensusDialect,
}

impl Network {
    /// Reads and validates a network file.
    pub fn load(path: &Path) -> Result<Network, RosterError> {
        let source_name = path.display().to_string();
        let text = fs::read_to_string(path).map_err(|e| RosterError {
            source_name: source_name.clone(),
            line: None,
            kind: RosterErrorKind::Read(e),
        })?;
        Self::parse(&text, &source_name)
    }

    /// Parses and validates network-file text; `source_name` is used in error messages.
    pub fn parse(text: &str, source_name: &str) -> Result<Network, RosterError> {
        validate::parse(text, source_name)
    }

    /// The optional display name of the network.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// All participants, in file order.
    pub fn participants(&self) -> &[Participant] {
        &self.participants
    }

    /// The participant with this DID.
    pub fn participant(&self, did: &Did) -> Option<&Participant> {
        self.participants.iter().find(|p| &p.did == did)
    }

    /// The participant whose verkey this is (maps a transaction signer to an organisation).
    pub fn participant_by_verkey(&self, verkey: &Verkey) -> Option<&Participant> {
        self.participants.iter().find(|p| &p.verkey == verkey)
    }

    /// The consensus membership (all participants unless the file narrows it), in file order.
    pub fn consensus_members(&self) -> &[Did] {
        &self.members
    }

    /// Whether `did` takes part in consensus.
    pub fn is_consensus_member(&self, did: &Did) -> bool {
        self.members.contains(did)
    }

    /// The route, in travel order (may be empty).
    pub fn route(&self) -> &[RouteHop] {
        &self.route
    }

    /// The 0-based position of `did` on the route.
    pub fn route_position(&self, did: &Did) -> Option<usize> {
        self.route.iter().position(|h| &h.did == did)
    }

    /// The consensus dialect.
    pub fn dialect(&self) -> ConsensusDialect {
        self.dialect
    }

    /// Fails unless `own` is a participant (this node must be in its own network).
    pub fn require_participant(&self, own: &Did, source_name: &str) -> Result<(), RosterError> {
        if self.participant(own).is_some() {
            return Ok(());
        }
        Err(RosterError {
            source_name: source_name.to_owned(),
            line: None,
            kind: RosterErrorKind::OwnDidMissing {
                did: own.as_str().to_owned(),
            },
        })
    }
}
