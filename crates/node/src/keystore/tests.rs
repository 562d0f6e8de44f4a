//! Unit tests of the key store: round trips, wrong keys, damaged files, overwrite refusal,
//! permissions, and the seed vectors of `shared/vectors/keys.json`.

use std::fs;
use std::path::{Path, PathBuf};

use rand_core::OsRng;
use tmtm_wire::keys::KeyPair;

use super::format::KdfParams;
use super::*;

/// Cheapest accepted parameters, to keep the tests fast.
const FAST: KdfParams = KdfParams {
    memory_kib: KdfParams::MIN_MEMORY_KIB,
    iterations: 1,
    parallelism: 1,
};

fn opts(overwrite: bool) -> CreateOptions {
    CreateOptions {
        overwrite,
        kdf: FAST,
    }
}

fn wallet_key() -> Secret {
    Secret::new("correct horse battery staple 42")
}

fn seed_keys() -> KeyPair {
    KeyPair::from_seed(b"0000000000000000000000000000SEED")
}

fn create(dir: &Path) -> PathBuf {
    let path = KeyStore::path_in(dir);
    KeyStore::create(&path, &wallet_key(), &seed_keys(), opts(false), &mut OsRng).unwrap();
    path
}

fn edit_json(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut v: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    edit(&mut v);
    fs::write(path, serde_json::to_vec(&v).unwrap()).unwrap();
}

#[test]
fn round_trip_returns_the_same_key() {
    let dir = tempfile::tempdir().unwrap();
    let keys = KeyPair::generate(&mut OsRng);
    let path = KeyStore::path_in(dir.path());
    let public = KeyStore::create(&path, &wallet_key(), &keys, opts(false), &mut OsRng).unwrap();
    assert_eq!(public.did, keys.did());
    let opened = KeyStore::open(&path, &wallet_key()).unwrap();
    assert_eq!(opened.seed(), keys.seed());
    assert_eq!(opened.verkey(), keys.verkey());
    assert_eq!(KeyStore::read_public(&path).unwrap(), public);
}

#[test]
fn seed_vectors_survive_the_key_store() {
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors/keys.json");
    let text = fs::read_to_string(&vectors)
        .unwrap_or_else(|e| panic!("test vectors missing at {}: {e}", vectors.display()));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut checked = 0;
    let dir = tempfile::tempdir().unwrap();
    for k in v["keys"].as_array().unwrap() {
        let seed: [u8; 32] = k["seed"].as_str().unwrap().as_bytes().try_into().unwrap();
        let path = dir.path().join(format!("{checked}.json"));
        let public = KeyStore::create(
            &path,
            &wallet_key(),
            &KeyPair::from_seed(&seed),
            opts(false),
            &mut OsRng,
        )
        .unwrap();
        let opened = KeyStore::open(&path, &wallet_key()).unwrap();
        assert_eq!(opened.verkey().to_base58(), k["verkey"].as_str().unwrap());
        assert_eq!(public.verkey.to_base58(), k["verkey"].as_str().unwrap());
        if let Some(did) = k["did"].as_str() {
            assert_eq!(opened.did().as_str(), did);
            assert_eq!(public.did.as_str(), did);
        }
        checked += 1;
    }
    assert!(
        checked >= 3,
        "expected at least 3 key vectors, got {checked}"
    );
}

#[test]
fn wrong_wallet_key_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = create(dir.path());
    let err = KeyStore::open(&path, &Secret::new("not the right wallet key!")).unwrap_err();
    assert!(
        matches!(err, KeyStoreError::WrongKeyOrCorrupted { .. }),
        "{err:?}"
    );
    assert!(err
        .to_string()
        .starts_with("key store cannot be opened: wrong wallet key or corrupted file"));
}

#[test]
fn truncated_file_is_corrupted_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = create(dir.path());
    let bytes = fs::read(&path).unwrap();
    for cut in [0, 1, bytes.len() / 3, bytes.len() / 2, bytes.len() - 3] {
        fs::write(&path, &bytes[..cut]).unwrap();
        let err = KeyStore::open(&path, &wallet_key()).unwrap_err();
        assert!(
            matches!(err, KeyStoreError::Corrupted { .. }),
            "cut {cut}: {err:?}"
        );
        assert!(err.to_string().contains("key store cannot be opened"));
    }
}

#[test]
fn tampered_ciphertext_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = create(dir.path());
    edit_json(&path, |v| {
        let ct = v["cipher"]["ciphertext"].as_str().unwrap();
        let mut raw = B64.decode(ct).unwrap();
        raw[5] ^= 0x01;
        v["cipher"]["ciphertext"] = B64.encode(raw).into();
    });
    let err = KeyStore::open(&path, &wallet_key()).unwrap_err();
    assert!(
        matches!(err, KeyStoreError::WrongKeyOrCorrupted { .. }),
        "{err:?}"
    );
}

