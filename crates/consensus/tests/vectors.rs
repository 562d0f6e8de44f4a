//! The consensus vectors of `shared/vectors/` (state hash, ledger hash, parallel hash, README
//! signatures incl. the pre-commits of the recovered stage-commit of §6.5.4).

use serde_json::Value;
use tmtm_consensus::hashes::{ledger_hash, parallel_hash, state_hash, state_value_hash};
use tmtm_consensus::sig::verify_bound;
use tmtm_microledger::LedgerState;
use tmtm_wire::keys::Verkey;

fn load(name: &str) -> Value {
    let path = format!(
        "{}/../../../shared/vectors/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("vector file {path} is missing or unreadable: {e}"));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn state_hash_vector() {
    let v = load("consensus-hashes.json");
    let sv = &v["state_hash"];
    let state: LedgerState = serde_json::from_value(sv["state"].clone()).unwrap();
    assert_eq!(state_hash(&state).unwrap(), sv["hash"].as_str().unwrap());
    assert_eq!(
        state_value_hash(&sv["state"]).unwrap(),
        sv["hash"].as_str().unwrap()
    );
    let cjson =
        tmtm_wire::json::canonical_string(&tmtm_consensus::hashes::state_value(&state)).unwrap();
    assert_eq!(cjson, sv["cjson"].as_str().unwrap());
}

#[test]
fn ledger_hash_vector() {
    let v = load("consensus-hashes.json");
    let lv = &v["ledger_hash"];
    assert_eq!(ledger_hash(&lv["ledger"]).unwrap(), lv["ledger~hash"]);
}

#[test]
fn parallel_hash_vector() {
    let v = load("consensus-hashes.json");
    let pv = &v["parallel_hash"];
    let states: Vec<LedgerState> = serde_json::from_value(pv["states"].clone()).unwrap();
    for s in &states {
        assert_eq!(
            state_hash(s).unwrap(),
            pv["state_hashes"][&s.name].as_str().unwrap()
        );
    }
    assert_eq!(
        parallel_hash(&states).unwrap(),
        pv["hash"].as_str().unwrap()
    );
    let mut reversed = states.clone();
    reversed.reverse();
    assert_eq!(
        parallel_hash(&reversed).unwrap(),
        pv["hash"].as_str().unwrap()
    );
}

/// The README pre-commit and the three `pre_commits` of the recovered stage-commit (§6.5.4):
/// each verifies bound to its signer and decodes to the signed state-hash string; bound to any
/// other signer's key it must fail (the check the SDK omits, §9.13).
#[test]
fn readme_precommit_signatures_bind_to_signer() {
    let v = load("signatures.json");
    let items = v["readme_signatures"]["items"].as_array().unwrap();
    assert!(items.len() >= 4);
    for (i, it) in items.iter().enumerate() {
        let d = serde_json::json!({
            "@type": "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/signature/1.0/ed25519Sha512_single",
            "signer": it["signer"], "signature": it["signature"], "sig_data": it["sig_data"],
        });
        let vk = Verkey::from_base58(it["signer"].as_str().unwrap()).unwrap();
        let value = verify_bound(&d, &vk).unwrap();
        let expected: Value = serde_json::from_str(it["payload_pyjson"].as_str().unwrap()).unwrap();
        assert_eq!(value, expected);
        let other = &items[(i + 1) % items.len()];
        if other["signer"] != it["signer"] {
            let ovk = Verkey::from_base58(other["signer"].as_str().unwrap()).unwrap();
            assert!(verify_bound(&d, &ovk).is_err());
        }
    }
}
