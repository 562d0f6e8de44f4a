//! `tmtm-wire`: everything that crosses the wire between TMTM nodes and Python Sirius peers,
//! byte for byte — keys and DIDs, the two JSON serialisations, DIDComm v1 envelopes, RFC 0234
//! signatures and typed agent messages. Pure: no IO, no async, no clock (time and randomness
//! are passed in).
