//! Criterion benches: authcrypt pack, unpack and both (1 recipient, ~1 KiB payload; the
//! per-peer key caches are warm after the first iteration, as in a running node; the
//! "fresh seal" rows seal the sender afresh for every envelope, as `pack_with` does and as
//! Python peers do, and unpack such envelopes) and the RFC 0234 decorator's sign and verify
//! (a fresh verification, and one already remembered).

use criterion::{criterion_group, criterion_main, Criterion};
use rand::SeedableRng;
use serde_json::json;
use std::hint::black_box;
use tmtm_wire::envelope::{pack, pack_with, unpack, Randomness};
use tmtm_wire::keys::KeyPair;
use tmtm_wire::signature::{sign, verify_from, verify_uncached};

fn envelope(c: &mut Criterion) {
    let sender = KeyPair::from_seed(b"000000000000000000000000000SEED2");
    let recipient = KeyPair::from_seed(b"000000000000000000000000000SEED1");
    let payload = json!({"@type": "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/basicmessage/1.0/message",
                         "content": "x".repeat(960)})
    .to_string();
    assert!((1000..1100).contains(&payload.len()));
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    c.bench_function("envelope authcrypt pack 1 KiB", |b| {
        b.iter(|| {
            pack(
                black_box(payload.as_bytes()),
                Some(&sender),
                &[recipient.verkey()],
                &mut rng,
            )
            .unwrap()
        })
    });
    let packed = pack(
        payload.as_bytes(),
        Some(&sender),
        &[recipient.verkey()],
        &mut rng,
    )
    .unwrap();
    c.bench_function("envelope authcrypt unpack 1 KiB", |b| {
        b.iter(|| unpack(black_box(&packed), &recipient).unwrap())
    });
    c.bench_function("envelope authcrypt pack 1 KiB (fresh seal)", |b| {
        b.iter(|| fresh(&payload, &sender, &recipient, &mut rng))
    });
    c.bench_function("envelope authcrypt unpack 1 KiB (fresh seal)", |b| {
        b.iter_batched(
            || fresh(&payload, &sender, &recipient, &mut rng),
            |env| unpack(black_box(&env), &recipient).unwrap(),
            criterion::BatchSize::SmallInput,
        )
    });
    c.bench_function("envelope authcrypt pack+unpack 1 KiB", |b| {
        b.iter(|| {
            let env = pack(
                black_box(payload.as_bytes()),
                Some(&sender),
                &[recipient.verkey()],
                &mut rng,
            )
            .unwrap();
            unpack(black_box(&env), &recipient).unwrap()
        })
    });
}

/// An envelope whose sealed sender is made afresh (`pack_with`).
fn fresh(
    payload: &str,
    sender: &KeyPair,
    recipient: &KeyPair,
    rng: &mut rand::rngs::StdRng,
) -> Vec<u8> {
    let randomness = Randomness::draw(rng, 1);
    pack_with(
        black_box(payload.as_bytes()),
        Some(sender),
        &[recipient.verkey()],
        &randomness,
        rng,
    )
    .unwrap()
}

fn decorator(c: &mut Criterion) {
    let keys = KeyPair::from_seed(b"0000000000000000000000000000SEED");
    let value = json!({"func": "sha256", "base58": "EcLFhsY7UhBCQoMbKMaAcAYbRCVWbYkNJZ2oSEDsgDvC"});
    c.bench_function("signature decorator sign", |b| {
        b.iter(|| sign(&keys, black_box(&value), 1_599_241_848).unwrap())
    });
    let decorator = sign(&keys, &value, 1_599_241_848).unwrap();
    let verkey = keys.verkey();
    c.bench_function("signature decorator verify", |b| {
        b.iter(|| verify_uncached(black_box(&decorator)).unwrap())
    });
    c.bench_function("signature decorator verify (remembered)", |b| {
        b.iter(|| verify_from(black_box(&decorator), &verkey).unwrap())
    });
}

criterion_group!(benches, envelope, decorator);
criterion_main!(benches);
