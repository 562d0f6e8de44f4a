//! Errors of the node configuration. None of them carries a secret value.

use std::io;
use std::path::PathBuf;

/// Why the configuration could not be loaded. Every message names where the bad value came
/// from: `FILE:LINE: key`, an environment variable, or a command-line flag.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {path} does not exist")]
    FileNotFound { path: PathBuf },
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{origin}: {message}")]
    Syntax { origin: String, message: String },
    /// A value was refused; `origin` is `FILE:LINE: key`, `ENV_VAR` or `--flag`.
    #[error("{origin}: {reason}")]
    Invalid { origin: String, reason: String },
    #[error(
        "unknown environment variable {name} (known TMTM_* variables are listed in \
         docs/CONFIGURATION.md)"
    )]
    UnknownEnv { name: String },
    #[error("{0}")]
    Conflict(String),
    #[error(
        "no wallet key: set TMTM_WALLET_KEY, or TMTM_WALLET_KEY_FILE / wallet_key_file / \
         --wallet-key-file to a file holding it"
    )]
    NoWalletKey,
    #[error("cannot read the wallet key file {path}: {source}")]
    WalletKeyFile {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the {what} is empty")]
    EmptySecret { what: String },
    #[error("the wallet key file {path} is larger than {max} bytes")]
    WalletKeyFileTooLarge { path: PathBuf, max: u64 },
    #[error(
        "the wallet key file {path} is inside the data directory {data_dir}; keep it apart \
         from the key store (another disk, a secret mount, or TMTM_WALLET_KEY)"
    )]
    WalletKeyBesideKeyStore { path: PathBuf, data_dir: PathBuf },
}
