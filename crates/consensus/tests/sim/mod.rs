//! Deterministic simulation of N simple-consensus nodes in one process (see `world` and `oracle`).

pub mod byzantine;
pub mod checks;
pub mod network;
pub mod oracle;
pub mod rng;
pub mod world;
