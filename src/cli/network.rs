//! `tmtm network show|validate|check`: print or check the network file; `check` lives in
//! [`super::network_check`].

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use tmtm_node::config::CliOverrides;
use tmtm_node::identity;
use tmtm_node::roster::Network;

use super::args::{load_config, ConfigArgs};
use super::network_check::CheckArgs;

#[derive(Subcommand)]
pub enum NetworkCommand {
    /// Print the participants and the route.
    #[command(after_help = "Example:\n  tmtm network show --network docs/examples/network.toml")]
    Show(NetworkArgs),
    /// Check the network file; exit 0 when valid, 2 with the first error otherwise.
    #[command(
        after_help = "Example:\n  tmtm network validate --network docs/examples/network.toml"
    )]
    Validate(NetworkArgs),
    /// Trust-ping every other participant from this node's identity and print who answered.
    #[command(after_help = "The node need not run: the command opens the key store \
(wallet key needed) and listens on this node's listen address for the answers, so stop \
`tmtm serve` first or use GET /maintenance/check_health/ of the running node instead.\n\
Exit code 4 when any participant did not answer.\n\n\
Examples:\n  tmtm network check --config /etc/tmtm/tmtm.toml\n  \
tmtm network check --json --timeout 10")]
    Check(CheckArgs),
}

#[derive(Args)]
pub struct NetworkArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Network file (overrides network_file / TMTM_NETWORK_FILE).
    #[arg(long, value_name = "FILE")]
    pub network: Option<PathBuf>,
}

pub fn run(command: NetworkCommand) -> anyhow::Result<()> {
    match command {
        NetworkCommand::Show(args) => show_or_validate(args, false),
        NetworkCommand::Validate(args) => show_or_validate(args, true),
        NetworkCommand::Check(args) => super::network_check::check(args),
    }
}

fn show_or_validate(args: NetworkArgs, validate_only: bool) -> anyhow::Result<()> {
    let config = load_config(CliOverrides {
        network_file: args.network.clone(),
        ..args.config.overrides()
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
