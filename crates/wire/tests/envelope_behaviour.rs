//! Envelope behaviour beyond the vector (§2): size and recipient limits, anoncrypt with one or
//! several recipients (Python's header layout, libindy's header without `sender`/`iv`), and
//! forward wrapping for routing keys (§2.5).

mod common;

use common::{s, seed_keys};
use rand::SeedableRng;
use serde_json::{json, Value};
use tmtm_wire::b64;
use tmtm_wire::envelope::{
    encrypt_payload, pack, pack_with, unpack, wrap_forward, EnvelopeError, Randomness,
    MAX_ENVELOPE_BYTES, MAX_RECIPIENTS,
};
use tmtm_wire::keys::Verkey;
use tmtm_wire::message::{Message, FORWARD_TYPE};

fn rng() -> rand::rngs::StdRng {
    rand::rngs::StdRng::seed_from_u64(42)
}

#[test]
fn size_and_recipient_limits() {
    let me = seed_keys("000000000000000000000000000SEED1");
    let huge = vec![b' '; MAX_ENVELOPE_BYTES + 1];
    assert!(matches!(
        unpack(&huge, &me),
        Err(EnvelopeError::TooLarge { .. })
    ));
    let many: Vec<Verkey> = (0..=MAX_RECIPIENTS as u8)
        .map(|i| seed_keys(&format!("{i:0>32}")).verkey())
        .collect();
    assert!(matches!(
        pack(b"x", Some(&me), &many, &mut rng()),
        Err(EnvelopeError::TooManyRecipients { .. })
    ));
    assert_eq!(
        pack(b"x", Some(&me), &[], &mut rng()).unwrap_err(),
        EnvelopeError::NoRecipients
    );
    let big = vec![b'a'; MAX_ENVELOPE_BYTES];
    assert!(matches!(
        pack(&big, None, &[me.verkey()], &mut rng()),
        Err(EnvelopeError::TooLarge { .. })
    ));
    // A header listing too many recipients.
    let entries: Vec<Value> = (0..=MAX_RECIPIENTS)
        .map(|_| json!({"encrypted_key": "", "header": {"kid": "x"}}))
        .collect();
    let header = json!({"alg": "Anoncrypt", "recipients": entries});
    let e = json!({"protected": b64::encode(serde_json::to_vec(&header).unwrap()), "iv": "", "ciphertext": "", "tag": ""});
    assert!(matches!(
        unpack(&serde_json::to_vec(&e).unwrap(), &me),
        Err(EnvelopeError::TooManyRecipients { .. })
    ));
}

