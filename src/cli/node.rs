//! `tmtm serve` (run this node) and `tmtm demo` (run the whole route on loopback), each
//! holding the data-directory lock ([`tmtm_node::datalock`]) while it runs.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use tmtm_node::config::CliOverrides;
use tmtm_node::datalock::lock_data_dir;
use tmtm_node::demo::DemoOptions;

use super::args::{init_logging, load_config, ConfigArgs};
use super::exit::{fail, RUNTIME};

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// File holding the wallet key (overrides TMTM_WALLET_KEY and wallet_key_file).
    #[arg(long, value_name = "FILE")]
    pub wallet_key_file: Option<PathBuf>,
    /// This node's public base URL (overrides public_url / TMTM_PUBLIC_URL).
    #[arg(long, visible_alias = "endpoint", value_name = "URL")]
    pub public_url: Option<String>,
    /// Network file (overrides network_file / TMTM_NETWORK_FILE).
    #[arg(long, value_name = "FILE")]
    pub network: Option<PathBuf>,
}

#[derive(Args)]
pub struct DemoArgs {
    /// Directory for every node's data, network.toml, demo.json and the demo credentials.
    #[arg(long, value_name = "DIR", default_value = "tmtm-demo")]
    pub data_dir: PathBuf,
    /// Node i listens on 127.0.0.1:<PORT + i>.
    #[arg(long, value_name = "PORT", default_value_t = tmtm_node::demo::DEFAULT_BASE_PORT)]
    pub base_port: u16,
    /// Start from empty data (removes what a previous demo wrote in DIR).
    #[arg(long)]
    pub fresh: bool,
    /// How many organisations of the route to run (2..=5).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub nodes: usize,
}

pub fn demo(args: DemoArgs) -> anyhow::Result<()> {
    init_logging("warn");
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let options = DemoOptions {
        data_dir: cwd.join(args.data_dir),
        base_port: args.base_port,
        fresh: args.fresh,
        nodes: args.nodes,
    };
    options.check()?;
    // Held until the demo stops: a second demo on the same directory stops at once.
    tmtm_node::fsio::create_private_dir(&options.data_dir).map_err(|e| {
        fail(
            RUNTIME,
            format!("cannot create {}: {e}", options.data_dir.display()),
        )
    })?;
    let _lock = lock_data_dir(&options.data_dir)?;
    tmtm_node::demo::run(&options)?;
    Ok(())
}

pub fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = load_config(CliOverrides {
        config_file: args.config.config.clone(),
        data_dir: args.config.data_dir.clone(),
        public_url: args.public_url.clone(),
        wallet_key_file: args.wallet_key_file.clone(),
        network_file: args.network.clone(),
    })?;
    // Held while serving. Without a data directory there is no key store either, and
    // `serve` reports that with its own clearer error.
    let _lock = if config.data_dir.is_dir() {
        Some(lock_data_dir(&config.data_dir)?)
    } else {
        None
    };
    init_logging("info");
    tmtm_node::serve::run_until_signal(&config)?;
    Ok(())
}
