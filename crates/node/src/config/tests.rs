//! Tests of the configuration layers and of every validation rule; each asserts that the
//! message names the key (with its line) or the variable.

use std::fs;
use std::path::{Path, PathBuf};

use super::*;

fn env(pairs: &[(&str, &str)]) -> EnvMap {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn file_err(text: &str) -> String {
    NodeConfig::from_toml(text, Path::new("/etc/tmtm/tmtm.toml"))
        .expect_err("should be rejected")
        .to_string()
}

fn env_err(pairs: &[(&str, &str)]) -> String {
    NodeConfig::load(
        &CliOverrides::default(),
        &env(pairs),
        Path::new("/nonexistent-cwd"),
    )
    .expect_err("should be rejected")
    .to_string()
}

fn load_env(pairs: &[(&str, &str)]) -> NodeConfig {
    NodeConfig::load(&CliOverrides::default(), &env(pairs), Path::new("/srv")).unwrap()
}

#[test]
fn defaults() {
    let c = load_env(&[]);
    assert_eq!(c.config_file, None);
    assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.agent_path, "/agent");
    assert_eq!(c.public_url.as_str(), "http://127.0.0.1:8080");
    assert_eq!(c.agent_endpoint(), "http://127.0.0.1:8080/agent");
    assert_eq!(c.data_dir, PathBuf::from("/srv/tmtm-data"));
    assert_eq!(
        c.database_url.expose(),
        "sqlite:///srv/tmtm-data/tmtm.sqlite3"
    );
    assert_eq!(c.token_lifetime_secs, 3600);
    assert_eq!(c.upload_max_bytes, 25 * 1024 * 1024);
    assert_eq!(c.signature_policy, SignaturePolicy::Strict);
    assert_eq!(c.document_set, DocumentSet::Rail);
    assert_eq!(c.network_file, PathBuf::from("/srv/network.toml"));
    assert_eq!(
        c.keystore_path(),
        PathBuf::from("/srv/tmtm-data/keystore.json")
    );
    assert!(c.wallet_key.is_none());
    assert!(matches!(c.wallet_key(), Err(ConfigError::NoWalletKey)));
}

const FULL: &str = r#"
did = "VVZbGvuFqBdoVNY1Jh4j9Q"
listen = "0.0.0.0:9000"
agent_path = "/didcomm"
public_url = "https://ktz.example.com/"
data_dir = "data"
database_url = "postgres://tmtm:pw-in-file@db/tmtm"
wallet_key_file = "/run/secrets/wallet"
token_lifetime_secs = 600
upload_max_bytes = 1048576
signature_policy = "legacy"
document_set = "sea"
network_file = "net/network.toml"
admin_username = "admin"
"#;

#[test]
fn file_values_and_relative_paths() {
    let c = NodeConfig::from_toml(FULL, Path::new("/etc/tmtm/tmtm.toml")).unwrap();
    assert_eq!(
        c.did.as_ref().map(|d| d.as_str()),
        Some("VVZbGvuFqBdoVNY1Jh4j9Q")
    );
    assert_eq!(c.listen.to_string(), "0.0.0.0:9000");
    assert_eq!(c.agent_endpoint(), "https://ktz.example.com/didcomm");
    assert_eq!(c.data_dir, PathBuf::from("/etc/tmtm/data"));
    assert_eq!(c.network_file, PathBuf::from("/etc/tmtm/net/network.toml"));
    assert!(
        matches!(&c.wallet_key, Some(WalletKeySource::File(p)) if p == Path::new("/run/secrets/wallet"))
    );
    assert_eq!(c.token_lifetime_secs, 600);
    assert_eq!(c.upload_max_bytes, 1048576);
    assert_eq!(c.signature_policy, SignaturePolicy::Legacy);
    assert_eq!(c.document_set, DocumentSet::Sea);
    assert_eq!(c.admin_username.as_deref(), Some("admin"));
}

