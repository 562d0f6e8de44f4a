//! Criterion bench: a participant's check of a proposal's transaction signatures
//! (`driver/verify.rs`) for a shared round of 256 transactions, whole in one task as the
//! driver's task ran it, and through the stage in front of the driver
//! (`driver/verify_stage.rs`, pieces of 16 on the blocking pool) on a runtime with one
//! worker per core. Fresh transactions every iteration, signed here without
//! `tmtm_wire::signature::sign` (which remembers what it signed): a signature that verified
//! once is remembered (`tmtm_wire::signature::verify`), and a remembered one costs a SHA-256.
//!
//! `cargo bench -p tmtm-node --bench proposal_check -- --warm-up-time 1 --measurement-time 5`

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use serde_json::{json, Value};
use tmtm_node::config::SignaturePolicy;
use tmtm_node::driver::proposal_check::{staged, whole};
use tmtm_node::roster::Network;
use tmtm_node::transport::Inbound;
use tmtm_wire::keys::KeyPair;
use tmtm_wire::message::Message;
use tmtm_wire::signature::{signed_bytes, SignatureDecorator, ED25519_SHA512_SINGLE};

/// Transactions in the proposal: a shared round of 256 merged commit requests.
const TXNS: u64 = 256;

static NEXT: AtomicU64 = AtomicU64::new(1);

/// A `stage-propose` of `TXNS` transactions signed by `keys`, none of them seen before.
fn proposal(keys: &KeyPair) -> Inbound {
    let txns: Vec<Value> = (0..TXNS)
        .map(|_| {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let Value::Object(mut t) = json!({
                "@type": "https://github.com/Sirius-social/TMTM/tree/master/transactions/1.0/issue-transaction",
                "@id": format!("bench-{n}"), "no": format!("WB-{n}"), "date": "2026-11-28",
                "cargo": "coal", "departure_station": "Dostyk", "arrival_station": "Aktau-Port",
                "doc_type": "WayBill", "ledger": {"name": "container-1"}
            }) else {
                unreachable!("a JSON object literal")
            };
            let decorator = sign_unremembered(keys, &Value::Object(t.clone()));
            t.insert("msg~sig".into(), serde_json::to_value(decorator).unwrap());
            Value::Object(t)
        })
        .collect();
    let Value::Object(m) = json!({
        "@type": "https://didcomm.org/simple-consensus/1.0/stage-propose",
        "@id": format!("m-{}", NEXT.fetch_add(1, Ordering::Relaxed)),
        "~thread": {"thid": "simple-consensus-txn-bench"},
        "transactions": txns,
    }) else {
        unreachable!("a JSON object literal")
    };
    Inbound {
        sender_did: keys.did(),
        sender_verkey: keys.verkey(),
        message: Message::from_map(m).unwrap(),
    }
}

/// What `tmtm_wire::signature::sign` makes, without remembering it as verified.
fn sign_unremembered(keys: &KeyPair, value: &Value) -> SignatureDecorator {
    let data = signed_bytes(value, 1_700_000_000).unwrap();
    SignatureDecorator {
        type_: ED25519_SHA512_SINGLE.to_owned(),
        signer: keys.verkey().to_base58(),
        signature: tmtm_wire::b64::encode(keys.sign(&data)),
        sig_data: Some(tmtm_wire::b64::encode(&data)),
    }
}

fn network(keys: &KeyPair) -> Network {
    let text = format!(
        "[[participants]]\ndid = \"{}\"\nverkey = \"{}\"\nendpoint = \"http://127.0.0.1:9000/agent\"\n\
         label = \"L\"\norganization = \"Org\"\n",
        keys.did(),
        keys.verkey()
    );
    Network::parse(&text, "bench").unwrap()
}

fn bench(c: &mut Criterion) {
    let keys = KeyPair::from_seed(&[5; 32]);
    let network = Arc::new(network(&keys));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("proposal_check_256");
    group.sample_size(10);
    group.bench_function("whole_in_one_task", |b| {
        b.iter_batched(
            || proposal(&keys),
            |inbound| assert!(whole(&inbound, SignaturePolicy::Strict)),
            BatchSize::PerIteration,
        );
    });
    group.bench_function("stage_in_pieces", |b| {
        b.iter_batched(
            || proposal(&keys),
            |inbound| {
                let network = Arc::clone(&network);
                assert!(runtime.block_on(staged(inbound, SignaturePolicy::Strict, network)));
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
