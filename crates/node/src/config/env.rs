//! The environment layer: `TMTM_*` variables plus the original service's names that still
//! make sense (`AGENT_ENTITY`, `ADMIN_USERNAME`, `ADMIN_PASSWORD`, `DATABASE_URL`,
//! `DATABASE_NAME/USER/PASSWORD/HOST/PORT`). The environment is passed in as a map, so tests
//! never touch the process environment. Unknown `TMTM_*` names are refused (typos).

use std::collections::BTreeMap;

use super::{values, ConfigError, ConfigLayer, WalletKeySource};
use crate::secret::{DatabaseUrl, Secret};

/// The environment as a map (`std::env::vars()` collected, or a test fixture).
pub type EnvMap = BTreeMap<String, String>;

/// Every `TMTM_*` variable this build reads.
pub const KNOWN_TMTM_VARS: &[&str] = &[
    "TMTM_CONFIG",
    "TMTM_DID",
    "TMTM_LISTEN",
    "TMTM_AGENT_PATH",
    "TMTM_PUBLIC_URL",
    "TMTM_DATA_DIR",
    "TMTM_DATABASE_URL",
    "TMTM_WALLET_KEY",
    "TMTM_WALLET_KEY_FILE",
    "TMTM_TOKEN_LIFETIME_SECS",
    "TMTM_UPLOAD_MAX_BYTES",
    "TMTM_SIGNATURE_POLICY",
    "TMTM_DOCUMENT_SET",
    "TMTM_NETWORK_FILE",
    "TMTM_ADMIN_USERNAME",
    "TMTM_ADMIN_PASSWORD",
];

/// The config file named by `TMTM_CONFIG`, if any.
pub(super) fn config_file(env: &EnvMap) -> Option<std::path::PathBuf> {
    env.get("TMTM_CONFIG")
        .filter(|v| !v.trim().is_empty())
        .map(std::path::PathBuf::from)
}

/// First non-empty value among `names`, with the name it came from.
fn first<'a>(env: &'a EnvMap, names: &[&'static str]) -> Option<(&'static str, &'a str)> {
    names.iter().find_map(|n| {
        env.get(*n)
            .filter(|v| !v.is_empty())
            .map(|v| (*n, v.as_str()))
    })
}

fn parse<T>(
    env: &EnvMap,
    names: &[&'static str],
    f: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, ConfigError> {
    match first(env, names) {
        Some((name, value)) => f(value).map(Some).map_err(|reason| ConfigError::Invalid {
            origin: name.to_owned(),
            reason,
        }),
        None => Ok(None),
    }
}

/// Builds the environment layer.
pub(super) fn layer(env: &EnvMap) -> Result<ConfigLayer, ConfigError> {
    if let Some(name) = env
        .keys()
        .find(|k| k.starts_with("TMTM_") && !KNOWN_TMTM_VARS.contains(&k.as_str()))
    {
        return Err(ConfigError::UnknownEnv { name: name.clone() });
    }
    let wallet_value = env.get("TMTM_WALLET_KEY").filter(|v| !v.is_empty());
    let wallet_file = env.get("TMTM_WALLET_KEY_FILE").filter(|v| !v.is_empty());
    let wallet_key = match (wallet_value, wallet_file) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::Conflict(
                "TMTM_WALLET_KEY and TMTM_WALLET_KEY_FILE are both set; set only one".into(),
            ))
        }
        (Some(v), None) => Some(WalletKeySource::Value(Secret::new(v.as_str()))),
        (None, Some(f)) => Some(WalletKeySource::File(values::path(f).map_err(
            |reason| ConfigError::Invalid {
                origin: "TMTM_WALLET_KEY_FILE".into(),
                reason,
            },
        )?)),
        (None, None) => None,
    };
    let mut database_url = parse(
        env,
        &["TMTM_DATABASE_URL", "DATABASE_URL"],
        values::database_url,
    )?;
    if database_url.is_none() {
        database_url = legacy_database_url(env)?;
    }
    let admin_password =
        first(env, &["TMTM_ADMIN_PASSWORD", "ADMIN_PASSWORD"]).map(|(_, v)| Secret::new(v));
    let int = |f: fn(i128) -> Result<u64, String>| move |s: &str| values::integer(s).and_then(f);
    Ok(ConfigLayer {
        did: parse(env, &["TMTM_DID", "AGENT_ENTITY"], values::did)?,
        listen: parse(env, &["TMTM_LISTEN"], values::listen)?,
        agent_path: parse(env, &["TMTM_AGENT_PATH"], values::agent_path)?,
        public_url: parse(env, &["TMTM_PUBLIC_URL"], values::public_url)?,
        data_dir: parse(env, &["TMTM_DATA_DIR"], values::path)?,
        database_url,
        wallet_key,
        token_lifetime_secs: parse(
            env,
            &["TMTM_TOKEN_LIFETIME_SECS"],
            int(values::token_lifetime),
        )?,
        upload_max_bytes: parse(env, &["TMTM_UPLOAD_MAX_BYTES"], int(values::upload_max))?,
        signature_policy: parse(env, &["TMTM_SIGNATURE_POLICY"], values::signature_policy)?,
        document_set: parse(env, &["TMTM_DOCUMENT_SET"], values::document_set)?,
        network_file: parse(env, &["TMTM_NETWORK_FILE"], values::path)?,
        admin_username: parse(
            env,
            &["TMTM_ADMIN_USERNAME", "ADMIN_USERNAME"],
            values::username,
        )?,
        admin_password,
    })
}

/// The original's `DATABASE_NAME/USER/PASSWORD/HOST/PORT` (PostgreSQL), used when at least
/// one is set and no URL is. Missing parts take the original's defaults (`postgres`, `db`,
/// `5432`), except the password, which has no default.
fn legacy_database_url(env: &EnvMap) -> Result<Option<DatabaseUrl>, ConfigError> {
    const PARTS: [&str; 5] = [
        "DATABASE_NAME",
        "DATABASE_USER",
        "DATABASE_PASSWORD",
        "DATABASE_HOST",
        "DATABASE_PORT",
    ];
    if !PARTS
        .iter()
        .any(|p| env.get(*p).is_some_and(|v| !v.is_empty()))
    {
        return Ok(None);
    }
    let get = |k: &str, default: &str| {
        env.get(k)
            .filter(|v| !v.is_empty())
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    };
    let port = get("DATABASE_PORT", "5432");
    if !matches!(port.parse::<u16>(), Ok(p) if p > 0) {
        return Err(ConfigError::Invalid {
            origin: "DATABASE_PORT".into(),
            reason: format!("{port:?} is not a TCP port"),
        });
    }
    let host = get("DATABASE_HOST", "db");
    if host.contains(['/', '@', '?', '#', ' ']) {
        return Err(ConfigError::Invalid {
            origin: "DATABASE_HOST".into(),
            reason: format!("{host:?} is not a host name"),
        });
    }
    let user = percent_encode(&get("DATABASE_USER", "postgres"));
    let name = percent_encode(&get("DATABASE_NAME", "postgres"));
    let userinfo = match env.get("DATABASE_PASSWORD").filter(|v| !v.is_empty()) {
        Some(pw) => format!("{user}:{}", percent_encode(pw)),
        None => user,
    };
    Ok(Some(DatabaseUrl::new(format!(
        "postgres://{userinfo}@{host}:{port}/{name}"
    ))))
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
