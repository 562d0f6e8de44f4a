//! Reading a password without putting it on the command line: from standard input
//! (`--password-stdin`, first line), from `TMTM_PASSWORD` (client commands only), or from a
//! prompt on the terminal (input hidden). Anything else is a usage error.

use std::io::{BufRead as _, IsTerminal as _, Read as _};

use tmtm_node::secret::Secret;

use super::exit::{fail, RUNTIME, USAGE};

/// The environment variable the client commands (`tx`, `ledger`) read a password from.
pub const PASSWORD_VAR: &str = "TMTM_PASSWORD";
/// Longest password line read from stdin, in bytes.
const MAX_LINE: u64 = 4096;

/// Where a password may come from for one command.
pub struct PasswordInput {
    /// `--password-stdin` was given.
    pub from_stdin: bool,
    /// `TMTM_PASSWORD` may be used.
    pub allow_env: bool,
    /// Ask twice on a terminal (a new password).
    pub confirm: bool,
}

/// Reads the first line of stdin (without its line ending).
fn read_stdin_line() -> anyhow::Result<Secret> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take(MAX_LINE)
        .read_line(&mut line)
        .map_err(|e| fail(RUNTIME, format!("cannot read the password from stdin: {e}")))?;
    let trimmed = line.strip_suffix('\n').unwrap_or(&line);
    let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
    if trimmed.is_empty() {
        return Err(fail(
            USAGE,
            "--password-stdin: stdin gave an empty password",
        ));
    }
    Ok(Secret::new(trimmed))
}

fn prompt(text: &str) -> anyhow::Result<Secret> {
    rpassword::prompt_password(text)
        .map(Secret::new)
        .map_err(|e| {
            fail(
                RUNTIME,
                format!("cannot read the password from the terminal: {e}"),
            )
        })
}

impl PasswordInput {
    /// Reads the password as configured; `who` names the account in the prompt.
    pub fn read(&self, who: &str) -> anyhow::Result<Secret> {
        if self.from_stdin {
            return read_stdin_line();
        }
        if self.allow_env {
            if let Some(v) = std::env::var(PASSWORD_VAR).ok().filter(|v| !v.is_empty()) {
                return Ok(Secret::new(v));
            }
        }
        if !std::io::stdin().is_terminal() {
            let env = if self.allow_env {
                format!(", set {PASSWORD_VAR}")
            } else {
                String::new()
            };
            return Err(fail(
                USAGE,
                format!("no password given: pipe it in with --password-stdin{env}, or run in a terminal"),
            ));
        }
        let first = prompt(&format!("Password for {who}: "))?;
        if self.confirm {
            let again = prompt("Repeat the password: ")?;
            if !first.ct_eq(&again) {
                return Err(fail(USAGE, "the passwords do not match"));
            }
        }
        Ok(first)
    }
}
