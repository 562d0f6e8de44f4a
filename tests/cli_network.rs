//! Runs the built `tmtm` binary on network files: the shipped example validates and shows
//! the route; a broken file exits 2 with one line naming the problem and its line.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/network.toml")
}

fn tmtm(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tmtm"))
        .env_clear()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run tmtm")
}

#[test]
fn example_network_validates() {
    let dir = tempfile::tempdir().unwrap();
    let ex = example();
    let out = tmtm(
        dir.path(),
        &["network", "validate", "--network", ex.to_str().unwrap()],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let o = String::from_utf8_lossy(&out.stdout);
    assert!(o.contains("5 participants"), "{o}");
    assert!(o.contains("route of 5 hops"), "{o}");
}

#[test]
fn example_network_show_lists_the_route_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let ex = example();
    let out = tmtm(
        dir.path(),
        &["network", "show", "--network", ex.to_str().unwrap()],
    );
    assert!(out.status.success());
    let o = String::from_utf8_lossy(&out.stdout);
    let route = &o[o.find("Route:").expect("route section")..];
    let order = [
        "KTZ Express",
        "Port Aktau",
        "Port of Baku",
        "Azerbaijan Railways",
        "Georgian Railway",
    ];
    let positions: Vec<usize> = order.iter().map(|n| route.find(n).expect(n)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{route}");
    assert!(route.contains("+5 days"), "{route}");
    assert!(route.contains("day 11 from the start"), "{route}");
}

#[test]
fn broken_network_exits_2_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(example()).unwrap();
    let broken = text.replacen("days = 5", "days = -5", 1);
    let path = dir.path().join("network.toml");
    std::fs::write(&path, &broken).unwrap();
    // Default network file: ./network.toml
    let out = tmtm(dir.path(), &["network", "validate"]);
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    let want_line = broken[..broken.find("days = -5").unwrap()]
        .matches('\n')
        .count()
        + 1;
    assert!(e.contains(&format!("network.toml:{want_line}:")), "{e}");
    assert!(e.contains("days = -5"), "{e}");
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
}

#[test]
fn missing_network_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = tmtm(
        dir.path(),
        &["network", "validate", "--network", "absent.toml"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("absent.toml"));
}
