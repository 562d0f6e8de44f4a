//! Every command of the built `tmtm` has `--help` with a one-line description and at least
//! one example, and a usage error is one line plus clap's hint with exit code 2.

use std::process::Command;

const COMMANDS: &[&[&str]] = &[
    &["init"],
    &["identity", "show"],
    &["network", "show"],
    &["network", "validate"],
    &["network", "check"],
    &["serve"],
    &["demo"],
    &["user", "add"],
    &["user", "list"],
    &["user", "passwd"],
    &["user", "disable"],
    &["user", "enable"],
    &["tx", "issue"],
    &["ledger", "list"],
    &["ledger", "show"],
    &["ledger", "export"],
];

fn tmtm(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tmtm"))
        .env_clear()
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn every_command_has_help_with_a_description_and_an_example() {
    for cmd in COMMANDS {
        let mut args = cmd.to_vec();
        args.push("--help");
        let out = tmtm(&args);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{cmd:?}");
        let first = text.lines().next().unwrap_or("");
        assert!(first.len() > 10, "{cmd:?}: {first}");
        assert!(text.contains("Example"), "{cmd:?} has no example:\n{text}");
    }
    let top = tmtm(&["--help"]);
    let text = String::from_utf8_lossy(&top.stdout);
    for group in ["user", "tx", "ledger", "network"] {
        assert!(
            text.contains(&format!("  {group} ")),
            "{group} missing:\n{text}"
        );
    }
    assert!(text.contains("4 network check"), "{text}");
}

#[test]
fn a_bad_flag_is_a_usage_error_with_exit_code_2() {
    let out = tmtm(&["ledger", "export"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: "), "{err}");
    let out = tmtm(&[
        "tx",
        "issue",
        "x.json",
        "--url",
        "not a url",
        "--token",
        "t",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}