#[test]
fn layering_defaults_file_env_cli() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("tmtm.toml");
    fs::write(
        &cfg,
        "listen = \"127.0.0.1:7000\"\ndata_dir = \"from-file\"\nagent_path = \"/a\"\n\
         document_set = \"rail\"\n",
    )
    .unwrap();
    let e = env(&[
        ("TMTM_CONFIG", cfg.to_str().unwrap()),
        ("TMTM_DATA_DIR", "/from-env"),
        ("TMTM_PUBLIC_URL", "http://env.example"),
        ("TMTM_DOCUMENT_SET", "sea"),
    ]);
    let c = NodeConfig::load(&CliOverrides::default(), &e, dir.path()).unwrap();
    assert_eq!(c.document_set, DocumentSet::Sea, "env over file");
    assert_eq!(c.config_file.as_deref(), Some(cfg.as_path()));
    assert_eq!(c.listen.to_string(), "127.0.0.1:7000", "file over default");
    assert_eq!(c.agent_path, "/a");
    assert_eq!(c.data_dir, PathBuf::from("/from-env"), "env over file");
    let cli = CliOverrides {
        data_dir: Some("/from-cli".into()),
        public_url: Some("http://cli.example:1".into()),
        ..CliOverrides::default()
    };
    let c = NodeConfig::load(&cli, &e, dir.path()).unwrap();
    assert_eq!(c.data_dir, PathBuf::from("/from-cli"), "cli over env");
    assert_eq!(c.agent_endpoint(), "http://cli.example:1/a");
}

#[test]
fn tmtm_toml_in_the_working_directory_is_found() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("tmtm.toml"), "agent_path = \"/found\"\n").unwrap();
    let c = NodeConfig::load(&CliOverrides::default(), &env(&[]), dir.path()).unwrap();
    assert_eq!(c.agent_path, "/found");
}

#[test]
fn named_config_file_must_exist() {
    let cli = CliOverrides {
        config_file: Some("/nonexistent/tmtm.toml".into()),
        ..CliOverrides::default()
    };
    let e = NodeConfig::load(&cli, &env(&[]), Path::new("/")).unwrap_err();
    assert!(matches!(e, ConfigError::FileNotFound { .. }));
    assert!(e.to_string().contains("/nonexistent/tmtm.toml"), "{e}");
}

#[test]
fn unknown_file_key_is_named_with_its_line() {
    let m = file_err("listen = \"127.0.0.1:1\"\nlisten_adress = \"x\"\n");
    assert!(m.contains("listen_adress"), "{m}");
    assert!(m.starts_with("/etc/tmtm/tmtm.toml:2"), "{m}");
}

#[test]
fn wallet_key_itself_is_not_allowed_in_the_file() {
    let m = file_err("wallet_key = \"oops\"\n");
    assert!(m.contains("wallet_key"), "{m}");
    assert!(!m.contains("oops"), "{m}");
}

#[test]
fn bad_file_values_name_key_and_line() {
    let cases: &[(&str, &str, &str)] = &[
        ("did = \"not-a-did!\"", "did", "not a DID"),
        ("did = \"3mJr7AoUXx2Wqd\"", "did", "16 bytes"),
        ("listen = \"localhost\"", "listen", "IP:port"),
        ("agent_path = \"agent\"", "agent_path", "URL path"),
        ("agent_path = \"/\"", "agent_path", "URL path"),
        ("public_url = \"ktz.example.com\"", "public_url", "http://"),
        ("public_url = \"http://h/?q=1\"", "public_url", "query"),
        (
            "database_url = \"mysql://u:secretpw@h/db\"",
            "database_url",
            "sqlite: or postgres://",
        ),
        (
            "token_lifetime_secs = -5",
            "token_lifetime_secs",
            "outside 60..=",
        ),
        (
            "token_lifetime_secs = 99999999",
            "token_lifetime_secs",
            "outside",
        ),
        (
            "upload_max_bytes = 0",
            "upload_max_bytes",
            "outside 1024..=",
        ),
        ("signature_policy = \"lax\"", "signature_policy", "strict"),
        (
            "document_set = \"air\"",
            "document_set",
            "neither \"rail\" nor \"sea\"",
        ),
        ("data_dir = \" \"", "data_dir", "empty"),
        ("admin_username = \"\"", "admin_username", "user name"),
    ];
    for (line, key, problem) in cases {
        let m = file_err(&format!("# comment\n{line}\n"));
        assert!(
            m.starts_with(&format!("/etc/tmtm/tmtm.toml:2: {key}:")),
            "{line} -> {m}"
        );
        assert!(m.contains(problem), "{line} -> {m}");
        assert!(!m.contains("secretpw"), "{m}");
    }
}

