//! The node configuration (`tmtm.toml`): built-in defaults, overridden by the file, then by
//! the environment (`TMTM_*` and the original's names), then by command-line flags.
//!
//! Owns [`NodeConfig`] (the resolved, validated configuration), [`ConfigLayer`] (one layer
//! of optional values), [`CliOverrides`] and the wallet-key source. Secrets are held in
//! redacting types, so `Debug` of a config never shows them. Keys, variables and defaults
//! are documented in `docs/CONFIGURATION.md`.

mod env;
mod error;
mod file;
#[cfg(test)]
mod tests;
pub mod values;

use std::fs;
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use tmtm_wire::keys::Did;

use crate::endpoint::HttpUrl;
use crate::keystore::KeyStore;
use crate::secret::{DatabaseUrl, Secret};
pub use env::{EnvMap, KNOWN_TMTM_VARS};
pub use error::ConfigError;

/// The config file looked for in the working directory when none is named.
pub const DEFAULT_CONFIG_FILE: &str = "tmtm.toml";
/// Default listen address (loopback: expose the node on purpose, not by accident).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default DIDComm endpoint path.
pub const DEFAULT_AGENT_PATH: &str = "/agent";
/// Default data directory (relative to the working directory).
pub const DEFAULT_DATA_DIR: &str = "tmtm-data";
/// Default network file (relative to the working directory).
pub const DEFAULT_NETWORK_FILE: &str = "network.toml";
/// Default lifetime of a command-WebSocket token: one hour.
pub const DEFAULT_TOKEN_LIFETIME_SECS: u64 = 3600;
/// Default upload limit: 25 MiB.
pub const DEFAULT_UPLOAD_MAX_BYTES: u64 = 25 * 1024 * 1024;
/// Largest wallet key file read.
const MAX_WALLET_KEY_FILE: u64 = 4096;

/// How signatures on proposed transactions are checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SignaturePolicy {
    /// `msg~sig` must verify against the proposer's key (the default).
    #[default]
    Strict,
    /// Also accept the original's unverifiable signatures (no `sig_data`) from Python peers.
    Legacy,
}

/// Which document types the wizard offers first (the original's `AGENT_IS_SEA`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DocumentSet {
    /// Railway documents, WayBill first (the default).
    #[default]
    Rail,
    /// Sea documents, Сonnaissement first (a port).
    Sea,
}

impl DocumentSet {
    /// `rail` / `sea`, as written in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentSet::Rail => "rail",
            DocumentSet::Sea => "sea",
        }
    }
}

/// Where the wallet key comes from.
#[derive(Clone, Debug)]
pub enum WalletKeySource {
    /// The key itself (from `TMTM_WALLET_KEY`).
    Value(Secret),
    /// A file holding the key (one line; a trailing newline is ignored).
    File(PathBuf),
}

/// One configuration layer: every value optional; later layers override earlier ones.
#[derive(Clone, Debug, Default)]
pub struct ConfigLayer {
    pub did: Option<Did>,
    pub listen: Option<SocketAddr>,
    pub agent_path: Option<String>,
    pub public_url: Option<HttpUrl>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<DatabaseUrl>,
    pub wallet_key: Option<WalletKeySource>,
    pub token_lifetime_secs: Option<u64>,
    pub upload_max_bytes: Option<u64>,
    pub signature_policy: Option<SignaturePolicy>,
    pub document_set: Option<DocumentSet>,
    pub network_file: Option<PathBuf>,
    pub admin_username: Option<String>,
    pub admin_password: Option<Secret>,
}

impl ConfigLayer {
    /// `self` overridden by every value that `over` sets.
    pub fn merge(self, over: ConfigLayer) -> ConfigLayer {
        ConfigLayer {
            did: over.did.or(self.did),
            listen: over.listen.or(self.listen),
            agent_path: over.agent_path.or(self.agent_path),
            public_url: over.public_url.or(self.public_url),
            data_dir: over.data_dir.or(self.data_dir),
            database_url: over.database_url.or(self.database_url),
            wallet_key: over.wallet_key.or(self.wallet_key),
            token_lifetime_secs: over.token_lifetime_secs.or(self.token_lifetime_secs),
            upload_max_bytes: over.upload_max_bytes.or(self.upload_max_bytes),
            signature_policy: over.signature_policy.or(self.signature_policy),
            document_set: over.document_set.or(self.document_set),
            network_file: over.network_file.or(self.network_file),
            admin_username: over.admin_username.or(self.admin_username),
            admin_password: over.admin_password.or(self.admin_password),
        }
    }
}

