//! Every Merkle vector of `shared/vectors/merkle.json` and the `ledger_hash` vector of
//! `consensus-hashes.json`, read at test time.

mod common;

use common::*;
use sha2::{Digest, Sha256};
use tmtm_microledger::{
    leaf_data, leaf_hash, verify_inclusion, Hash, MemoryStore, Microledger, Transaction,
};

fn ledger_of(txns: &[Transaction]) -> Microledger<MemoryStore> {
    Microledger::create("vectors", txns.to_vec(), MemoryStore::new())
        .unwrap()
        .0
}

#[test]
fn leaf_1_cjson_bytes_and_hash() {
    let v = vector("merkle.json");
    let t1 = txn(v["transactions"][0].clone());
    let data = leaf_data(&t1).unwrap();
    assert_eq!(data, v["leaf_1"]["cjson"].as_str().unwrap().as_bytes());
    assert_eq!(
        leaf_hash(&t1).unwrap().to_hex(),
        v["leaf_1"]["leaf_hash_hex"].as_str().unwrap()
    );
}

#[test]
fn all_leaf_hashes_and_ledger_assigned_seq_nos() {
    let v = vector("merkle.json");
    let given = v["transactions"].as_array().unwrap();
    let expected = v["leaf_hashes"].as_array().unwrap();
    assert_eq!(expected.len(), 6);
    // The ledger assigns txnMetadata.seqNo to metadata-free transactions.
    let (_, genesis) =
        Microledger::create("l", merkle_txns_without_metadata(), MemoryStore::new()).unwrap();
    for e in expected {
        let seq = e["seqNo"].as_u64().unwrap();
        let i = usize::try_from(seq - 1).unwrap();
        let from_file = txn(given[i].clone());
        assert_eq!(genesis[i], from_file, "metadata of seqNo {seq}");
        assert_eq!(leaf_hash(&from_file).unwrap(), hash(&e["leaf_hash"]));
        assert_eq!(leaf_hash(&genesis[i]).unwrap(), hash(&e["leaf_hash"]));
    }
}

#[test]
fn empty_root() {
    let v = vector("merkle.json");
    assert_eq!(Hash::empty(), hash(&v["empty_root"]));
    let ledger = ledger_of(&[]);
    assert_eq!(ledger.root_hash(), hash(&v["empty_root"]));
    assert_eq!(
        ledger.state().uncommitted_root_hash,
        v["empty_root"].as_str().unwrap()
    );
}

#[test]
fn roots_of_prefixes() {
    let v = vector("merkle.json");
    let txns = merkle_txns_without_metadata();
    let six = ledger_of(&txns[..6]);
    let roots = v["roots"].as_array().unwrap();
    assert_eq!(roots.len(), 5);
    for r in roots {
        let n = r["leaves"].as_u64().unwrap();
        let expected = hash(&r["root_hash"]);
        let ledger = ledger_of(&txns[..usize::try_from(n).unwrap()]);
        assert_eq!(ledger.root_hash(), expected, "root of {n} leaves");
        assert_eq!(ledger.state().root_hash, expected.to_string());
        assert_eq!(
            six.root_hash_at(n).unwrap(),
            expected,
            "prefix root {n} from stored subtrees"
        );
    }
}

#[test]
fn merkle_info_vector() {
    let v = vector("merkle.json");
    let mi = &v["merkle_info"];
    let size = usize::try_from(mi["ledger_size"].as_u64().unwrap()).unwrap();
    let ledger = ledger_of(&merkle_txns_without_metadata()[..size]);
    let seq = mi["seqNo"].as_u64().unwrap();
    let info = ledger.merkle_info(seq).unwrap();
    assert_eq!(info.root_hash, hash(&mi["rootHash"]));
    assert_eq!(info.audit_path, hashes(&mi["auditPath"]));
    let leaf = leaf_hash(&ledger.get(seq).unwrap()).unwrap();
    verify_inclusion(&leaf, seq - 1, seq, &info.audit_path, &info.root_hash).unwrap();
    // Wire shape: {"rootHash", "auditPath"} with base58 strings.
    let wire = serde_json::to_value(&info).unwrap();
    assert_eq!(wire["rootHash"], mi["rootHash"]);
    assert_eq!(wire["auditPath"], mi["auditPath"]);
}

