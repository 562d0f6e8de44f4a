//! Every vector of `shared/vectors/keys.json` and `signatures.json` (§1.1, §4.5), plus
//! tampered-input negative tests for the signature decorator.

mod common;

use common::{s, seed_keys, vector};
use serde_json::{json, Value};
use tmtm_wire::keys::{Did, KeyPair, Verkey};
use tmtm_wire::signature::{
    decode_unverified, sign, sign_detached, verify, verify_detached, verify_from,
    SignatureDecorator, SignatureError, ED25519_SHA512_SINGLE,
};

#[test]
fn keys_json_all_keys() {
    let v = vector("keys.json");
    let mut all: Vec<&Value> = v["keys"].as_array().unwrap().iter().collect();
    all.extend(v["conformance_roster"]["keys"].as_array().unwrap());
    assert_eq!(all.len(), 7);
    for k in all {
        let kp = seed_keys(s(k, "seed"));
        assert_eq!(kp.verkey().to_base58(), s(k, "verkey"), "{k}");
        assert_eq!(kp.seed(), s(k, "seed").as_bytes());
        let vk: Verkey = s(k, "verkey").parse().unwrap();
        assert_eq!(vk, kp.verkey());
        if let Some(sigkey) = k.get("sigkey").and_then(Value::as_str) {
            assert_eq!(kp.sigkey_base58(), sigkey);
            assert_eq!(KeyPair::from_sigkey_base58(sigkey).unwrap().verkey(), vk);
        }
        if let Some(did) = k.get("did").and_then(Value::as_str) {
            assert_eq!(kp.did(), Did::new(did));
            assert_eq!(vk.did().as_str(), did);
            assert_eq!(Did::from_verkey(&vk).to_string(), did);
        }
    }
}

#[test]
fn raw_ed25519_signature() {
    let v = &vector("signatures.json")["raw_ed25519"];
    let kp = seed_keys(s(v, "seed"));
    assert_eq!(kp.verkey().to_base58(), s(v, "verkey"));
    let sig = kp.sign(s(v, "message_ascii").as_bytes());
    assert_eq!(bs58::encode(sig).into_string(), s(v, "signature_b58"));
    assert!(kp.verkey().verify(b"message", &sig));
    assert!(!kp.verkey().verify(b"messagf", &sig));
}

#[test]
fn decorators_with_fixed_ts_are_exact() {
    let v = vector("signatures.json");
    let decorators = v["decorators"].as_array().unwrap();
    assert_eq!(decorators.len(), 2);
    for d in decorators {
        let kp = seed_keys(s(d, "seed"));
        let ts = d["ts"].as_u64().unwrap();
        let value = &d["value"];
        let got = sign(&kp, value, ts).unwrap();
        assert_eq!(got.type_, ED25519_SHA512_SINGLE);
        assert_eq!(got.signer, s(d, "signer"));
        assert_eq!(got.sig_data.as_deref(), Some(s(d, "sig_data")));
        assert_eq!(got.signature, s(d, "signature"));
        // Key order of the serialised decorator is Python's.
        let text = tmtm_wire::json::python(&serde_json::to_value(&got).unwrap()).unwrap();
        assert!(text.starts_with("{\"@type\": "), "{text}");
        assert!(text.find("\"signer\"") < text.find("\"signature\""));
        assert!(text.find("\"signature\"") < text.find("\"sig_data\""));

        let signed = verify_from(&got, &kp.verkey()).unwrap();
        assert_eq!(signed.ts, ts);
        assert_eq!(&signed.value, value);
        assert_eq!(signed.signer, kp.verkey());

        let detached = sign_detached(&kp, value, ts).unwrap();
        assert_eq!(detached.sig_data, None);
        assert_eq!(detached.signature, s(d, "signature"));
        assert!(!serde_json::to_string(&detached)
            .unwrap()
            .contains("sig_data"));
        assert_eq!(verify_detached(&detached, value, ts).unwrap(), kp.verkey());
        assert_eq!(
            verify_detached(&detached, value, ts + 1),
            Err(SignatureError::Invalid)
        );
        assert_eq!(verify(&detached), Err(SignatureError::MissingSigData));
    }
}

