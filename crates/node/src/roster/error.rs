//! Errors of the network file: where ([`RosterError`]: file and line) and what
//! ([`RosterErrorKind`], one variant per rule, each naming the offending entry).

use std::fmt;
use std::io;

/// A network-file error with its location.
#[non_exhaustive]
#[derive(Debug)]
pub struct RosterError {
    /// The file name (or `<string>`).
    pub source_name: String,
    /// 1-based line, where the TOML parser gives a position.
    pub line: Option<usize>,
    /// What is wrong.
    pub kind: RosterErrorKind,
}

/// What is wrong with the network file.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum RosterErrorKind {
    #[error("cannot read the network file: {0}")]
    Read(#[source] io::Error),
    #[error("{0}")]
    Syntax(String),
    #[error("the network has no participants: add at least one [[participants]] entry")]
    NoParticipants,
    #[error("too many participants ({count}; at most {max})")]
    TooManyParticipants { count: usize, max: usize },
    #[error("duplicate participant DID {did}")]
    DuplicateDid { did: String },
    #[error("participant {did}: verkey {verkey:?} is not a base58 Ed25519 public key ({reason})")]
    BadVerkey {
        did: String,
        verkey: String,
        reason: String,
    },
    #[error(
        "participant {did}: the DID does not match its verkey (the verkey's DID is {expected}: \
         base58 of its first 16 bytes)"
    )]
    DidMismatch { did: String, expected: String },
    #[error("participant {did}: endpoint {endpoint:?} {reason}")]
    BadEndpoint {
        did: String,
        endpoint: String,
        reason: String,
    },
    #[error("participant {did}: {field} {reason}")]
    BadField {
        did: String,
        field: &'static str,
        reason: String,
    },
    #[error("consensus members: unknown DID {did} (not a participant)")]
    UnknownMember { did: String },
    #[error("consensus members: DID {did} is listed twice")]
    DuplicateMember { did: String },
    #[error("consensus members: the list is empty (omit it to mean all participants)")]
    EmptyMembers,
    #[error("route: unknown DID {did} (not a participant)")]
    UnknownHop { did: String },
    #[error("route: DID {did} appears twice")]
    DuplicateHop { did: String },
    #[error("route: hop {did} needs `days` (days to reach it from the previous hop)")]
    MissingDays { did: String },
    #[error("route: hop {did} has days = {days}; expected a whole number from 0 to {max}")]
    BadDays { did: String, days: i64, max: i64 },
    #[error("route: the first hop {did} is the start of the route and cannot have days = {days}")]
    FirstHopDays { did: String, days: i64 },
    #[error("this node's DID {did} is not a participant of the network")]
    OwnDidMissing { did: String },
}

impl fmt::Display for RosterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.source_name, line, self.kind),
            None => write!(f, "{}: {}", self.source_name, self.kind),
        }
    }
}

impl std::error::Error for RosterError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            RosterErrorKind::Read(e) => Some(e),
            _ => None,
        }
    }
}