#[test]
fn anoncrypt_and_multi_recipient() {
    let a = seed_keys("0000000000000000000000000SiriusA");
    let b = seed_keys("0000000000000000000000000SiriusB");
    let c = seed_keys("0000000000000000000000000SiriusC");
    let msg = br#"{"@type": "x", "content": "hi"}"#;
    let env = pack(msg, None, &[b.verkey(), c.verkey()], &mut rng()).unwrap();
    let text = std::str::from_utf8(&env).unwrap();
    assert!(text.starts_with("{\"protected\": \""), "{text}");
    let header: String = String::from_utf8(
        b64::decode(
            serde_json::from_str::<Value>(text).unwrap()["protected"]
                .as_str()
                .unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(header.starts_with("{\"enc\": \"xchacha20poly1305_ietf\", \"typ\": \"JWM/1.0\", \"alg\": \"Anoncrypt\", \"recipients\": [{\"encrypted_key\": \""), "{header}");
    assert!(
        header.contains("\"sender\": null, \"iv\": null}"),
        "{header}"
    );
    for k in [&b, &c] {
        let out = unpack(&env, k).unwrap();
        assert_eq!(out.plaintext, msg);
        assert_eq!(out.sender, None);
    }
    assert_eq!(
        unpack(&env, &a).unwrap_err(),
        EnvelopeError::UnknownRecipient
    );
    // Anoncrypt relabelled as Authcrypt must be refused.
    let mut outer: Value = serde_json::from_slice(&env).unwrap();
    let relabelled = header.replace("Anoncrypt", "Authcrypt");
    outer["protected"] = Value::from(b64::encode(relabelled));
    assert_eq!(
        unpack(&serde_json::to_vec(&outer).unwrap(), &b).unwrap_err(),
        EnvelopeError::AuthcryptWithoutSender
    );
}

#[test]
fn anoncrypt_header_without_sender_and_iv_keys() {
    // RFC 0019 / libindy style: compact JSON, no `sender`/`iv` keys at all, unpadded fields.
    let me = seed_keys("0000000000000000000000000SiriusB");
    let randomness = Randomness {
        cek: [7; 32],
        iv: [9; 12],
        cek_nonces: vec![],
    };
    let env = pack_with(b"hi", None, &[me.verkey()], &randomness, &mut rng()).unwrap();
    let outer: Value = serde_json::from_slice(&env).unwrap();
    let header: Value =
        serde_json::from_slice(&b64::decode(s(&outer, "protected")).unwrap()).unwrap();
    let entry = &header["recipients"][0];
    let compact = json!({"recipients": [{"header": {"kid": entry["header"]["kid"]},
                          "encrypted_key": s(entry, "encrypted_key").trim_end_matches('=')}],
                         "alg": "Anoncrypt", "typ": "JWM/1.0", "enc": "xchacha20poly1305_ietf"});
    let protected = b64::encode(serde_json::to_vec(&compact).unwrap());
    let protected = protected.trim_end_matches('=');
    let sealed = encrypt_payload(&[7; 32], &[9; 12], protected, b"hi").unwrap();
    let (ct, tag) = sealed.split_at(sealed.len() - 16);
    let e = json!({"iv": b64::encode([9u8; 12]).trim_end_matches('='), "protected": protected,
                   "tag": b64::encode(tag), "ciphertext": b64::encode(ct)});
    let out = unpack(&serde_json::to_vec(&e).unwrap(), &me).unwrap();
    assert_eq!(out.plaintext, b"hi");
    assert_eq!(out.sender, None);
}

#[test]
fn forward_wrapping_for_routing_keys() {
    let sender = seed_keys("0000000000000000000000000SiriusA");
    let recipient = seed_keys("0000000000000000000000000SiriusB");
    let k1 = seed_keys("0000000000000000000000000Mediat1");
    let k2 = seed_keys("0000000000000000000000000Mediat2");
    let mut r = rng();
    let inner = pack(
        b"{\"hello\": 1}",
        Some(&sender),
        &[recipient.verkey()],
        &mut r,
    )
    .unwrap();
    assert_eq!(
        wrap_forward(&inner, &recipient.verkey(), &[], Some(&sender), &mut r).unwrap(),
        inner
    );
    let wrapped = wrap_forward(
        &inner,
        &recipient.verkey(),
        &[k1.verkey(), k2.verkey()],
        Some(&sender),
        &mut r,
    )
    .unwrap();

    // Outermost layer: for k2, forward to k1.
    let l2 = unpack(&wrapped, &k2).unwrap();
    assert_eq!(l2.sender, Some(sender.verkey()));
    let m2 = Message::from_slice(&l2.plaintext).unwrap();
    assert_eq!(m2.type_str(), FORWARD_TYPE);
    assert_eq!(m2.get_str("to"), Some(k1.verkey().to_base58().as_str()));
    assert_eq!(m2.id().unwrap().len(), 32);
    let keys: Vec<&String> = m2.as_map().keys().collect();
    assert_eq!(keys, ["@id", "@type", "to", "msg"]);
    // Middle layer: for k1, forward to the recipient.
    let l1_bytes = serde_json::to_vec(m2.get("msg").unwrap()).unwrap();
    let l1 = unpack(&l1_bytes, &k1).unwrap();
    let m1 = Message::from_slice(&l1.plaintext).unwrap();
    assert_eq!(
        m1.get_str("to"),
        Some(recipient.verkey().to_base58().as_str())
    );
    // Innermost: the original envelope, re-serialised as PyJSON byte for byte.
    let innermost = tmtm_wire::json::python(m1.get("msg").unwrap()).unwrap();
    assert_eq!(innermost.as_bytes(), inner.as_slice());
    let out = unpack(innermost.as_bytes(), &recipient).unwrap();
    assert_eq!(out.plaintext, b"{\"hello\": 1}");

    // Anoncrypt forwards without a sender.
    let anon = wrap_forward(&inner, &recipient.verkey(), &[k1.verkey()], None, &mut r).unwrap();
    assert_eq!(unpack(&anon, &k1).unwrap().sender, None);
    assert!(matches!(
        wrap_forward(b"nope", &recipient.verkey(), &[k1.verkey()], None, &mut r),
        Err(EnvelopeError::MalformedJson { .. })
    ));
}
