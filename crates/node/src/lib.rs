//! `tmtm-node`: the runtime of one TMTM node (see the project's `ARCHITECTURE.md`).
//!
//! So far it owns the node's identity and configuration:
//! - [`keystore`]: the encrypted key store (`tmtm init`, `tmtm identity show`);
//! - [`identity`]: `--seed`, the participant card, and the `init` / `open` operations;
//! - [`roster`]: the network file `network.toml` (participants, consensus membership, route);
//! - [`config`]: the node configuration `tmtm.toml` layered with `TMTM_*` variables and flags;
//! - [`demo`]: the built-in five-organisation example network and its demo-only seeds;
//! - [`secret`]: redacting wrappers for secrets; [`endpoint`]: validated HTTP(S) URLs;
//! - [`fsio`]: private, atomic file writes; [`datalock`]: one process per data directory;
//! - [`transport`]: DIDComm v1 over HTTP — inbound endpoint, durable outbox worker, trust ping;
//! - [`storage`]: SQLite/PostgreSQL (sqlx) — microledgers, consensus rounds, outbox, API mirror;
//! - [`driver`]: the consensus driver (engine + storage + transport, one transaction per step);
//! - [`serve`]: `tmtm serve` — assembles and runs the node (DIDComm endpoint, health checks).
//!
//! - [`api`]: the wrapper API — REST, users and auth, tokens, uploads, health, metrics, OpenAPI.
//! - [`web`]: the web dashboard under `/ui/` (server-rendered pages, embedded assets).
//!
//! Operator documentation: `docs/CONFIGURATION.md`; the API: `docs/API.md`.

pub mod api;
pub mod config;
pub mod datalock;
pub mod demo;
pub mod driver;
pub mod endpoint;
pub mod fsio;
pub mod identity;
pub mod keystore;
pub mod ports;
pub mod roster;
pub mod secret;
pub mod serve;
pub mod storage;
pub mod transport;
pub mod web;
