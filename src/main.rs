//! The `tmtm` binary: parses the command line ([`cli`]), runs the command and turns an error
//! into one line on stderr (`error: …`) and a documented exit code (`cli::exit`).

mod cli;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let parsed = cli::Cli::parse();
    match cli::run(parsed) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let line = err.to_string().replace(['\n', '\r'], " ");
            eprintln!("error: {line}");
            ExitCode::from(cli::exit::code_of(&err))
        }
    }
}
