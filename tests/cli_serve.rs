//! Runs the built `tmtm serve`: it refuses to start with one clear line and exit code 1 when
//! the key store cannot be opened (missing, wrong wallet key); with a valid key store it
//! serves `/healthz`, `/readyz` and the DIDComm endpoint, and stops on SIGTERM.

use std::io::Read;

use base64::Engine;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const WALLET_KEY: &str = "cli-serve-wallet-key-7f3a9c2e";
const ADMIN_PASSWORD: &str = "cli-serve-admin-password-5d1e";
/// The first demo seed (public, tests only); the example network lists its DID.
const SEED: &str = "tmtm-demo-only-ktz-express-00001";

fn example_network() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/network.toml")
}

fn tmtm(dir: &Path, args: &[&str], extra: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tmtm"));
    cmd.env_clear().current_dir(dir).args(args);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run tmtm")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn init(dir: &Path) {
    let out = run(&mut tmtm(
        dir,
        &["init", "--seed", SEED],
        &[("TMTM_WALLET_KEY", WALLET_KEY)],
    ));
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn serve_without_a_key_store_exits_1_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let network = example_network();
    let out = run(&mut tmtm(
        dir.path(),
        &["serve", "--network", network.to_str().unwrap()],
        &[("TMTM_WALLET_KEY", WALLET_KEY)],
    ));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.starts_with("error: cannot open the key store"), "{err}");
    assert!(err.contains("tmtm init"), "{err}");
}

#[test]
fn serve_with_a_wrong_wallet_key_exits_1_without_showing_the_key() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let network = example_network();
    let wrong = "a-wrong-wallet-key-but-long-enough";
    let out = run(&mut tmtm(
        dir.path(),
        &["serve", "--network", network.to_str().unwrap()],
        &[("TMTM_WALLET_KEY", wrong)],
    ));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("wrong wallet key"), "{err}");
    assert!(!err.contains(wrong) && !err.contains(WALLET_KEY), "{err}");
}

fn get(addr: &str, path: &str) -> Option<(u16, String)> {
    get_with(addr, path, "")
}

/// `GET path` with extra header lines (each ending in `\r\n`).
fn get_with(addr: &str, path: &str, headers: &str) -> Option<(u16, String)> {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    Some((status, body))
}

#[cfg(unix)]
#[test]
fn serve_answers_health_checks_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let network = example_network();
    let mut child = tmtm(
        dir.path(),
        &["serve", "--network", network.to_str().unwrap()],
        &[
            ("TMTM_WALLET_KEY", WALLET_KEY),
            ("TMTM_LISTEN", &addr),
            ("ADMIN_USERNAME", "admin"),
            ("ADMIN_PASSWORD", ADMIN_PASSWORD),
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let health = loop {
        if let Some(r) = get(&addr, "/healthz") {
            break r;
        }
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            let mut err = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            panic!("serve did not come up: {err}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(health, (200, "ok".to_owned()));
    assert_eq!(get(&addr, "/readyz").map(|r| r.0), Some(200));
    // The DIDComm endpoint is there: a non-envelope is refused, not 404.
    assert_eq!(get(&addr, "/agent").map(|r| r.0), Some(405));
    assert!(dir.path().join("tmtm-data/tmtm.sqlite3").is_file());
    // The REST API is mounted; the configured admin was created at start-up.
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("admin:{ADMIN_PASSWORD}"));
    let (status, body) = get_with(
        &addr,
        "/ledgers/",
        &format!("Authorization: Basic {basic}\r\n"),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let body: serde_json::Value = serde_json::from_str(body.trim()).unwrap_or_default();
    assert_eq!(body["count"], serde_json::json!(0), "{body}");
    assert_eq!(get(&addr, "/ledgers/").map(|r| r.0), Some(401));
    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "exit status {status:?}");
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        err.contains("node serving") && err.contains("stopped"),
        "{err}"
    );
    assert!(
        !err.contains(WALLET_KEY),
        "the wallet key must never be logged"
    );
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    for text in [&err, &out] {
        assert!(
            !text.contains(ADMIN_PASSWORD),
            "the admin password must never be printed"
        );
    }
}
