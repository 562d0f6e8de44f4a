//! Runs the built `tmtm user add|list|passwd|disable|enable` against a node's SQLite database
//! in a temporary data directory, and checks the outcome through the node's own password
//! check: exit codes and one-line messages for a duplicate user, a wrong role, a short
//! password, an unknown user, a missing config file and a data directory without a node.
//! With `TMTM_TEST_DATABASE_URL` set (CI does), the commands also run against a fresh
//! PostgreSQL database.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use tmtm_node::api::users::{check_password, CheckError};
use tmtm_node::storage::{Database, StorageOptions};

const WALLET_KEY: &str = "cli-user-wallet-key-0b8e77d1";
const SEED: &str = "tmtm-demo-only-ktz-express-00001";

/// `tmtm ARGS` in `dir` with a clean environment, `stdin` piped in.
fn tmtm(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tmtm"))
        .env_clear()
        .env("TMTM_WALLET_KEY", WALLET_KEY)
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tmtm");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A node directory: `tmtm.toml` naming `data/`, and a key store there.
fn node_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tmtm.toml"), "data_dir = \"data\"\n").unwrap();
    let out = tmtm(dir.path(), &["init", "--seed", SEED], "");
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

fn assert_fails(out: &Output, code: i32, text: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(text), "expected {text:?} in {err}");
}

fn check(dir: &Path, user: &str, password: &str) -> Result<(), CheckError> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let path = dir.join("data/tmtm.sqlite3");
        let db = Database::open_sqlite_file(&path, &StorageOptions::default())
            .await
            .unwrap();
        let result = check_password(&db, user, password).await.map(|_| ());
        db.close().await;
        result
    })
}

