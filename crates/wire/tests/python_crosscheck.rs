//! Cross-check against an independent Python implementation: envelopes packed by tmtm-wire are
//! opened by `tests/py/unpack.py` (PyNaCl, §2.4).
//!
//! The test is **ignored** (reported as such by `cargo test`) unless the crate is built with
//! the environment variable `TMTM_TEST_PYTHON=1`; then it runs and FAILS if Python or PyNaCl
//! is missing — it never passes without having checked anything. To run it:
//!
//! ```sh
//! pip install pynacl                      # PyNaCl >= 1.3
//! TMTM_TEST_PYTHON=1 cargo test -p tmtm-wire --test python_crosscheck
//! ```
//!
//! The interpreter is `python3`, or the one named by `TMTM_PYTHON`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use rand::SeedableRng;
use serde_json::Value;
use tmtm_wire::b64;
use tmtm_wire::envelope::pack;
use tmtm_wire::keys::KeyPair;

fn python_unpack(envelope: &[u8], seed: &[u8; 32]) -> Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/py/unpack.py");
    let python = std::env::var("TMTM_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = Command::new(&python)
        .arg(&script)
        .arg(hex::encode(seed))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {python}: {e} (TMTM_TEST_PYTHON=1 needs Python 3)")
        });
    child.stdin.take().unwrap().write_all(envelope).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "unpack.py failed (is PyNaCl installed? `pip install pynacl`): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
#[cfg_attr(
    not(tmtm_test_python),
    ignore = "set TMTM_TEST_PYTHON=1 (needs python3 + `pip install pynacl`)"
)]
fn python_unpacks_our_envelopes() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(2024);
    let sender = KeyPair::from_seed(b"000000000000000000000000000SEED2");
    let seeds: [[u8; 32]; 3] = [*b"000000000000000000000000000SEED1", [0x11; 32], [0xfe; 32]];
    let recipients: Vec<KeyPair> = seeds.iter().map(KeyPair::from_seed).collect();
    let verkeys: Vec<_> = recipients.iter().map(KeyPair::verkey).collect();
    let payloads: [&[u8]; 4] = [
        br#"{"@type": "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/trust_ping/1.0/ping", "@id": "1"}"#,
        "{\"content\": \"Test encryption строка\"}".as_bytes(),
        b"",
        &[0u8, 255, 1, 254, 2, 253],
    ];
    let mut checked = 0;
    for payload in payloads {
        for auth in [true, false] {
            let env = pack(payload, auth.then_some(&sender), &verkeys, &mut rng).unwrap();
            for (seed, kp) in seeds.iter().zip(&recipients) {
                let got = python_unpack(&env, seed);
                assert_eq!(
                    b64::decode(got["plaintext_b64"].as_str().unwrap().trim_end_matches('='))
                        .unwrap(),
                    payload
                );
                let expected_sender = auth.then(|| Value::from(sender.verkey().to_base58()));
                assert_eq!(got["sender"], expected_sender.unwrap_or(Value::Null));
                assert_eq!(got["recipient"], kp.verkey().to_base58());
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 24);
}
