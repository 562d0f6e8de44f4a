//! Deterministic simulation of N simple-consensus nodes in one process (see `world` and `oracle`).

pub mod oracle;
pub mod rng;
pub mod world;
