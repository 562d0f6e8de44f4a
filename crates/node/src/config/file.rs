//! The `tmtm.toml` file layer: the serde shape (unknown keys refused, every value spanned)
//! and its conversion to a [`ConfigLayer`], with `FILE:LINE: key` in every error. Relative
//! paths in the file are taken relative to the file's directory.

use std::fs;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{values, ConfigError, ConfigLayer, WalletKeySource};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    did: Option<Spanned<String>>,
    listen: Option<Spanned<String>>,
    agent_path: Option<Spanned<String>>,
    public_url: Option<Spanned<String>>,
    data_dir: Option<Spanned<String>>,
    database_url: Option<Spanned<String>>,
    wallet_key_file: Option<Spanned<String>>,
    token_lifetime_secs: Option<Spanned<i64>>,
    upload_max_bytes: Option<Spanned<i64>>,
    signature_policy: Option<Spanned<String>>,
    document_set: Option<Spanned<String>>,
    network_file: Option<Spanned<String>>,
    admin_username: Option<Spanned<String>>,
}

fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Reads `path` and turns it into a layer.
pub(super) fn load(path: &Path) -> Result<ConfigLayer, ConfigError> {
    let text = fs::read_to_string(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            ConfigError::FileNotFound {
                path: path.to_owned(),
            }
        } else {
            ConfigError::Read {
                path: path.to_owned(),
                source,
            }
        }
    })?;
    parse(&text, path)
}

/// Parses config-file text; `path` names the file in errors and anchors relative paths.
pub(super) fn parse(text: &str, path: &Path) -> Result<ConfigLayer, ConfigError> {
    let name = path.display().to_string();
    let raw: RawFile = toml::from_str(text).map_err(|e| ConfigError::Syntax {
        origin: match e.span() {
            Some(s) => format!("{name}:{}", line_of(text, s.start)),
            None => name.clone(),
        },
        message: e.message().trim().to_owned(),
    })?;
    let base = path.parent().unwrap_or(Path::new(""));
    let origin = |v_start: usize, key: &str| format!("{name}:{}: {key}", line_of(text, v_start));
    // Applies a value parser to a spanned string, locating any error.
    macro_rules! conv {
        ($field:expr, $key:literal, $parse:expr) => {
            match &$field {
                Some(v) => {
                    Some(
                        ($parse)(v.get_ref().as_str()).map_err(|reason| ConfigError::Invalid {
                            origin: origin(v.span().start, $key),
                            reason,
                        })?,
                    )
                }
                None => None,
            }
        };
    }
    macro_rules! num {
        ($field:expr, $key:literal, $parse:expr) => {
            match &$field {
                Some(v) => Some(($parse)(i128::from(*v.get_ref())).map_err(|reason| {
                    ConfigError::Invalid {
                        origin: origin(v.span().start, $key),
                        reason,
                    }
                })?),
                None => None,
            }
        };
    }
    let rel = |p: std::path::PathBuf| if p.is_absolute() { p } else { base.join(p) };
    Ok(ConfigLayer {
        did: conv!(raw.did, "did", values::did),
        listen: conv!(raw.listen, "listen", values::listen),
        agent_path: conv!(raw.agent_path, "agent_path", values::agent_path),
        public_url: conv!(raw.public_url, "public_url", values::public_url),
        data_dir: conv!(raw.data_dir, "data_dir", values::path).map(rel),
        database_url: conv!(raw.database_url, "database_url", values::database_url),
        wallet_key: conv!(raw.wallet_key_file, "wallet_key_file", values::path)
            .map(|p| WalletKeySource::File(rel(p))),
        token_lifetime_secs: num!(
            raw.token_lifetime_secs,
            "token_lifetime_secs",
            values::token_lifetime
        ),
        upload_max_bytes: num!(raw.upload_max_bytes, "upload_max_bytes", values::upload_max),
        signature_policy: conv!(
            raw.signature_policy,
            "signature_policy",
            values::signature_policy
        ),
        document_set: conv!(raw.document_set, "document_set", values::document_set),
        network_file: conv!(raw.network_file, "network_file", values::path).map(rel),
        admin_username: conv!(raw.admin_username, "admin_username", values::username),
        admin_password: None,
    })
}