#[test]
fn readme_signatures_verify_and_payloads_match() {
    let v = vector("signatures.json");
    let items = v["readme_signatures"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    for item in items {
        let d: SignatureDecorator = serde_json::from_value(json!({
            "@type": ED25519_SHA512_SINGLE,
            "signer": s(item, "signer"),
            "signature": s(item, "signature"),
            "sig_data": s(item, "sig_data"),
        }))
        .unwrap();
        let signed = verify(&d).unwrap();
        let expected_signer: Verkey = s(item, "signer").parse().unwrap();
        assert_eq!(verify_from(&d, &expected_signer).unwrap(), signed);
        let raw = tmtm_wire::b64::decode(s(item, "sig_data")).unwrap();
        assert_eq!(&raw[8..], s(item, "payload_pyjson").as_bytes());
        if let Some(ts) = item.get("ts").and_then(Value::as_u64) {
            assert_eq!(signed.ts, ts);
        }
        let payload: Value = serde_json::from_str(s(item, "payload_pyjson")).unwrap();
        assert_eq!(signed.value, payload);
        // Re-serialising the payload with PyJSON gives back the signed bytes.
        assert_eq!(
            tmtm_wire::json::python(&payload).unwrap(),
            s(item, "payload_pyjson")
        );
    }
}

fn sample() -> (KeyPair, SignatureDecorator) {
    let kp = seed_keys("0000000000000000000000000000SEED");
    let d = sign(&kp, &json!({"func": "sha256", "n": 1}), 1_599_241_848).unwrap();
    (kp, d)
}

#[test]
fn tampered_decorators_are_rejected() {
    let (_, d) = sample();
    let other = seed_keys("000000000000000000000000000SEED1");

    // A different signer, valid key.
    let mut t = d.clone();
    t.signer = other.verkey().to_base58();
    assert_eq!(verify(&t), Err(SignatureError::Invalid));

    // Flipped payload bit.
    let mut t = d.clone();
    let mut data = tmtm_wire::b64::decode(t.sig_data.as_deref().unwrap()).unwrap();
    *data.last_mut().unwrap() ^= 1;
    t.sig_data = Some(tmtm_wire::b64::encode(&data));
    assert_eq!(verify(&t), Err(SignatureError::Invalid));

    // Changed timestamp.
    let mut t = d.clone();
    let mut data = tmtm_wire::b64::decode(t.sig_data.as_deref().unwrap()).unwrap();
    data[7] ^= 1;
    t.sig_data = Some(tmtm_wire::b64::encode(&data));
    assert_eq!(verify(&t), Err(SignatureError::Invalid));
    // ... which decode_unverified still shows (display only).
    assert_eq!(decode_unverified(&t).unwrap().ts, 1_599_241_848 ^ 1);

    // Flipped signature bit.
    let mut t = d.clone();
    let mut sig = tmtm_wire::b64::decode(&t.signature).unwrap();
    sig[0] ^= 0x80;
    t.signature = tmtm_wire::b64::encode(&sig);
    assert_eq!(verify(&t), Err(SignatureError::Invalid));

    // Truncated signature, bad base64, bad signer, short sig_data.
    let mut t = d.clone();
    t.signature = tmtm_wire::b64::encode(&sig[..63]);
    assert_eq!(verify(&t), Err(SignatureError::SignatureLength(63)));
    let mut t = d.clone();
    t.signature = "***".into();
    assert_eq!(verify(&t), Err(SignatureError::Base64("signature")));
    let mut t = d.clone();
    t.sig_data = Some("%%".into());
    assert_eq!(verify(&t), Err(SignatureError::Base64("sig_data")));
    let mut t = d.clone();
    t.signer = "not-base58!".into();
    assert!(matches!(verify(&t), Err(SignatureError::Signer(_))));
    let mut t = d.clone();
    t.sig_data = Some(tmtm_wire::b64::encode([0u8; 7]));
    assert_eq!(decode_unverified(&t), Err(SignatureError::SigDataTooShort));

    // Valid signature over non-JSON payload.
    let kp = seed_keys("0000000000000000000000000000SEED");
    let mut bytes = 5u64.to_be_bytes().to_vec();
    bytes.extend_from_slice(b"{not json");
    let t = SignatureDecorator {
        type_: ED25519_SHA512_SINGLE.into(),
        signer: kp.verkey().to_base58(),
        signature: tmtm_wire::b64::encode(kp.sign(&bytes)),
        sig_data: Some(tmtm_wire::b64::encode(&bytes)),
    };
    assert!(matches!(verify(&t), Err(SignatureError::Payload(_))));
}

#[test]
fn verify_from_binds_the_signer() {
    let (kp, d) = sample();
    let other = seed_keys("000000000000000000000000000SEED2");
    assert!(verify_from(&d, &kp.verkey()).is_ok());
    assert_eq!(
        verify_from(&d, &other.verkey()),
        Err(SignatureError::UnexpectedSigner {
            expected: other.verkey(),
            got: kp.verkey()
        })
    );
    // A validly signed decorator from the wrong key never passes (§9.13).
    let forged = sign(&other, &json!({"func": "sha256", "n": 1}), 1).unwrap();
    assert!(verify(&forged).is_ok());
    assert!(verify_from(&forged, &kp.verkey()).is_err());
}

#[test]
fn unpadded_base64_is_accepted_and_floats_refused() {
    let (kp, d) = sample();
    let mut t = d.clone();
    t.signature = t.signature.trim_end_matches('=').to_string();
    t.sig_data = t.sig_data.map(|x| x.trim_end_matches('=').to_string());
    assert!(verify_from(&t, &kp.verkey()).is_ok());
    assert!(matches!(
        sign(&kp, &json!({"x": 1.5}), 0),
        Err(SignatureError::Json(_))
    ));
}

#[test]
fn decorator_deserialises_without_sig_data_and_ignores_extra_keys() {
    let d: SignatureDecorator = serde_json::from_str(
        r#"{"signer": "GXhjv2jGf2oT1sqMyvJtgJxNYPMHmTsdZ3c2ZYQLJExj", "signature": "AA==", "extra": 1}"#,
    )
    .unwrap();
    assert_eq!(d.sig_data, None);
    assert_eq!(d.type_, "");
}
