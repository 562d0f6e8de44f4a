//! The `tmtm` command line: parses arguments, loads the configuration and calls into
//! `tmtm-node`. Every error is one line on stderr; exit codes are 1 for runtime failures and
//! 2 for usage or configuration errors.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use tmtm_node::config::{CliOverrides, ConfigError, EnvMap, NodeConfig};
use tmtm_node::demo::{DemoError, DemoOptions};
use tmtm_node::identity::{self, IdentityError, InitOptions};
use tmtm_node::roster::{Network, RosterError};
use tmtm_node::serve::ServeError;

/// TMTM node: a shared, tamper-evident log of shipping documents per cargo container.
#[derive(Parser)]
#[command(
    name = "tmtm",
    version,
    about,
    after_help = "Exit codes: 0 success, 1 runtime error, 2 usage or configuration error.\n\
                  Configuration: defaults < tmtm.toml < TMTM_* environment < flags \
                  (see docs/CONFIGURATION.md). The wallet key comes from TMTM_WALLET_KEY or a \
                  key file and is never printed."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create this node's encrypted key store and print its participant card.
    Init(InitArgs),
    /// Show or validate the network file (participants, consensus, route).
    #[command(subcommand)]
    Network(NetworkCommand),
    /// Inspect this node's identity.
    #[command(subcommand)]
    Identity(IdentityCommand),
    /// Run the node: DIDComm endpoint, consensus, health checks (Ctrl-C/SIGTERM to stop).
    Serve(ServeArgs),
    /// Run the whole TMTM route on this machine: five demo nodes on loopback, seeded with
    /// sample containers (demo seeds and throwaway passwords; never for real data).
    Demo(DemoArgs),
}

#[derive(Args)]
struct DemoArgs {
    /// Directory for every node's data, network.toml, demo.json and the demo credentials.
    #[arg(long, value_name = "DIR", default_value = "tmtm-demo")]
    data_dir: PathBuf,
    /// Node i listens on 127.0.0.1:<PORT + i>.
    #[arg(long, value_name = "PORT", default_value_t = tmtm_node::demo::DEFAULT_BASE_PORT)]
    base_port: u16,
    /// Start from empty data (removes what a previous demo wrote in DIR).
    #[arg(long)]
    fresh: bool,
    /// How many organisations of the route to run (2..=5).
    #[arg(long, value_name = "N", default_value_t = 5)]
    nodes: usize,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// File holding the wallet key (overrides TMTM_WALLET_KEY and wallet_key_file).
    #[arg(long, value_name = "FILE")]
    wallet_key_file: Option<PathBuf>,
    /// This node's public base URL (overrides public_url / TMTM_PUBLIC_URL).
    #[arg(long, visible_alias = "endpoint", value_name = "URL")]
    public_url: Option<String>,
    /// Network file (overrides network_file / TMTM_NETWORK_FILE).
    #[arg(long, value_name = "FILE")]
    network: Option<PathBuf>,
}

#[derive(Args)]
struct ConfigArgs {
    /// Configuration file (default: TMTM_CONFIG, else ./tmtm.toml if present).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory holding the key store (overrides data_dir / TMTM_DATA_DIR).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(Args)]
struct IdentityArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// File holding the wallet key (overrides TMTM_WALLET_KEY and wallet_key_file).
    #[arg(long, value_name = "FILE")]
    wallet_key_file: Option<PathBuf>,
    /// This node's public base URL; the card's endpoint is URL + agent_path.
    #[arg(long, visible_alias = "endpoint", value_name = "URL")]
    public_url: Option<String>,
    /// Print the card as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct InitArgs {
    #[command(flatten)]
    identity: IdentityArgs,
    /// Derive the key from this 32-character seed (tests and demos only).
    #[arg(long, value_name = "SEED")]
    seed: Option<String>,
    /// Replace an existing key store (its identity is lost).
    #[arg(long)]
    force: bool,
}

#[derive(Subcommand)]
enum NetworkCommand {
    /// Print the participants and the route.
    Show(NetworkArgs),
    /// Check the network file; exit 0 when valid, 2 with the first error otherwise.
    Validate(NetworkArgs),
}

#[derive(Args)]
struct NetworkArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Network file (overrides network_file / TMTM_NETWORK_FILE).
    #[arg(long, value_name = "FILE")]
    network: Option<PathBuf>,
}

#[derive(Subcommand)]
enum IdentityCommand {
    /// Open the key store with the wallet key and print this node's participant card.
    Show(IdentityArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let line = err.to_string().replace(['\n', '\r'], " ");
            eprintln!("error: {line}");
            ExitCode::from(exit_code(&err))
        }
    }
}

/// 2 for usage and configuration errors, 1 for everything else.
fn exit_code(err: &anyhow::Error) -> u8 {
    if err.downcast_ref::<ConfigError>().is_some() || err.downcast_ref::<RosterError>().is_some() {
        return 2;
    }
    if let Some(e) = err.downcast_ref::<ServeError>() {
        return if e.is_usage() { 2 } else { 1 };
    }
    if let Some(e) = err.downcast_ref::<DemoError>() {
        return if e.is_usage() { 2 } else { 1 };
    }
    match err.downcast_ref::<IdentityError>() {
        Some(e) if e.is_usage() => 2,
        _ => 1,
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Init(args) => init(args),
        Command::Identity(IdentityCommand::Show(args)) => identity_show(args),
        Command::Network(NetworkCommand::Show(args)) => network(args, false),
        Command::Network(NetworkCommand::Validate(args)) => network(args, true),
        Command::Serve(args) => serve(args),
        Command::Demo(args) => demo(args),
    }
}

