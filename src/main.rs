//! The `tmtm` command line: parses arguments and calls into the library crates.

use clap::Parser;

/// TMTM node: a shared, tamper-evident log of shipping documents per cargo container.
#[derive(Parser)]
#[command(name = "tmtm", version, about)]
struct Cli {}

fn main() {
    let _cli = Cli::parse();
}
