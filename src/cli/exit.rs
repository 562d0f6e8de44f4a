//! Exit codes of the `tmtm` command and the error type that carries one. Every error reaches
//! the user as one line on stderr (`error: …`); the code tells scripts what kind it was:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | runtime error: I/O, database, node unreachable, unexpected answer |
//! | 2 | usage or configuration error: bad flag, file, variable, role, password, command file |
//! | 3 | refused: duplicate or unknown user, login refused, unknown ledger, problem report |
//! | 4 | `tmtm network check`: at least one participant did not answer |

use tmtm_node::config::ConfigError;
use tmtm_node::demo::DemoError;
use tmtm_node::identity::IdentityError;
use tmtm_node::roster::RosterError;
use tmtm_node::serve::ServeError;

/// Runtime failure.
pub const RUNTIME: u8 = 1;
/// Usage or configuration error.
pub const USAGE: u8 = 2;
/// The node or the database refused the request.
pub const REFUSED: u8 = 3;
/// A network check found participants that did not answer.
pub const CHECK_FAILED: u8 = 4;

/// An error with its exit code, raised by the CLI layer itself.
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub message: String,
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// An error to return from a command: `Err(fail(USAGE, "…"))`.
pub fn fail(code: u8, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(CliError {
        code,
        message: message.into(),
    })
}

/// The exit code of an error returned by a command.
pub fn code_of(err: &anyhow::Error) -> u8 {
    if let Some(e) = err.downcast_ref::<CliError>() {
        return e.code;
    }
    if err.downcast_ref::<ConfigError>().is_some() || err.downcast_ref::<RosterError>().is_some() {
        return USAGE;
    }
    if let Some(e) = err.downcast_ref::<ServeError>() {
        return if e.is_usage() { USAGE } else { RUNTIME };
    }
    if let Some(e) = err.downcast_ref::<DemoError>() {
        return if e.is_usage() { USAGE } else { RUNTIME };
    }
    match err.downcast_ref::<IdentityError>() {
        Some(e) if e.is_usage() => USAGE,
        _ => RUNTIME,
    }
}