#[test]
fn wrong_type_in_file_has_a_line() {
    let m = file_err("\n\ntoken_lifetime_secs = \"ten\"\n");
    assert!(m.starts_with("/etc/tmtm/tmtm.toml:3"), "{m}");
}

#[test]
fn bad_env_values_name_the_variable() {
    let cases: &[(&str, &str, &str)] = &[
        ("TMTM_LISTEN", "nowhere", "IP:port"),
        ("TMTM_DID", "xyz", "not a DID"),
        ("AGENT_ENTITY", "xyz", "not a DID"),
        ("TMTM_AGENT_PATH", "no-slash", "URL path"),
        ("TMTM_PUBLIC_URL", "ftp://x", "http://"),
        ("TMTM_DATABASE_URL", "redis://x", "postgres"),
        ("DATABASE_URL", "redis://x", "postgres"),
        ("TMTM_TOKEN_LIFETIME_SECS", "soon", "whole number"),
        ("TMTM_TOKEN_LIFETIME_SECS", "5", "outside"),
        ("TMTM_UPLOAD_MAX_BYTES", "-1", "outside"),
        ("TMTM_SIGNATURE_POLICY", "none", "strict"),
        ("TMTM_DOCUMENT_SET", "Sea", "neither \"rail\" nor \"sea\""),
        ("DATABASE_PORT", "http", "TCP port"),
        ("DATABASE_HOST", "a/b", "host name"),
    ];
    for (var, value, problem) in cases {
        let m = env_err(&[(var, value)]);
        assert!(m.starts_with(&format!("{var}: ")), "{var} -> {m}");
        assert!(m.contains(problem), "{var} -> {m}");
    }
}

#[test]
fn unknown_tmtm_variable_is_refused() {
    let m = env_err(&[("TMTM_DATADIR", "/x")]);
    assert!(
        m.contains("unknown environment variable TMTM_DATADIR"),
        "{m}"
    );
    // Other variables are none of our business.
    load_env(&[("HOME", "/root"), ("PATH_INDEX", "1")]);
}

#[test]
fn wallet_key_sources() {
    let c = load_env(&[("TMTM_WALLET_KEY", "env-secret-0123456789")]);
    assert_eq!(c.wallet_key().unwrap().expose(), "env-secret-0123456789");
    let m = env_err(&[("TMTM_WALLET_KEY", "a"), ("TMTM_WALLET_KEY_FILE", "/k")]);
    assert!(m.contains("both set"), "{m}");
    assert!(!m.contains("=a"), "{m}");
    // The command line's key file beats the environment's key value.
    let cli = CliOverrides {
        wallet_key_file: Some("/run/k".into()),
        ..CliOverrides::default()
    };
    let c = NodeConfig::load(&cli, &env(&[("TMTM_WALLET_KEY", "zz")]), Path::new("/")).unwrap();
    assert!(matches!(&c.wallet_key, Some(WalletKeySource::File(p)) if p == Path::new("/run/k")));
}

#[test]
fn wallet_key_file_rules() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::create_dir(&data).unwrap();
    let outside = dir.path().join("wallet.key");
    fs::write(&outside, "file-secret-0123456789\n").unwrap();
    let mk = |p: &Path| {
        let cli = CliOverrides {
            wallet_key_file: Some(p.to_owned()),
            data_dir: Some(data.clone()),
            ..CliOverrides::default()
        };
        NodeConfig::load(&cli, &env(&[]), dir.path()).unwrap()
    };
    assert_eq!(
        mk(&outside).wallet_key().unwrap().expose(),
        "file-secret-0123456789"
    );
    let inside = data.join("wallet.key");
    fs::write(&inside, "x-secret-0123456789").unwrap();
    let e = mk(&inside).wallet_key().unwrap_err();
    assert!(
        matches!(e, ConfigError::WalletKeyBesideKeyStore { .. }),
        "{e}"
    );
    assert!(e.to_string().contains("inside the data directory"), "{e}");
    let empty = dir.path().join("empty.key");
    fs::write(&empty, "\n").unwrap();
    let e = mk(&empty).wallet_key().unwrap_err();
    assert!(e.to_string().contains("is empty"), "{e}");
    let e = mk(&dir.path().join("missing.key"))
        .wallet_key()
        .unwrap_err();
    assert!(matches!(e, ConfigError::WalletKeyFile { .. }), "{e}");
    let big = dir.path().join("big.key");
    fs::write(&big, vec![b'a'; 5000]).unwrap();
    let e = mk(&big).wallet_key().unwrap_err();
    assert!(
        matches!(e, ConfigError::WalletKeyFileTooLarge { .. }),
        "{e}"
    );
}