/// The command-line flags that override configuration (as typed; checked here).
#[derive(Clone, Debug, Default)]
pub struct CliOverrides {
    /// `--config FILE`.
    pub config_file: Option<PathBuf>,
    /// `--data-dir DIR`.
    pub data_dir: Option<PathBuf>,
    /// `--public-url URL` (alias `--endpoint`).
    pub public_url: Option<String>,
    /// `--wallet-key-file FILE`.
    pub wallet_key_file: Option<PathBuf>,
    /// `--network FILE`.
    pub network_file: Option<PathBuf>,
}

impl CliOverrides {
    fn layer(&self) -> Result<ConfigLayer, ConfigError> {
        let public_url = match &self.public_url {
            Some(u) => Some(
                values::public_url(u).map_err(|reason| ConfigError::Invalid {
                    origin: "--public-url".into(),
                    reason,
                })?,
            ),
            None => None,
        };
        Ok(ConfigLayer {
            data_dir: self.data_dir.clone(),
            public_url,
            wallet_key: self.wallet_key_file.clone().map(WalletKeySource::File),
            network_file: self.network_file.clone(),
            ..ConfigLayer::default()
        })
    }
}

/// The resolved node configuration.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// The config file that was read, if any.
    pub config_file: Option<PathBuf>,
    /// This node's DID, when configured (otherwise taken from the key store).
    pub did: Option<Did>,
    pub listen: SocketAddr,
    pub agent_path: String,
    pub public_url: HttpUrl,
    pub data_dir: PathBuf,
    pub database_url: DatabaseUrl,
    pub wallet_key: Option<WalletKeySource>,
    pub token_lifetime_secs: u64,
    pub upload_max_bytes: u64,
    pub signature_policy: SignaturePolicy,
    pub document_set: DocumentSet,
    pub network_file: PathBuf,
    pub admin_username: Option<String>,
    pub admin_password: Option<Secret>,
}

impl NodeConfig {
    /// Loads the layers: defaults < config file < environment < flags. The file is
    /// `--config`, else `TMTM_CONFIG`, else `./tmtm.toml` when it exists (relative to `cwd`).
    pub fn load(cli: &CliOverrides, env: &EnvMap, cwd: &Path) -> Result<NodeConfig, ConfigError> {
        let named = cli.config_file.clone().or_else(|| env::config_file(env));
        let config_file = match named {
            Some(p) => Some(cwd.join(p)),
            None => Some(cwd.join(DEFAULT_CONFIG_FILE)).filter(|p| p.is_file()),
        };
        let file_layer = match &config_file {
            Some(p) => file::load(p)?,
            None => ConfigLayer::default(),
        };
        let env_layer = env::layer(env)?;
        let merged = file_layer.merge(env_layer).merge(cli.layer()?);
        Self::resolve(merged, config_file, cwd)
    }

    /// Parses config-file text alone (no environment, no flags), for tests and `check`.
    pub fn from_toml(text: &str, path: &Path) -> Result<NodeConfig, ConfigError> {
        let layer = file::parse(text, path)?;
        let cwd = path.parent().unwrap_or(Path::new("."));
        Self::resolve(layer, Some(path.to_owned()), cwd)
    }

