//! The built-in five-organisation TMTM example network (KTZ Express → Port Aktau → Port of
//! Baku → Azerbaijan Railways → Georgian Railway).
//!
//! Owns the demo seeds and the example `network.toml` (`docs/examples/network.toml`, compiled
//! in). **The seeds are public and for demos and tests only**: a key made from them protects
//! nothing. Real nodes use `tmtm init` without `--seed`.
//!
//! Also owns `tmtm demo` ([`run`]): the whole route on one machine — [`setup`] prepares the
//! data directory, [`run`](mod@run) serves every node on one runtime, [`seed`] adds sample
//! containers, and a small loopback client talks to the nodes.

mod client;
pub mod run;
pub mod seed;
pub mod setup;
#[cfg(test)]
mod unit_tests;

use std::path::PathBuf;

use crate::config::{ConfigError, DocumentSet};
use crate::keystore::KeyStoreError;
use crate::roster::{Network, RosterError};
use crate::serve::ServeError;

pub use run::{demo_json, run, DemoOptions, DEFAULT_BASE_PORT};

/// The file `tmtm demo` writes in its data directory once every node is ready.
pub const DEMO_JSON: &str = "demo.json";

/// Why `tmtm demo` could not start or stopped with an error.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Bad options (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// The ports cannot be used.
    #[error("invalid demo ports: {0}")]
    Ports(String),
    /// A file of the data directory could not be read or written.
    #[error("cannot use {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file the demo wrote earlier is unreadable.
    #[error("{path} is corrupt; start again with --fresh")]
    Corrupt { path: PathBuf },
    /// A node configuration could not be built.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A key store could not be created.
    #[error(transparent)]
    KeyStore(#[from] KeyStoreError),
    /// A node failed.
    #[error(transparent)]
    Serve(#[from] ServeError),
    /// Talking to a node (readiness, seeding) failed.
    #[error("demo client: {0}")]
    Client(String),
}

impl DemoError {
    /// Whether the operator's input is at fault.
    pub fn is_usage(&self) -> bool {
        matches!(self, DemoError::Usage(_) | DemoError::Ports(_))
    }
}

/// One organisation of the demo network.
#[derive(Clone, Copy, Debug)]
pub struct DemoOrg {
    /// Short label (the original's participant label).
    pub label: &'static str,
    /// Organisation name.
    pub organization: &'static str,
    /// Public demo seed (32 ASCII bytes). Never use for a real node.
    pub seed: &'static [u8; 32],
    /// Loopback port of its node in the demo (`http://127.0.0.1:<port>/agent`).
    pub port: u16,
    /// Expected days from the previous hop (`None` for the start).
    pub days: Option<u32>,
    /// Logo file name.
    pub logo: &'static str,
    /// The document set its wizard offers first (the ports: sea).
    pub document_set: DocumentSet,
}

/// The five organisations in route order, with the leg durations of the original
/// deployment (KTZ Express → Aktau 5 days, → Baku 3, → Azerbaijan Railways 1, → Georgia 2).
pub const TMTM_DEMO: [DemoOrg; 5] = [
    DemoOrg {
        label: "DKR",
        organization: "KTZ Express",
        seed: b"tmtm-demo-only-ktz-express-00001",
        port: 9101,
        days: None,
        logo: "ktz-express.png",
        document_set: DocumentSet::Rail,
    },
    DemoOrg {
        label: "Solvo.tos - PORT AKTAU",
        organization: "Port Aktau",
        seed: b"tmtm-demo-only-port-aktau-000001",
        port: 9102,
        days: Some(5),
        logo: "port-aktau.png",
        document_set: DocumentSet::Sea,
    },
    DemoOrg {
        label: "PMIS - PORT OF BAKU",
        organization: "Port of Baku",
        seed: b"tmtm-demo-only-port-of-baku-0001",
        port: 9103,
        days: Some(3),
        logo: "port-of-baku.png",
        document_set: DocumentSet::Sea,
    },
    DemoOrg {
        label: "ADI Smart",
        organization: "Azerbaijan Railways",
        seed: b"tmtm-demo-only-azerbaijan-rw-001",
        port: 9104,
        days: Some(1),
        logo: "azerbaijan-railways.png",
        document_set: DocumentSet::Rail,
    },
    DemoOrg {
        label: "GR Logistics & Terminals",
        organization: "Georgian Railway",
        seed: b"tmtm-demo-only-georgian-rw-00001",
        port: 9105,
        days: Some(2),
        logo: "georgian-railway.png",
        document_set: DocumentSet::Rail,
    },
];

/// The example network file, as shipped in `docs/examples/network.toml`.
pub const EXAMPLE_NETWORK_TOML: &str = include_str!("../../../docs/examples/network.toml");

/// The example network, parsed and validated.
pub fn example_network() -> Result<Network, RosterError> {
    Network::parse(EXAMPLE_NETWORK_TOML, "docs/examples/network.toml")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tmtm_wire::keys::KeyPair;

    #[test]
    fn example_network_is_the_demo_orgs_in_route_order() {
        let net = example_network().unwrap();
        assert_eq!(net.participants().len(), TMTM_DEMO.len());
        assert_eq!(net.route().len(), TMTM_DEMO.len());
        assert_eq!(net.consensus_members().len(), TMTM_DEMO.len());
        for (i, org) in TMTM_DEMO.iter().enumerate() {
            let keys = KeyPair::from_seed(org.seed);
            let p = net
                .participant(&keys.did())
                .expect("participant for demo seed");
            assert_eq!(p.verkey, keys.verkey(), "{}", org.organization);
            assert_eq!(p.organization, org.organization);
            assert_eq!(p.label, org.label);
            assert_eq!(p.logo.as_deref(), Some(org.logo));
            assert_eq!(
                p.endpoint.as_str(),
                format!("http://127.0.0.1:{}/agent", org.port)
            );
            assert_eq!(net.route()[i].did, keys.did());
            assert_eq!(net.route()[i].days, org.days);
            assert!(net.is_consensus_member(&keys.did()));
        }
        assert_eq!(net.dialect(), crate::roster::ConsensusDialect::V1_0_25);
    }

    #[test]
    fn example_file_names_each_seed() {
        for org in TMTM_DEMO {
            let seed = std::str::from_utf8(org.seed).unwrap();
            assert!(
                EXAMPLE_NETWORK_TOML.contains(&format!("# seed \"{seed}\"")),
                "{seed}"
            );
        }
    }
}
