//! Smoke test of the bench binary: `tmtm-bench --quick` completes and prints every table
//! with sane numbers (every round committed, more than 0 txns/s). Not a timing assertion.

use std::process::Command;

/// Data rows (not header or separator) of the table whose title starts with `title`.
fn rows<'a>(out: &'a str, title: &str) -> Vec<Vec<&'a str>> {
    let mut lines = out
        .lines()
        .skip_while(|l| !l.starts_with(&format!("### {title}")));
    let _title = lines.next();
    lines
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| l.trim_matches('|').split('|').map(str::trim).collect())
        .collect()
}

fn num(cell: &str) -> f64 {
    cell.parse()
        .unwrap_or_else(|_| panic!("not a number: {cell:?}"))
}

#[test]
fn quick_run_prints_every_table_with_sane_numbers() {
    let out = Command::new(env!("CARGO_BIN_EXE_tmtm-bench"))
        .args(["--quick", "--base-port", "8300"])
        .output()
        .expect("run tmtm-bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench failed\n{stdout}\n{stderr}");

    let latency = rows(&stdout, "Commit latency");
    assert_eq!(latency.len(), 2, "{stdout}");
    for (row, nodes) in latency.iter().zip(["3", "5"]) {
        assert_eq!(row[0], nodes);
        assert_eq!(num(row[1]), 10.0, "every latency round committed: {row:?}");
        assert!(num(row[2]) > 0.0 && num(row[2]) <= num(row[4]), "{row:?}");
        assert_eq!(row[5], "0", "{row:?}");
    }
    let creation = rows(&stdout, "Ledger creation");
    assert_eq!(creation.len(), 2, "{stdout}");
    for row in &creation {
        assert_eq!(num(row[1]), 3.0, "{row:?}");
        assert!(num(row[2]) > 0.0, "{row:?}");
    }
    let cost = rows(&stdout, "Crypto cost model");
    assert_eq!(cost.len(), 2, "{stdout}");
    for row in &cost {
        for cell in &row[1..=4] {
            assert!(
                num(cell) >= 1.0,
                "every kind of crypto operation counted: {row:?}"
            );
        }
        assert!(num(row[5]) > 0.0, "{row:?}");
    }
    let throughput = rows(&stdout, "Throughput");
    assert_eq!(
        throughput.len(),
        8,
        "1 and 10 containers, 10 with 2 ledgers per round, and 10 with 8 writers each \
         (coalesced), for 3 and 5 nodes: {stdout}"
    );
    let coalesced: Vec<_> = throughput.iter().filter(|r| r[2] == "coalesced").collect();
    assert_eq!(
        coalesced.len(),
        2,
        "one coalesced row per network: {stdout}"
    );
    for row in &coalesced {
        assert_eq!(row[9], "8", "writers per container: {row:?}");
        assert_eq!(row[1], "10", "containers: {row:?}");
    }
    for row in &throughput {
        assert!(num(row[3]) > 0.0, "something committed: {row:?}");
        assert_eq!(row[4], "0", "no round failed: {row:?}");
        assert!(num(row[6]) > 0.0, "txns/s > 0: {row:?}");
    }
    let rest = rows(&stdout, "REST read rate");
    assert_eq!(rest.len(), 2, "{stdout}");
    for row in &rest {
        assert_eq!(
            num(row[1]),
            11.0,
            "genesis + 10 rounds on the page: {row:?}"
        );
        assert_eq!(row[3], "0", "{row:?}");
        assert!(num(row[4]) > 0.0, "{row:?}");
    }
    let rss = rows(&stdout, "Peak RSS");
    assert_eq!(rss.len(), 3, "{stdout}");
    for row in &rss {
        assert!(num(row[2]) >= 200.0, "{row:?}");
        assert!(num(row[3]) > 1.0, "{row:?}");
    }
    assert!(stdout.contains("bench complete"), "{stdout}");
}
