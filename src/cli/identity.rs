//! `tmtm init` and `tmtm identity show`: create or open this node's key store and print its
//! participant card.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use tmtm_node::config::CliOverrides;
use tmtm_node::identity::{self, InitOptions};

use super::args::{load_config, ConfigArgs};

#[derive(Args)]
pub struct IdentityArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// File holding the wallet key (overrides TMTM_WALLET_KEY and wallet_key_file).
    #[arg(long, value_name = "FILE")]
    pub wallet_key_file: Option<PathBuf>,
    /// This node's public base URL; the card's endpoint is URL + agent_path.
    #[arg(long, visible_alias = "endpoint", value_name = "URL")]
    pub public_url: Option<String>,
    /// Print the card as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub identity: IdentityArgs,
    /// Derive the key from this 32-character seed (tests and demos only).
    #[arg(long, value_name = "SEED")]
    pub seed: Option<String>,
    /// Replace an existing key store (its identity is lost).
    #[arg(long)]
    pub force: bool,
}

#[derive(Subcommand)]
pub enum IdentityCommand {
    /// Open the key store with the wallet key and print this node's participant card.
    #[command(after_help = "Example:\n  TMTM_WALLET_KEY=… tmtm identity show --json")]
    Show(IdentityArgs),
}

fn overrides(args: &IdentityArgs) -> CliOverrides {
    CliOverrides {
        config_file: args.config.config.clone(),
        data_dir: args.config.data_dir.clone(),
        public_url: args.public_url.clone(),
        wallet_key_file: args.wallet_key_file.clone(),
        network_file: None,
    }
}

pub fn init(args: InitArgs) -> anyhow::Result<()> {
    let config = load_config(overrides(&args.identity))?;
    let seed = args.seed.as_deref().map(identity::parse_seed).transpose()?;
    if seed.is_some() {
        eprintln!("warning: --seed gives a predictable key; use it for tests and demos only");
    }
    let options = InitOptions {
        seed,
        force: args.force,
    };
    let card = identity::init(&config, options, &mut rand_core::OsRng)?;
    if args.identity.json {
        println!("{}", card.to_json());
    } else {
        println!("Key store created: {}", config.keystore_path().display());
        println!("{card}");
    }
    Ok(())
}

pub fn show(args: IdentityArgs) -> anyhow::Result<()> {
    let config = load_config(overrides(&args))?;
    let (card, _keys) = identity::open(&config)?;
    if args.json {
        println!("{}", card.to_json());
    } else {
        println!("{card}");
    }
    Ok(())
}
