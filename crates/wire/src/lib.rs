//! `tmtm-wire`: everything that crosses the wire between TMTM nodes and Python Sirius peers,
//! byte for byte — keys and DIDs, the two JSON serialisations, DIDComm v1 envelopes, RFC 0234
//! signatures and typed agent messages. Pure: no IO, no async, no clock (time and randomness
//! are passed in).
//!
//! Section numbers (§) refer to `shared/spec/sirius-protocol.md`.

#![forbid(unsafe_code)]

pub mod b64;
pub mod counters;
pub mod envelope;
pub mod json;
pub mod keys;
mod memo;
pub mod message;
pub mod signature;