#[test]
fn original_environment_names() {
    let c = load_env(&[
        ("AGENT_ENTITY", "VVZbGvuFqBdoVNY1Jh4j9Q"),
        ("ADMIN_USERNAME", "root"),
        ("ADMIN_PASSWORD", "admin-pass-xyz"),
        ("DATABASE_URL", "postgres://u@h/d"),
    ]);
    assert_eq!(
        c.did.as_ref().map(|d| d.as_str()),
        Some("VVZbGvuFqBdoVNY1Jh4j9Q")
    );
    assert_eq!(c.admin_username.as_deref(), Some("root"));
    assert_eq!(
        c.admin_password.as_ref().map(|p| p.expose()),
        Some("admin-pass-xyz")
    );
    assert_eq!(c.database_url.expose(), "postgres://u@h/d");
    // TMTM_* wins over the original's name.
    let c = load_env(&[
        ("DATABASE_URL", "postgres://old/d"),
        ("TMTM_DATABASE_URL", "postgres://new/d"),
        ("ADMIN_USERNAME", "old"),
        ("TMTM_ADMIN_USERNAME", "new"),
    ]);
    assert_eq!(c.database_url.expose(), "postgres://new/d");
    assert_eq!(c.admin_username.as_deref(), Some("new"));
}

#[test]
fn legacy_database_parts_build_a_postgres_url() {
    let c = load_env(&[
        ("DATABASE_HOST", "db_apps"),
        ("DATABASE_USER", "tmtm"),
        ("DATABASE_PASSWORD", "p@ss:w/rd"),
    ]);
    assert_eq!(
        c.database_url.expose(),
        "postgres://tmtm:p%40ss%3Aw%2Frd@db_apps:5432/postgres"
    );
    assert_eq!(
        c.database_url.to_string(),
        "postgres://tmtm:***@db_apps:5432/postgres"
    );
    // No default password.
    let c = load_env(&[("DATABASE_NAME", "tmtm")]);
    assert_eq!(c.database_url.expose(), "postgres://postgres@db:5432/tmtm");
    // A URL beats the parts.
    let c = load_env(&[("DATABASE_HOST", "x"), ("DATABASE_URL", "sqlite://a.db")]);
    assert_eq!(c.database_url.expose(), "sqlite://a.db");
}

#[test]
fn unspecified_listen_needs_public_url() {
    let m = env_err(&[("TMTM_LISTEN", "0.0.0.0:8080")]);
    assert!(m.contains("public_url must be set"), "{m}");
    let c = load_env(&[
        ("TMTM_LISTEN", "0.0.0.0:8080"),
        ("TMTM_PUBLIC_URL", "https://n.example"),
    ]);
    assert_eq!(c.agent_endpoint(), "https://n.example/agent");
}

#[test]
fn admin_password_needs_a_user() {
    let m = env_err(&[("ADMIN_PASSWORD", "pw-123456")]);
    assert!(m.contains("no admin user name"), "{m}");
    assert!(!m.contains("pw-123456"), "{m}");
}

#[test]
fn debug_never_shows_secrets() {
    let c = load_env(&[
        ("TMTM_WALLET_KEY", "wallet-secret-zz9"),
        ("ADMIN_USERNAME", "root"),
        ("ADMIN_PASSWORD", "admin-secret-zz9"),
        ("DATABASE_URL", "postgres://u:db-secret-zz9@h/d"),
    ]);
    let dbg = format!("{c:?}");
    for s in ["wallet-secret-zz9", "admin-secret-zz9", "db-secret-zz9"] {
        assert!(!dbg.contains(s), "{s} leaked in {dbg}");
    }
    assert!(dbg.contains("[redacted]"));
}