#[test]
fn audit_proofs_vector_and_fold_back() {
    let v = vector("merkle.json");
    let ap = &v["audit_proofs"];
    let size = ap["ledgerSize"].as_u64().unwrap();
    let ledger = ledger_of(&merkle_txns_without_metadata()[..usize::try_from(size).unwrap()]);
    let paths = ap["paths"].as_array().unwrap();
    assert_eq!(paths.len(), 6);
    for p in paths {
        let seq = p["seqNo"].as_u64().unwrap();
        let proof = ledger.audit_proof(seq).unwrap();
        assert_eq!(proof.root_hash, hash(&ap["rootHash"]));
        assert_eq!(proof.ledger_size, size);
        assert_eq!(
            proof.audit_path,
            hashes(&p["auditPath"]),
            "path of seqNo {seq}"
        );
        let leaf = hash(&v["leaf_hashes"][usize::try_from(seq - 1).unwrap()]["leaf_hash"]);
        verify_inclusion(
            &leaf,
            seq - 1,
            size,
            &hashes(&p["auditPath"]),
            &hash(&ap["rootHash"]),
        )
        .unwrap();
        let wire = serde_json::to_value(&proof).unwrap();
        assert_eq!(wire["ledgerSize"], ap["ledgerSize"]);
        assert_eq!(wire["auditPath"], p["auditPath"]);
    }
}

#[test]
fn uncommitted_roots_vector() {
    let v = vector("merkle.json");
    let u = &v["uncommitted"];
    let committed = usize::try_from(u["committed"].as_u64().unwrap()).unwrap();
    let uncommitted = usize::try_from(u["uncommitted"].as_u64().unwrap()).unwrap();
    // Genesis given WITH its seqNos (as participants pass it, Q2) — overwritten to the same values.
    let given: Vec<Transaction> = v["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| txn(t.clone()))
        .collect();
    let (mut ledger, _) =
        Microledger::create("u", given[..committed].to_vec(), MemoryStore::new()).unwrap();
    let tail = merkle_txns_without_metadata()[committed..committed + uncommitted].to_vec();
    let appended = ledger.append(tail, None).unwrap();
    assert_eq!(
        appended.txns,
        given[committed..committed + uncommitted].to_vec()
    );
    let state = ledger.state();
    assert_eq!(state.root_hash, u["root_hash"].as_str().unwrap());
    assert_eq!(
        state.uncommitted_root_hash,
        u["uncommitted_root_hash"].as_str().unwrap()
    );
    assert_eq!(state.size, 6);
    assert_eq!(state.uncommitted_size, 9);
    // Committing everything moves the uncommitted root to the committed root.
    ledger.commit(3).unwrap();
    assert_eq!(ledger.root_hash(), hash(&u["uncommitted_root_hash"]));
    assert_eq!(ledger.uncommitted_root_hash(), ledger.root_hash());
}

/// Q1 (see `tmtm_microledger::leaf_data`): raw UTF-8 CJSON, `/` unescaped.
#[test]
fn non_ascii_leaf_is_raw_utf8_cjson() {
    let v = vector("merkle.json");
    let na = &v["non_ascii"];
    let t = txn(na["transaction"].clone());
    let ours = leaf_hash(&t).unwrap().to_hex();
    assert_eq!(ours, na["leaf_hash_hex_utf8"].as_str().unwrap());
    assert_ne!(ours, na["leaf_hash_hex_ascii_escaped"].as_str().unwrap());
    assert_ne!(
        ours,
        na["leaf_hash_hex_ascii_and_slash_escaped"]
            .as_str()
            .unwrap()
    );
    let data = String::from_utf8(leaf_data(&t).unwrap()).unwrap();
    assert!(
        data.contains("Караганда/x"),
        "raw UTF-8 and unescaped '/': {data}"
    );
}

#[test]
fn ledger_hash_vector() {
    let v = vector("consensus-hashes.json");
    let lh = &v["ledger_hash"];
    let cjson = tmtm_wire::json::canonical(&lh["ledger"]).unwrap();
    let b58 = bs58::encode(Sha256::digest(&cjson)).into_string();
    assert_eq!(lh["ledger~hash"]["func"], "sha256");
    assert_eq!(b58, lh["ledger~hash"]["base58"].as_str().unwrap());
    // ledger.root_hash is the root of ledger.genesis.
    let genesis: Vec<Transaction> = lh["ledger"]["genesis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| txn(t.clone()))
        .collect();
    let name = lh["ledger"]["name"].as_str().unwrap();
    let (ledger, returned) =
        Microledger::create(name, genesis.clone(), MemoryStore::new()).unwrap();
    assert_eq!(returned, genesis);
    assert_eq!(
        ledger.state().root_hash,
        lh["ledger"]["root_hash"].as_str().unwrap()
    );
}
