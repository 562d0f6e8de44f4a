//! The `tmtm` command line: the argument tree and the dispatch to one small module per
//! command group. Every command returns `anyhow::Result`; `main` prints an error as one line
//! on stderr and exits with the code from [`exit::code_of`].

pub mod args;
pub mod client;
pub mod exit;
pub mod identity;
pub mod ledger;
pub mod network;
pub mod network_check;
pub mod node;
pub mod password;
pub mod table;
pub mod tx;
pub mod tx_result;
pub mod user;

use clap::{Parser, Subcommand};

/// TMTM node: a shared, tamper-evident log of shipping documents per cargo container.
#[derive(Parser)]
#[command(
    name = "tmtm",
    version,
    about,
    after_help = "Exit codes: 0 success, 1 runtime error, 2 usage or configuration error, \
                  3 refused (duplicate or unknown user, login refused, unknown ledger, problem \
                  report), 4 network check: a participant did not answer.\n\
                  Configuration: defaults < tmtm.toml < TMTM_* environment < flags \
                  (see docs/CONFIGURATION.md). The wallet key comes from TMTM_WALLET_KEY or a \
                  key file and is never printed."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Create this node's encrypted key store and print its participant card.
    #[command(
        after_help = "Examples:\n  TMTM_WALLET_KEY=… tmtm init --data-dir /var/lib/tmtm \
--public-url https://tmtm.example.org\n  tmtm init --json"
    )]
    Init(identity::InitArgs),
    /// Show, validate or check the network file (participants, consensus, route).
    #[command(subcommand)]
    Network(network::NetworkCommand),
    /// Inspect this node's identity.
    #[command(subcommand)]
    Identity(identity::IdentityCommand),
    /// Run the node: DIDComm endpoint, consensus, API (Ctrl-C/SIGTERM to stop).
    #[command(
        after_help = "Examples:\n  tmtm serve --config /etc/tmtm/tmtm.toml\n  \
TMTM_WALLET_KEY_FILE=/run/secrets/wallet-key tmtm serve --network network.toml"
    )]
    Serve(node::ServeArgs),
    /// Run the whole TMTM route on this machine: demo nodes on loopback, seeded with sample
    /// containers (demo seeds and throwaway passwords; never for real data).
    #[command(
        after_help = "Examples:\n  tmtm demo\n  tmtm demo --nodes 2 --base-port 7900 \
--data-dir /tmp/tmtm-demo --fresh"
    )]
    Demo(node::DemoArgs),
    /// Manage the users of this node (in its database).
    #[command(subcommand)]
    User(user::UserCommand),
    /// Send a command to a node over the command WebSocket.
    #[command(subcommand)]
    Tx(tx::TxCommand),
    /// Read a running node's container ledgers over its REST API.
    #[command(subcommand)]
    Ledger(ledger::LedgerCommand),
}

/// Runs one parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Init(args) => identity::init(args),
        Command::Identity(identity::IdentityCommand::Show(args)) => identity::show(args),
        Command::Network(command) => network::run(command),
        Command::Serve(args) => node::serve(args),
        Command::Demo(args) => node::demo(args),
        Command::User(command) => user::run(command),
        Command::Tx(command) => tx::run(command),
        Command::Ledger(command) => ledger::run(command),
    }
}
