//! Runs the built `tmtm` binary: `init` → `identity show`, the seed vector, secrecy of the
//! wallet key, and the exit codes of wrong keys and refused overwrites.

use std::path::Path;
use std::process::{Command, Output};

const WALLET_KEY: &str = "cli-test-wallet-key-7f3a9c2e";
const SEED: &str = "0000000000000000000000000000SEED";

/// The `tmtm` binary with an empty environment (plus `extra`), run in `dir`.
fn tmtm(dir: &Path, args: &[&str], extra: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tmtm"));
    cmd.env_clear().current_dir(dir).args(args);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.output().expect("run tmtm")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn init_then_identity_show_gives_the_same_did() {
    let dir = tempfile::tempdir().unwrap();
    let key = [("TMTM_WALLET_KEY", WALLET_KEY)];
    let init = tmtm(dir.path(), &["init", "--json"], &key);
    assert!(init.status.success(), "{:?}", text(&init));
    let card = json(&init);
    let show = tmtm(dir.path(), &["identity", "show", "--json"], &key);
    assert!(show.status.success(), "{:?}", text(&show));
    assert_eq!(json(&show), card);
    assert_eq!(card["endpoint"], "http://127.0.0.1:8080/agent");
    assert!(card["did"].as_str().unwrap().len() >= 21);
    assert!(dir.path().join("tmtm-data/keystore.json").is_file());
}

#[test]
fn seed_gives_the_known_did_and_verkey() {
    let dir = tempfile::tempdir().unwrap();
    let out = tmtm(
        dir.path(),
        &[
            "init",
            "--seed",
            SEED,
            "--json",
            "--endpoint",
            "https://node.example",
        ],
        &[("TMTM_WALLET_KEY", WALLET_KEY)],
    );
    assert!(out.status.success(), "{:?}", text(&out));
    let card = json(&out);
    assert_eq!(card["did"], "VVZbGvuFqBdoVNY1Jh4j9Q");
    assert_eq!(
        card["verkey"],
        "GXhjv2jGf2oT1sqMyvJtgJxNYPMHmTsdZ3c2ZYQLJExj"
    );
    assert_eq!(card["endpoint"], "https://node.example/agent");
}

#[test]
fn wallet_key_never_appears_in_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let keyfile = dir.path().join("wallet.key");
    std::fs::write(&keyfile, format!("{WALLET_KEY}\n")).unwrap();
    let kf = keyfile.to_str().unwrap();
    let runs = [
        tmtm(dir.path(), &["init", "--wallet-key-file", kf], &[]),
        tmtm(
            dir.path(),
            &["init", "--wallet-key-file", kf, "--json"],
            &[],
        ),
        tmtm(
            dir.path(),
            &["identity", "show", "--wallet-key-file", kf],
            &[],
        ),
        tmtm(
            dir.path(),
            &["identity", "show"],
            &[("TMTM_WALLET_KEY", WALLET_KEY)],
        ),
        tmtm(
            dir.path(),
            &["identity", "show"],
            &[("TMTM_WALLET_KEY", "wrong-but-secret-key-xyz")],
        ),
        tmtm(
            dir.path(),
            &["identity", "show"],
            &[
                ("TMTM_WALLET_KEY", WALLET_KEY),
                ("TMTM_WALLET_KEY_FILE", kf),
            ],
        ),
    ];
    for out in &runs {
        let (o, e) = text(out);
        assert!(
            !o.contains(WALLET_KEY) && !e.contains(WALLET_KEY),
            "leak: {o} {e}"
        );
        assert!(!o.contains("wrong-but-secret") && !e.contains("wrong-but-secret"));
    }
    assert!(runs[0].status.success(), "{:?}", text(&runs[0]));
    assert!(
        !runs[1].status.success(),
        "second init must refuse to overwrite"
    );
    assert!(runs[2].status.success() && runs[3].status.success());
    let store = std::fs::read_to_string(dir.path().join("tmtm-data/keystore.json")).unwrap();
    assert!(!store.contains(WALLET_KEY));
}

#[test]
fn wrong_wallet_key_fails_with_the_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let ok = tmtm(dir.path(), &["init"], &[("TMTM_WALLET_KEY", WALLET_KEY)]);
    assert!(ok.status.success());
    let out = tmtm(
        dir.path(),
        &["identity", "show"],
        &[("TMTM_WALLET_KEY", "a-different-wallet-key-0000")],
    );
    assert_eq!(out.status.code(), Some(1));
    let (o, e) = text(&out);
    assert!(o.is_empty(), "{o}");
    assert!(
        e.contains("key store cannot be opened: wrong wallet key or corrupted file"),
        "{e}"
    );
    assert_eq!(e.trim_end().lines().count(), 1, "one line: {e}");
}

#[test]
fn overwrite_needs_force_and_usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let key = [("TMTM_WALLET_KEY", WALLET_KEY)];
    assert!(tmtm(dir.path(), &["init", "--seed", SEED], &key)
        .status
        .success());
    let again = tmtm(dir.path(), &["init"], &key);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again).1.contains("--force"));
    let forced = tmtm(dir.path(), &["init", "--force", "--json"], &key);
    assert!(forced.status.success());
    assert_ne!(json(&forced)["did"], "VVZbGvuFqBdoVNY1Jh4j9Q");
    let no_key = tmtm(dir.path(), &["identity", "show"], &[]);
    assert_eq!(no_key.status.code(), Some(2));
    assert!(text(&no_key).1.contains("no wallet key"));
    let bad_seed = tmtm(dir.path(), &["init", "--force", "--seed", "short"], &key);
    assert_eq!(bad_seed.status.code(), Some(2));
    let missing = tmtm(
        dir.path(),
        &["identity", "show", "--data-dir", "nowhere"],
        &key,
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing).1.contains("tmtm init"));
}

#[test]
fn truncated_key_store_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let key = [("TMTM_WALLET_KEY", WALLET_KEY)];
    assert!(tmtm(dir.path(), &["init"], &key).status.success());
    let path = dir.path().join("tmtm-data/keystore.json");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let out = tmtm(dir.path(), &["identity", "show"], &key);
    assert_eq!(out.status.code(), Some(1));
    let e = text(&out).1;
    assert!(e.starts_with("error: key store cannot be opened"), "{e}");
    assert!(!e.contains("panicked"), "{e}");
}
