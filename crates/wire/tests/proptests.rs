//! Property tests: envelope round trips (authcrypt and anoncrypt, random keys, payloads and
//! recipient counts), unpack never panics on random or mutated bytes, message parsing never
//! panics, and CJSON/PyJSON output re-parses to the same value.

use proptest::prelude::*;
use rand::SeedableRng;
use serde_json::{Map, Value};
use tmtm_wire::envelope::{pack, unpack, EnvelopeError};
use tmtm_wire::json::{canonical, python};
use tmtm_wire::keys::KeyPair;
use tmtm_wire::message::{Message, MessageType};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[a-z/\\\\\"\u{0}-\u{1f}\u{7f}]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..8)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn keys(seed: u64, n: usize) -> Vec<KeyPair> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n).map(|_| KeyPair::generate(&mut rng)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn pack_unpack_round_trip(
        seed in any::<u64>(),
        recipients in 1usize..5,
        payload in prop::collection::vec(any::<u8>(), 0..2048),
        auth in any::<bool>(),
    ) {
        let all = keys(seed, recipients + 2);
        let (sender, rest) = all.split_first().unwrap();
        let (outsider, targets) = rest.split_first().unwrap();
        let verkeys: Vec<_> = targets.iter().map(KeyPair::verkey).collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ 1);
        let env = pack(&payload, auth.then_some(sender), &verkeys, &mut rng).unwrap();
        prop_assert!(env.is_ascii());
        for target in targets {
            let out = unpack(&env, target).unwrap();
            prop_assert_eq!(&out.plaintext, &payload);
            prop_assert_eq!(out.sender, auth.then(|| sender.verkey()));
            prop_assert_eq!(out.recipient, target.verkey());
        }
        prop_assert_eq!(unpack(&env, outsider).unwrap_err(), EnvelopeError::UnknownRecipient);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn unpack_random_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let me = KeyPair::from_seed(&[5; 32]);
        prop_assert!(unpack(&bytes, &me).is_err());
    }

    #[test]
    fn unpack_mutated_envelope_never_panics(
        index in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut in any::<prop::sample::Index>(),
        mode in 0u8..3,
    ) {
        let me = KeyPair::from_seed(&[5; 32]);
        let sender = KeyPair::from_seed(&[6; 32]);
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        let mut env = pack(b"{\"a\": 1}", Some(&sender), &[me.verkey()], &mut rng).unwrap();
        match mode {
            0 => { let i = index.index(env.len()); env[i] = byte; }
            1 => env.truncate(cut.index(env.len())),
            _ => env.insert(index.index(env.len()), byte),
        }
        // Must not panic; if it still opens, it must be the original content.
        if let Ok(out) = unpack(&env, &me) {
            prop_assert_eq!(out.plaintext, b"{\"a\": 1}".to_vec());
        }
    }

    #[test]
    fn message_parsing_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256), text in any::<String>()) {
        if let Ok(m) = Message::from_slice(&bytes) {
            let _ = m.type_();
            let _ = m.to_python_json();
        }
        if let Ok(t) = MessageType::parse(&text) {
            prop_assert_eq!(t.to_string(), text);
        }
    }

    #[test]
    fn serialisations_reparse_to_the_same_value(value in json_value()) {
        let cjson = canonical(&value).unwrap();
        let back: Value = serde_json::from_slice(&cjson).unwrap();
        prop_assert_eq!(&back, &value);
        // Canonical output is stable under re-serialisation.
        prop_assert_eq!(canonical(&back).unwrap(), cjson);

        let py = python(&value).unwrap();
        prop_assert!(py.is_ascii());
        let back: Value = serde_json::from_str(&py).unwrap();
        prop_assert_eq!(&back, &value);
        // Insertion order survives: re-serialising gives the same text.
        prop_assert_eq!(python(&back).unwrap(), py);
    }
}