    /// Fills defaults and checks the values that depend on each other.
    pub fn resolve(
        layer: ConfigLayer,
        config_file: Option<PathBuf>,
        cwd: &Path,
    ) -> Result<NodeConfig, ConfigError> {
        let default_listen: SocketAddr = DEFAULT_LISTEN
            .parse()
            .map_err(|_| ConfigError::Conflict("bad built-in listen address".into()))?;
        let listen = layer.listen.unwrap_or(default_listen);
        let public_url = match layer.public_url {
            Some(u) => u,
            None if listen.ip().is_unspecified() => {
                return Err(ConfigError::Conflict(format!(
                    "listen is {listen} (all interfaces), so public_url must be set: the \
                     URL other organisations reach this node at"
                )))
            }
            None => HttpUrl::parse_base(&format!("http://{listen}")).map_err(|e| {
                ConfigError::Invalid {
                    origin: "listen".into(),
                    reason: e.to_string(),
                }
            })?,
        };
        let data_dir = cwd.join(layer.data_dir.unwrap_or_else(|| DEFAULT_DATA_DIR.into()));
        let database_url = layer.database_url.unwrap_or_else(|| {
            DatabaseUrl::new(format!(
                "sqlite://{}",
                data_dir.join("tmtm.sqlite3").display()
            ))
        });
        let wallet_key = layer.wallet_key.map(|w| match w {
            WalletKeySource::File(p) => WalletKeySource::File(cwd.join(p)),
            v => v,
        });
        if layer.admin_password.is_some() && layer.admin_username.is_none() {
            return Err(ConfigError::Conflict(
                "an admin password is set (ADMIN_PASSWORD / TMTM_ADMIN_PASSWORD) but no admin \
                 user name"
                    .into(),
            ));
        }
        if layer.admin_password.as_ref().is_some_and(Secret::is_empty) {
            return Err(ConfigError::EmptySecret {
                what: "admin password".into(),
            });
        }
        Ok(NodeConfig {
            config_file,
            did: layer.did,
            listen,
            agent_path: layer
                .agent_path
                .unwrap_or_else(|| DEFAULT_AGENT_PATH.to_owned()),
            public_url,
            data_dir,
            database_url,
            wallet_key,
            token_lifetime_secs: layer
                .token_lifetime_secs
                .unwrap_or(DEFAULT_TOKEN_LIFETIME_SECS),
            upload_max_bytes: layer.upload_max_bytes.unwrap_or(DEFAULT_UPLOAD_MAX_BYTES),
            signature_policy: layer.signature_policy.unwrap_or_default(),
            document_set: layer.document_set.unwrap_or_default(),
            network_file: cwd.join(
                layer
                    .network_file
                    .unwrap_or_else(|| DEFAULT_NETWORK_FILE.into()),
            ),
            admin_username: layer.admin_username,
            admin_password: layer.admin_password,
        })
    }

    /// The DIDComm endpoint other nodes send to: public URL + agent path.
    pub fn agent_endpoint(&self) -> String {
        self.public_url.join_path(&self.agent_path)
    }

    /// The key store file in the data directory.
    pub fn keystore_path(&self) -> PathBuf {
        KeyStore::path_in(&self.data_dir)
    }

    /// Reads the wallet key from its source. A key file must not live inside the data
    /// directory; one trailing newline is stripped; an empty key is refused.
    pub fn wallet_key(&self) -> Result<Secret, ConfigError> {
        match &self.wallet_key {
            None => Err(ConfigError::NoWalletKey),
            Some(WalletKeySource::Value(s)) if s.is_empty() => Err(ConfigError::EmptySecret {
                what: "wallet key (TMTM_WALLET_KEY)".into(),
            }),
            Some(WalletKeySource::Value(s)) => Ok(s.clone()),
            Some(WalletKeySource::File(path)) => read_wallet_key_file(path, &self.data_dir),
        }
    }
}

fn read_wallet_key_file(path: &Path, data_dir: &Path) -> Result<Secret, ConfigError> {
    let io_err = |source| ConfigError::WalletKeyFile {
        path: path.to_owned(),
        source,
    };
    let key_real = fs::canonicalize(path).map_err(io_err)?;
    if let Ok(data_real) = fs::canonicalize(data_dir) {
        if key_real.starts_with(&data_real) {
            return Err(ConfigError::WalletKeyBesideKeyStore {
                path: path.to_owned(),
                data_dir: data_dir.to_owned(),
            });
        }
    }
    let file = fs::File::open(&key_real).map_err(io_err)?;
    let mut bytes = zeroize::Zeroizing::new(Vec::new());
    file.take(MAX_WALLET_KEY_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    if bytes.len() as u64 > MAX_WALLET_KEY_FILE {
        return Err(ConfigError::WalletKeyFileTooLarge {
            path: path.to_owned(),
            max: MAX_WALLET_KEY_FILE,
        });
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        io_err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the key is not UTF-8 text",
        ))
    })?;
    let key = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text);
    if key.is_empty() {
        return Err(ConfigError::EmptySecret {
            what: format!("wallet key in {}", path.display()),
        });
    }
    Ok(Secret::new(key))
}