#[test]
fn user_add_list_passwd_disable_enable_work_on_the_database() {
    let dir = node_dir();
    let d = dir.path();
    let out = tmtm(
        d,
        &["user", "add", "anna", "--role", "admin", "--password-stdin"],
        "first-pass-1234\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Added user anna (admin)"),
        "{}",
        stdout(&out)
    );
    let out = tmtm(
        d,
        &["user", "add", "erp", "--password-stdin"],
        "erp-pass-5678\r\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(check(d, "anna", "first-pass-1234").is_ok());
    assert!(check(d, "erp", "erp-pass-5678").is_ok(), "CRLF is stripped");

    let out = tmtm(d, &["user", "list"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["USERNAME", "ROLE", "STATUS"]
    );
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["anna", "admin", "active"]
    );
    assert_eq!(
        lines[2].split_whitespace().collect::<Vec<_>>(),
        ["erp", "user", "active"]
    );
    assert!(!text.contains("argon2"), "no hashes in the listing");

    let out = tmtm(
        d,
        &["user", "passwd", "anna", "--password-stdin"],
        "second-pass-9999\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(matches!(
        check(d, "anna", "first-pass-1234"),
        Err(CheckError::Invalid)
    ));
    assert!(check(d, "anna", "second-pass-9999").is_ok());

    let out = tmtm(d, &["user", "disable", "anna"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(matches!(
        check(d, "anna", "second-pass-9999"),
        Err(CheckError::Disabled)
    ));
    let out = tmtm(d, &["user", "list", "--json"], "");
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["username"], "anna");
    assert_eq!(list[0]["disabled"], true);
    assert_eq!(list[1]["disabled"], false);

    let out = tmtm(d, &["user", "enable", "anna"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(check(d, "anna", "second-pass-9999").is_ok());
}

#[test]
fn user_errors_have_exit_codes_and_one_clear_line() {
    let dir = node_dir();
    let d = dir.path();
    let ok = tmtm(
        d,
        &["user", "add", "anna", "--password-stdin"],
        "first-pass-1234\n",
    );
    assert!(ok.status.success(), "{}", stderr(&ok));

    let dup = tmtm(
        d,
        &["user", "add", "anna", "--password-stdin"],
        "other-pass-1234\n",
    );
    assert_fails(&dup, 3, "user \"anna\" already exists");
    assert!(check(d, "anna", "first-pass-1234").is_ok(), "unchanged");

    let role = tmtm(
        d,
        &["user", "add", "bob", "--role", "boss", "--password-stdin"],
        "bob-pass-12345\n",
    );
    assert_eq!(role.status.code(), Some(2), "{}", stderr(&role));
    assert!(
        stderr(&role).contains("invalid value 'boss'"),
        "{}",
        stderr(&role)
    );

    let short = tmtm(d, &["user", "add", "bob", "--password-stdin"], "short\n");
    assert_fails(&short, 2, "at least 8 characters");
    let empty = tmtm(d, &["user", "add", "bob", "--password-stdin"], "");
    assert_fails(&empty, 2, "empty password");
    let no_password = tmtm(d, &["user", "add", "bob"], "");
    assert_fails(&no_password, 2, "no password given");
    assert!(matches!(
        check(d, "bob", "bob-pass-12345"),
        Err(CheckError::Invalid)
    ));

    let ghost = tmtm(
        d,
        &["user", "passwd", "ghost", "--password-stdin"],
        "ghost-pass-1234\n",
    );
    assert_fails(&ghost, 3, "no user \"ghost\"");
    let ghost = tmtm(d, &["user", "disable", "ghost"], "");
    assert_fails(&ghost, 3, "no user \"ghost\"");

    let missing = tmtm(d, &["user", "list", "--config", "missing.toml"], "");
    assert_fails(&missing, 2, "missing.toml");

    let elsewhere = tempfile::tempdir().unwrap();
    let empty_dir = tmtm(
        elsewhere.path(),
        &["user", "list", "--data-dir", "nothing-here"],
        "",
    );
    assert_fails(&empty_dir, 2, "no tmtm node in data directory");
    assert!(!elsewhere.path().join("nothing-here/tmtm.sqlite3").exists());
}

#[test]
fn every_user_command_has_help_with_an_example() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in ["add", "list", "passwd", "disable", "enable"] {
        let out = tmtm(dir.path(), &["user", cmd, "--help"], "");
        assert!(out.status.success());
        let text = stdout(&out);
        assert!(text.contains("Example"), "{cmd}: {text}");
    }
}

/// A fresh PostgreSQL database next to the one `TMTM_TEST_DATABASE_URL` names; dropped after.
struct PgDatabase {
    base: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn create(base: &str) -> PgDatabase {
        use rand_core::RngCore as _;
        use sqlx::Connection as _;
        let name = format!("tmtm_cli_user_{:016x}", rand_core::OsRng.next_u64());
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let mut conn = sqlx::PgConnection::connect(base)
                .await
                .unwrap_or_else(|e| panic!("TMTM_TEST_DATABASE_URL is set but unusable: {e}"));
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
        });
        let (prefix, _) = base.rsplit_once('/').expect("a database URL with a path");
        PgDatabase {
            base: base.to_owned(),
            url: format!("{prefix}/{name}"),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        use sqlx::Connection as _;
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            if let Ok(mut conn) = sqlx::PgConnection::connect(&self.base).await {
                let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
                let _ = sqlx::query(&sql).execute(&mut conn).await;
            }
        });
    }
}

#[test]
fn user_commands_work_on_postgresql_when_requested() {
    let Some(base) = std::env::var("TMTM_TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        eprintln!("cli_user: PostgreSQL run not requested (TMTM_TEST_DATABASE_URL is not set)");
        return;
    };
    let pg = PgDatabase::create(&base);
    let dir = tempfile::tempdir().unwrap();
    let config = format!("data_dir = \"data\"\ndatabase_url = \"{}\"\n", pg.url);
    std::fs::write(dir.path().join("tmtm.toml"), config).unwrap();
    let d = dir.path();
    let out = tmtm(
        d,
        &[
            "user",
            "add",
            "pgadmin",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "pg-pass-12345\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let dup = tmtm(
        d,
        &["user", "add", "pgadmin", "--password-stdin"],
        "pg-pass-12345\n",
    );
    assert_fails(&dup, 3, "already exists");
    let out = tmtm(d, &["user", "disable", "pgadmin"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let out = tmtm(d, &["user", "list", "--json"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["username"], "pgadmin");
    assert_eq!(list[0]["role"], "admin");
    assert_eq!(list[0]["disabled"], true);
    assert!(
        !d.join("data/tmtm.sqlite3").exists(),
        "nothing written to SQLite"
    );
}