fn demo(args: DemoArgs) -> anyhow::Result<()> {
    init_logging_with("warn");
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let options = DemoOptions {
        data_dir: cwd.join(args.data_dir),
        base_port: args.base_port,
        fresh: args.fresh,
        nodes: args.nodes,
    };
    tmtm_node::demo::run(&options)?;
    Ok(())
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = load_config(CliOverrides {
        config_file: args.config.config.clone(),
        data_dir: args.config.data_dir.clone(),
        public_url: args.public_url.clone(),
        wallet_key_file: args.wallet_key_file.clone(),
        network_file: args.network.clone(),
    })?;
    init_logging();
    tmtm_node::serve::run_until_signal(&config)?;
    Ok(())
}

/// Logs to stderr; `RUST_LOG` filters (default `info`).
fn init_logging() {
    init_logging_with("info");
}

/// Logs to stderr; `RUST_LOG` filters (default `default_filter`).
fn init_logging_with(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn environment() -> EnvMap {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

fn load_config(overrides: CliOverrides) -> anyhow::Result<NodeConfig> {
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    Ok(NodeConfig::load(&overrides, &environment(), &cwd)?)
}

fn identity_overrides(args: &IdentityArgs) -> CliOverrides {
    CliOverrides {
        config_file: args.config.config.clone(),
        data_dir: args.config.data_dir.clone(),
        public_url: args.public_url.clone(),
        wallet_key_file: args.wallet_key_file.clone(),
        network_file: None,
    }
}

fn init(args: InitArgs) -> anyhow::Result<()> {
    let config = load_config(identity_overrides(&args.identity))?;
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

fn identity_show(args: IdentityArgs) -> anyhow::Result<()> {
    let config = load_config(identity_overrides(&args))?;
    let (card, _keys) = identity::open(&config)?;
    if args.json {
        println!("{}", card.to_json());
    } else {
        println!("{card}");
    }
    Ok(())
}

fn network(args: NetworkArgs, validate_only: bool) -> anyhow::Result<()> {
    let config = load_config(CliOverrides {
        config_file: args.config.config.clone(),
        data_dir: args.config.data_dir.clone(),
        network_file: args.network.clone(),
        ..CliOverrides::default()
    })?;
    let path = config.network_file.clone();
    let net = Network::load(&path)?;
    let own = identity::own_did(&config);
    if let Some(own) = &own {
        let check = net.require_participant(own, &path.display().to_string());
        match check {
            Err(e) if !validate_only => eprintln!("warning: {e}"),
            other => other?,
        }
    }
    if validate_only {
        println!(
            "{}: valid ({} participants, {} consensus members, route of {} hops, dialect {})",
            path.display(),
            net.participants().len(),
            net.consensus_members().len(),
            net.route().len(),
            net.dialect()
        );
    } else {
        print_network(&net, &path, own.as_ref());
    }
    Ok(())
}

fn print_network(net: &Network, path: &Path, own: Option<&tmtm_wire::keys::Did>) {
    println!("Network:   {}", net.name().unwrap_or("(unnamed)"));
    println!("File:      {}", path.display());
    println!("Consensus: dialect {}", net.dialect());
    println!();
    let ps = net.participants();
    let w_org = ps
        .iter()
        .map(|p| p.organization.chars().count())
        .max()
        .unwrap_or(0)
        .max(12);
    let w_label = ps
        .iter()
        .map(|p| p.label.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    println!(
        "  {:<22}  {:<w_org$}  {:<w_label$}  {:<9}  ENDPOINT",
        "DID", "ORGANIZATION", "LABEL", "CONSENSUS"
    );
    for p in ps {
        let mark = if own == Some(&p.did) { "*" } else { " " };
        let member = if net.is_consensus_member(&p.did) {
            "yes"
        } else {
            "no"
        };
        println!(
            "{mark} {:<22}  {:<w_org$}  {:<w_label$}  {:<9}  {}",
            p.did.as_str(),
            p.organization,
            p.label,
            member,
            p.endpoint
        );
    }
    if own.is_some() {
        println!("(* = this node)");
    }
    println!();
    if net.route().is_empty() {
        println!("Route: none");
        return;
    }
    println!("Route:");
    let mut total = 0u32;
    for (i, hop) in net.route().iter().enumerate() {
        let org = net
            .participant(&hop.did)
            .map(|p| p.organization.as_str())
            .unwrap_or("?");
        match hop.days {
            None => println!("  {}. {org} ({}): start", i + 1, hop.did),
            Some(d) => {
                total = total.saturating_add(d);
                println!(
                    "  {}. {org} ({}): +{d} days (day {total} from the start)",
                    i + 1,
                    hop.did
                );
            }
        }
    }
}
