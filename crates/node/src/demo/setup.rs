//! Prepares the data directory of `tmtm demo`: the network file for the chosen ports, one
//! key store per organisation (from the public demo seeds), the per-node wallet keys and
//! admin passwords, and the [`NodeConfig`] of every node.
//!
//! Layout of `<data-dir>`:
//! - `network.toml`: the first N organisations of [`TMTM_DEMO`] on `127.0.0.1:<base-port + i>`;
//! - `demo-credentials.json` (0600): the generated admin password of every node;
//! - `<slug>/wallet.key` (0600): a random wallet key, beside (not inside) the node's data;
//! - `<slug>/data/`: the node's key store, SQLite database and uploads.
//!
//! **Demo only**: the wallet key sits next to the key store it protects, and the keys come
//! from public seeds. A real node keeps its wallet key elsewhere and never uses a seed.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rand_core::{OsRng, RngCore};
use serde_json::{json, Map, Value};
use tmtm_wire::keys::KeyPair;

use super::{DemoError, DemoOrg, TMTM_DEMO};
use crate::config::{ConfigLayer, NodeConfig, WalletKeySource};
use crate::endpoint::HttpUrl;
use crate::fsio;
use crate::keystore::format::KdfParams;
use crate::keystore::{CreateOptions, KeyStore};
use crate::secret::Secret;

/// The admin user name of every demo node.
pub const DEMO_USERNAME: &str = "admin";
/// The credentials file in the data directory.
pub const CREDENTIALS_FILE: &str = "demo-credentials.json";
/// The network file in the data directory.
pub const NETWORK_FILE: &str = "network.toml";

/// One prepared demo node.
#[derive(Clone, Debug)]
pub struct DemoNode {
    pub org: DemoOrg,
    pub keys_did: String,
    pub verkey: String,
    pub config: NodeConfig,
    pub username: String,
    pub password: Secret,
}

impl DemoNode {
    /// `http://127.0.0.1:<port>`.
    pub fn api_url(&self) -> String {
        self.config
            .public_url
            .as_str()
            .trim_end_matches('/')
            .to_owned()
    }
}

/// A directory-name form of an organisation name: `Port of Baku` → `port-of-baku`.
pub fn slug(organization: &str) -> String {
    let mut out = String::new();
    for c in organization.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// Removes everything a previous demo wrote in `data_dir` (and nothing else).
pub fn remove_previous(data_dir: &Path) -> Result<(), DemoError> {
    let io_err = |path: PathBuf| move |source| DemoError::Io { path, source };
    for name in [NETWORK_FILE, CREDENTIALS_FILE, super::DEMO_JSON] {
        let path = data_dir.join(name);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_err(path)(e)),
            _ => {}
        }
    }
    for org in TMTM_DEMO {
        let path = data_dir.join(slug(org.organization));
        match fs::remove_dir_all(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_err(path)(e)),
            _ => {}
        }
    }
    Ok(())
}

/// The network file for the first `count` organisations on `base_port + i`.
pub fn network_toml(count: usize, base_port: u16) -> String {
    let mut text = String::from(
        "# Written by `tmtm demo`. DEMO ONLY: every key comes from a public seed.\n\
         name = \"TMTM demo (Trans-Caspian International Transport Route)\"\n\n\
         [consensus]\ndialect = \"1.0.25\"\n",
    );
    let orgs = TMTM_DEMO.iter().take(count);
    for (i, org) in orgs.clone().enumerate() {
        let keys = KeyPair::from_seed(org.seed);
        let port = port_of(base_port, i);
        let _ = write!(
            text,
            "\n[[participants]]\ndid = {}\nverkey = {}\nendpoint = {}\nlabel = {}\n\
             organization = {}\nlogo = {}\n",
            quote(keys.did().as_str()),
            quote(&keys.verkey().to_base58()),
            quote(&format!("http://127.0.0.1:{port}/agent")),
            quote(org.label),
            quote(org.organization),
            quote(org.logo),
        );
    }
    for org in orgs {
        let did = KeyPair::from_seed(org.seed).did();
        let _ = write!(text, "\n[[route]]\ndid = {}\n", quote(did.as_str()));
        if let Some(days) = org.days {
            let _ = writeln!(text, "days = {days}");
        }
    }
    text
}

