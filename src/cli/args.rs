//! What several commands share: the `--config`/`--data-dir` flags, loading the layered
//! configuration (defaults < tmtm.toml < TMTM_* environment < flags), logging to stderr and
//! the Tokio runtime the network commands run on.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use tmtm_node::config::{CliOverrides, EnvMap, NodeConfig};

use super::exit::{fail, RUNTIME};

#[derive(Args, Clone)]
pub struct ConfigArgs {
    /// Configuration file (default: TMTM_CONFIG, else ./tmtm.toml if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory holding the key store (overrides data_dir / TMTM_DATA_DIR).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

impl ConfigArgs {
    /// The overrides these flags give (nothing else set).
    pub fn overrides(&self) -> CliOverrides {
        CliOverrides {
            config_file: self.config.clone(),
            data_dir: self.data_dir.clone(),
            ..CliOverrides::default()
        }
    }
}

/// Variables only the CLI's client commands read; the node configuration never sees them
/// (it refuses unknown `TMTM_*` names to catch typos).
pub const CLI_ONLY_VARS: &[&str] = &[super::password::PASSWORD_VAR];

/// The process environment as UTF-8 pairs (others are ignored), without [`CLI_ONLY_VARS`].
pub fn environment() -> EnvMap {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| !CLI_ONLY_VARS.contains(&k.as_str()))
        .collect()
}

/// Loads the node configuration with these overrides.
pub fn load_config(overrides: CliOverrides) -> anyhow::Result<NodeConfig> {
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    Ok(NodeConfig::load(&overrides, &environment(), &cwd)?)
}

/// Logs to stderr; `RUST_LOG` filters (default `default_filter`).
pub fn init_logging(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// A small multi-threaded runtime for the commands that talk to nodes or databases.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| fail(RUNTIME, format!("cannot start the async runtime: {e}")))
}
