//! Unit tests of `tmtm demo`'s preparation: the generated network file, slugs, the data
//! directory layout and the reuse of credentials and key stores on a second run.

use super::setup::{self, network_toml, slug};
use super::TMTM_DEMO;
use crate::config::DocumentSet;
use crate::roster::Network;
use tmtm_wire::keys::KeyPair;

#[test]
fn generated_network_lists_the_first_n_orgs_on_the_chosen_ports() {
    for count in 2..=TMTM_DEMO.len() {
        let net = Network::parse(&network_toml(count, 7801), "demo").unwrap();
        assert_eq!(net.participants().len(), count);
        assert_eq!(net.route().len(), count);
        for (i, org) in TMTM_DEMO.iter().take(count).enumerate() {
            let keys = KeyPair::from_seed(org.seed);
            let p = net.participant(&keys.did()).unwrap();
            assert_eq!(p.organization, org.organization);
            assert_eq!(
                p.endpoint.as_str(),
                format!("http://127.0.0.1:{}/agent", 7801 + i)
            );
            assert_eq!(net.route()[i].days, org.days);
        }
    }
}

#[test]
fn slugs_are_directory_names() {
    assert_eq!(slug("Port of Baku"), "port-of-baku");
    assert_eq!(slug("KTZ Express"), "ktz-express");
    assert_eq!(slug(" A & B "), "a-b");
}

#[test]
fn prepare_creates_private_files_and_reuses_them() {
    let dir = tempfile::tempdir().unwrap();
    let first = setup::prepare(dir.path(), 3, 7801).unwrap();
    assert_eq!(first.len(), 3);
    let sets: Vec<DocumentSet> = first.iter().map(|n| n.config.document_set).collect();
    assert_eq!(
        sets,
        [DocumentSet::Rail, DocumentSet::Sea, DocumentSet::Sea],
        "the ports use the sea documents"
    );
    let second = setup::prepare(dir.path(), 3, 7801).unwrap();
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(a.keys_did, b.keys_did);
        assert_eq!(a.password.expose(), b.password.expose());
        assert!(!a.password.is_empty());
        let (card, keys) = crate::identity::open(&b.config).unwrap();
        assert_eq!(card.did.as_str(), a.keys_did);
        assert_eq!(keys.did().as_str(), a.keys_did);
    }
    assert_ne!(
        first[0].password.expose(),
        first[1].password.expose(),
        "every node gets its own password"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in [
            dir.path().join(setup::CREDENTIALS_FILE),
            dir.path().join("ktz-express/wallet.key"),
        ] {
            let mode = std::fs::metadata(&f).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", f.display());
        }
    }
    setup::remove_previous(dir.path()).unwrap();
    assert!(!dir.path().join("ktz-express").exists());
    assert!(!dir.path().join(setup::CREDENTIALS_FILE).exists());
    assert!(dir.path().exists(), "the data directory itself is kept");
}