/// The port of the `i`-th node (saturating; the caller checks the range).
pub fn port_of(base_port: u16, i: usize) -> u16 {
    base_port.saturating_add(u16::try_from(i).unwrap_or(u16::MAX))
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// Reads the stored passwords, or creates them (0600) for the organisations missing.
fn credentials(data_dir: &Path, count: usize) -> Result<Map<String, Value>, DemoError> {
    let path = data_dir.join(CREDENTIALS_FILE);
    let mut stored = match fs::read_to_string(&path) {
        Ok(text) => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(m)) => m,
            _ => return Err(DemoError::Corrupt { path }),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Map::new(),
        Err(source) => return Err(DemoError::Io { path, source }),
    };
    let mut changed = false;
    for org in TMTM_DEMO.iter().take(count) {
        let key = slug(org.organization);
        let valid = stored
            .get(&key)
            .and_then(|v| v.get("password"))
            .and_then(Value::as_str)
            .is_some_and(|p| !p.is_empty());
        if !valid {
            let entry = json!({"username": DEMO_USERNAME, "password": random_hex(12)});
            stored.insert(key, entry);
            changed = true;
        }
    }
    if changed {
        let text = serde_json::to_string_pretty(&Value::Object(stored.clone()))
            .map_err(|_| DemoError::Corrupt { path: path.clone() })?;
        fsio::write_private_atomic(&path, text.as_bytes(), true)
            .map_err(|source| DemoError::Io { path, source })?;
    }
    Ok(stored)
}

/// Reads `<dir>/wallet.key`, or creates it with a random key (0600).
fn wallet_key_file(dir: &Path) -> Result<PathBuf, DemoError> {
    let path = dir.join("wallet.key");
    if !path.is_file() {
        fsio::write_private_atomic(&path, random_hex(24).as_bytes(), false).map_err(|source| {
            DemoError::Io {
                path: path.clone(),
                source,
            }
        })?;
    }
    Ok(path)
}

/// The configuration of the `i`-th node.
fn node_config(
    data_dir: &Path,
    org: &DemoOrg,
    port: u16,
    username: &str,
    password: &Secret,
) -> Result<NodeConfig, DemoError> {
    let org_dir = data_dir.join(slug(org.organization));
    fsio::create_private_dir(&org_dir).map_err(|source| DemoError::Io {
        path: org_dir.clone(),
        source,
    })?;
    let key_file = wallet_key_file(&org_dir)?;
    let listen = format!("127.0.0.1:{port}")
        .parse()
        .map_err(|_| DemoError::Ports(format!("bad port {port}")))?;
    let public_url = HttpUrl::parse_base(&format!("http://127.0.0.1:{port}"))
        .map_err(|e| DemoError::Ports(e.to_string()))?;
    let layer = ConfigLayer {
        listen: Some(listen),
        public_url: Some(public_url),
        data_dir: Some(org_dir.join("data")),
        wallet_key: Some(WalletKeySource::File(key_file)),
        network_file: Some(data_dir.join(NETWORK_FILE)),
        admin_username: Some(username.to_owned()),
        admin_password: Some(password.clone()),
        document_set: Some(org.document_set),
        ..ConfigLayer::default()
    };
    Ok(NodeConfig::resolve(layer, None, data_dir)?)
}

/// Creates the node's key store from its demo seed when it is missing. The KDF is the
/// cheapest allowed: the seed is public, so the wallet key protects nothing anyway.
fn ensure_keystore(config: &NodeConfig, org: &DemoOrg) -> Result<(), DemoError> {
    let path = config.keystore_path();
    if path.is_file() {
        return Ok(());
    }
    let wallet_key = config.wallet_key()?;
    let options = CreateOptions {
        overwrite: false,
        kdf: KdfParams {
            memory_kib: KdfParams::MIN_MEMORY_KIB,
            iterations: 1,
            parallelism: 1,
        },
    };
    let keys = KeyPair::from_seed(org.seed);
    KeyStore::create(&path, &wallet_key, &keys, options, &mut OsRng)?;
    Ok(())
}

/// Prepares `data_dir` for `count` nodes from `base_port` and returns them in route order.
pub fn prepare(data_dir: &Path, count: usize, base_port: u16) -> Result<Vec<DemoNode>, DemoError> {
    fsio::create_private_dir(data_dir).map_err(|source| DemoError::Io {
        path: data_dir.to_owned(),
        source,
    })?;
    let network = data_dir.join(NETWORK_FILE);
    fsio::write_private_atomic(&network, network_toml(count, base_port).as_bytes(), true).map_err(
        |source| DemoError::Io {
            path: network,
            source,
        },
    )?;
    let creds = credentials(data_dir, count)?;
    let mut nodes = Vec::with_capacity(count);
    for (i, org) in TMTM_DEMO.iter().take(count).enumerate() {
        let entry = creds.get(&slug(org.organization));
        let field = |name: &str| entry.and_then(|e| e.get(name)).and_then(Value::as_str);
        let username = field("username").unwrap_or(DEMO_USERNAME).to_owned();
        let password = Secret::new(field("password").unwrap_or_default());
        let config = node_config(data_dir, org, port_of(base_port, i), &username, &password)?;
        ensure_keystore(&config, org)?;
        let keys = KeyPair::from_seed(org.seed);
        nodes.push(DemoNode {
            org: *org,
            keys_did: keys.did().as_str().to_owned(),
            verkey: keys.verkey().to_base58(),
            config,
            username,
            password,
        });
    }
    Ok(nodes)
}