#[test]
fn swapped_public_identity_is_rejected() {
    // A consistent but different DID/verkey pair: only the AEAD associated data catches it.
    let dir = tempfile::tempdir().unwrap();
    let path = create(dir.path());
    let other = KeyPair::from_seed(b"000000000000000000000000000SEED1");
    edit_json(&path, |v| {
        v["did"] = other.did().as_str().into();
        v["verkey"] = other.verkey().to_base58().into();
    });
    let err = KeyStore::open(&path, &wallet_key()).unwrap_err();
    assert!(
        matches!(err, KeyStoreError::WrongKeyOrCorrupted { .. }),
        "{err:?}"
    );
}

#[test]
fn tampered_kdf_parameters_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = create(dir.path());
    edit_json(&path, |v| v["kdf"]["iterations"] = 2.into());
    let err = KeyStore::open(&path, &wallet_key()).unwrap_err();
    assert!(
        matches!(err, KeyStoreError::WrongKeyOrCorrupted { .. }),
        "{err:?}"
    );
    // Absurd costs are refused before any allocation.
    edit_json(&path, |v| v["kdf"]["memory_kib"] = 4_000_000_000u32.into());
    let err = KeyStore::open(&path, &wallet_key()).unwrap_err();
    assert!(err.to_string().contains("memory_kib"), "{err}");
}

#[test]
fn unknown_fields_and_bad_base64_are_corrupted() {
    let dir = tempfile::tempdir().unwrap();
    let path = create(dir.path());
    edit_json(&path, |v| v["extra"] = true.into());
    let err = KeyStore::open(&path, &wallet_key()).unwrap_err();
    assert!(matches!(err, KeyStoreError::Corrupted { .. }), "{err:?}");
    let path = KeyStore::path_in(&dir.path().join("b"));
    KeyStore::create(&path, &wallet_key(), &seed_keys(), opts(false), &mut OsRng).unwrap();
    edit_json(&path, |v| v["cipher"]["nonce"] = "***".into());
    let err = KeyStore::open(&path, &wallet_key()).unwrap_err();
    assert!(err.to_string().contains("bad nonce"), "{err}");
}

#[test]
fn future_version_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = create(dir.path());
    edit_json(&path, |v| v["version"] = 7.into());
    let err = KeyStore::open(&path, &wallet_key()).unwrap_err();
    assert!(matches!(
        err,
        KeyStoreError::UnsupportedVersion { found: 7, .. }
    ));
    assert!(err.to_string().contains("format version 7"));
}

#[test]
fn missing_file_says_run_init() {
    let dir = tempfile::tempdir().unwrap();
    let err = KeyStore::open(&KeyStore::path_in(dir.path()), &wallet_key()).unwrap_err();
    assert!(matches!(err, KeyStoreError::NotFound { .. }));
    assert!(err.to_string().contains("tmtm init"));
}

#[test]
fn existing_key_store_is_not_overwritten_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let path = create(dir.path());
    let before = fs::read(&path).unwrap();
    let other = KeyPair::generate(&mut OsRng);
    let err = KeyStore::create(&path, &wallet_key(), &other, opts(false), &mut OsRng).unwrap_err();
    assert!(matches!(err, KeyStoreError::AlreadyExists { .. }));
    assert!(err.to_string().contains("--force"));
    assert_eq!(fs::read(&path).unwrap(), before);
    KeyStore::create(&path, &wallet_key(), &other, opts(true), &mut OsRng).unwrap();
    let opened = KeyStore::open(&path, &wallet_key()).unwrap();
    assert_eq!(opened.verkey(), other.verkey());
}

#[cfg(unix)]
#[test]
fn key_store_file_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = create(&dir.path().join("data"));
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let data_dir = path.parent().unwrap();
    assert_eq!(
        fs::metadata(data_dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
}

#[test]
fn file_holds_neither_seed_nor_wallet_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = create(dir.path());
    let text = fs::read_to_string(&path).unwrap();
    assert!(!text.contains("0000000000000000000000000000SEED"));
    assert!(!text.contains(&B64.encode(b"0000000000000000000000000000SEED")));
    assert!(!text.contains(wallet_key().expose()));
    assert!(!text.contains(&seed_keys().sigkey_base58()));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["did"], "VVZbGvuFqBdoVNY1Jh4j9Q");
    assert_eq!(v["version"], 1);
    assert_eq!(v["kdf"]["algorithm"], "argon2id");
}

#[test]
fn weak_wallet_key_and_bad_params_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = KeyStore::path_in(dir.path());
    let err = KeyStore::create(
        &path,
        &Secret::new("short"),
        &seed_keys(),
        opts(false),
        &mut OsRng,
    )
    .unwrap_err();
    assert!(matches!(err, KeyStoreError::WeakWalletKey { .. }));
    let bad = CreateOptions {
        overwrite: false,
        kdf: KdfParams {
            parallelism: 0,
            ..FAST
        },
    };
    let err = KeyStore::create(&path, &wallet_key(), &seed_keys(), bad, &mut OsRng).unwrap_err();
    assert!(err.to_string().contains("parallelism"), "{err}");
    assert!(!path.exists());
}

#[test]
fn errors_never_show_the_wallet_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = create(dir.path());
    let wrong = Secret::new("a-wrong-wallet-key-0123456789");
    let err = KeyStore::open(&path, &wrong).unwrap_err();
    assert!(!format!("{err} {err:?}").contains(wrong.expose()));
}
