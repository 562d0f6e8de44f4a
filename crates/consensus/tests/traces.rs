//! Real recorded messages of sirius-sdk 1.0.25 and 2.2.0 (conformance kit traces): every
//! simple-consensus message is recognised, dialect-detected, and its hashes and signatures check
//! out with this crate's functions, each signature bound to the roster verkey of its participant.

use std::collections::BTreeMap;

use serde_json::Value;
use tmtm_consensus::dialect::{consensus_name, thread_id};
use tmtm_consensus::hashes::{ledger_hash, parallel_hash, state_value_hash};
use tmtm_consensus::sig::{strip_decorators, verify_bound};
use tmtm_consensus::Dialect;
use tmtm_microledger::LedgerState;
use tmtm_wire::keys::Verkey;

fn lines(version: &str, scenario: &str) -> Vec<Value> {
    let path = format!(
        "{}/../../../shared/conformance/traces/{version}/{scenario}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("trace {path} missing: {e}"));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn check(version: &str, scenario: &str) -> usize {
    let all = lines(version, scenario);
    let roster = &all[0]["roster"]["participants"];
    let vk: BTreeMap<String, Verkey> = roster
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["did"].as_str().unwrap().to_string(),
                Verkey::from_base58(p["verkey"].as_str().unwrap()).unwrap(),
            )
        })
        .collect();
    let by_name: BTreeMap<String, String> = roster
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().into(),
                p["did"].as_str().unwrap().into(),
            )
        })
        .collect();
    let mut checked = 0;
    let mut last_commit: Option<Value> = None;
    for rec in all
        .iter()
        .filter(|r| r["kind"] == "msg" && r["dir"] == "out")
    {
        let plain: Value = serde_json::from_str(rec["plaintext"].as_str().unwrap()).unwrap();
        let name =
            consensus_name(&plain).unwrap_or_else(|| panic!("not a consensus message: {plain}"));
        assert!(thread_id(&plain).is_some());
        let sender_vk = vk[&by_name[rec["node"].as_str().unwrap()]];
        let expected_dialect = if version == "2.2.0" {
            Dialect::V2
        } else {
            Dialect::V1_0_25
        };
        match name {
            "initialize-request" => {
                assert_eq!(ledger_hash(&plain["ledger"]).unwrap(), plain["ledger~hash"]);
                assert_eq!(Dialect::detect(&plain), expected_dialect);
            }
            "initialize-response" => {
                for e in plain["signatures"].as_array().unwrap() {
                    let v = verify_bound(&e["signature"], &vk[e["participant"].as_str().unwrap()])
                        .unwrap();
                    assert_eq!(v, plain["ledger~hash"]);
                }
            }
            "stage-propose" => {
                assert_eq!(
                    state_value_hash(&plain["state"]).unwrap(),
                    plain["hash"].as_str().unwrap()
                );
                assert_eq!(Dialect::detect(&plain), expected_dialect);
            }
            "stage-propose-parallel" => {
                assert_eq!(Dialect::detect(&plain), expected_dialect);
                if version == "1.0.25" {
                    let states: Vec<LedgerState> = plain["transactions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|b| serde_json::from_value(b["state"].clone()).unwrap())
                        .collect();
                    assert_eq!(
                        parallel_hash(&states).unwrap(),
                        plain["hash"].as_str().unwrap()
                    );
                } else {
                    assert!(plain["ledgers"].is_array());
                }
            }
            "stage-pre-commit" | "stage-pre-commit-parallel" => {
                let v = verify_bound(&plain["hash~sig"], &sender_vk).unwrap();
                assert_eq!(v, plain["hash"]);
            }
            "stage-commit" | "stage-commit-parallel" => {
                for (did, d) in plain["pre_commits"].as_object().unwrap() {
                    verify_bound(d, &vk[did]).unwrap();
                    let other = vk.values().find(|k| **k != vk[did]).unwrap();
                    assert!(
                        verify_bound(d, other).is_err(),
                        "a pre-commit must not verify under another key"
                    );
                }
                last_commit = Some(plain.clone());
            }
            "stage-post-commit" | "stage-post-commit-parallel" => {
                let commit = strip_decorators(last_commit.as_ref().unwrap());
                for c in plain["commits"].as_array().unwrap() {
                    let signer = Verkey::from_base58(c["signer"].as_str().unwrap()).unwrap();
                    assert!(vk.values().any(|k| *k == signer));
                    let v = verify_bound(c, &signer).unwrap();
                    assert_eq!(strip_decorators(&v), commit);
                }
            }
            "ack" => assert_eq!(plain["status"], "OK"),
            other => panic!("unexpected {other}"),
        }
        checked += 1;
    }
    checked
}

#[test]
fn traces_1_0_25() {
    for s in ["create", "commit", "parallel"] {
        assert!(check("1.0.25", s) >= 10);
    }
}

#[test]
fn traces_2_2_0() {
    for s in ["create", "commit", "parallel"] {
        assert!(check("2.2.0", s) >= 10);
    }
}
