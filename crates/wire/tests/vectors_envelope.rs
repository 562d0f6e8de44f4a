//! `shared/vectors/envelope.json` (§2.6): unpack the Python SDK's authcrypt envelope, re-create
//! its deterministic parts (encrypted_key, ciphertext‖tag, outer bytes, header layout) from the
//! given CEK and nonces; plus tampering and leniency tests.

mod common;

use common::{s, seed_keys, vector};
use rand::SeedableRng;
use serde_json::{json, Value};
use tmtm_wire::b64;
use tmtm_wire::envelope::{
    box_cek, encrypt_payload, outer_json, pack_with, unpack, unpack_for, EnvelopeError, Randomness,
};

fn rng() -> rand::rngs::StdRng {
    rand::rngs::StdRng::seed_from_u64(42)
}

fn hex32(text: &str) -> [u8; 32] {
    hex::decode(text).unwrap().try_into().unwrap()
}

struct Fixture {
    v: Value,
    outer: Value,
    header: Value,
}

fn fixture() -> Fixture {
    let v = vector("envelope.json");
    let outer: Value = serde_json::from_str(s(&v, "packed")).unwrap();
    let header: Value = serde_json::from_str(s(&v, "protected_decoded")).unwrap();
    Fixture { v, outer, header }
}

#[test]
fn unpacks_python_envelope_exactly() {
    let f = fixture();
    let recipient = seed_keys(s(&f.v["recipient"], "seed"));
    assert_eq!(
        recipient.verkey().to_base58(),
        s(&f.v["recipient"], "verkey")
    );
    assert_eq!(recipient.sigkey_base58(), s(&f.v["recipient"], "sigkey"));
    let out = unpack(s(&f.v, "packed").as_bytes(), &recipient).unwrap();
    let expected = &f.v["expected"];
    assert_eq!(out.plaintext, s(expected, "plaintext").as_bytes());
    assert_eq!(
        out.sender.unwrap().to_base58(),
        s(expected, "sender_verkey")
    );
    assert_eq!(out.sender.unwrap().to_base58(), s(&f.v["sender"], "verkey"));
    assert_eq!(out.recipient, recipient.verkey());
    let message: Value = serde_json::from_slice(&out.plaintext).unwrap();
    assert_eq!(message, expected["message"]);
    // The protected string decodes to exactly protected_decoded.
    let decoded = b64::decode(s(&f.outer, "protected")).unwrap();
    assert_eq!(decoded, s(&f.v, "protected_decoded").as_bytes());
    for (field, len) in [("ciphertext", 67), ("tag", 16), ("iv", 12)] {
        assert_eq!(b64::decode(s(&f.outer, field)).unwrap().len(), len);
        assert_eq!(expected["lengths"][field], len);
    }
}

#[test]
fn recreates_deterministic_parts() {
    let f = fixture();
    let recipient = seed_keys(s(&f.v["recipient"], "seed"));
    let sender = seed_keys(s(&f.v["sender"], "seed"));
    let entry = &f.header["recipients"][0];
    let cek = hex32(s(&f.v["expected"], "cek_hex"));
    let nonce: [u8; 24] = b64::decode(s(&entry["header"], "iv"))
        .unwrap()
        .try_into()
        .unwrap();
    let iv: [u8; 12] = b64::decode(s(&f.outer, "iv")).unwrap().try_into().unwrap();

    // encrypted_key = crypto_box(cek, nonce, curve(recipient), curve(sender secret)).
    let boxed = box_cek(&cek, &nonce, &recipient.verkey(), &sender).unwrap();
    assert_eq!(b64::encode(&boxed), s(entry, "encrypted_key"));
    assert_eq!(boxed.len(), 48);

    // ciphertext‖tag with aad = the protected string as sent.
    let plaintext = s(&f.v["expected"], "plaintext");
    let sealed =
        encrypt_payload(&cek, &iv, s(&f.outer, "protected"), plaintext.as_bytes()).unwrap();
    let mut expected = b64::decode(s(&f.outer, "ciphertext")).unwrap();
    expected.extend(b64::decode(s(&f.outer, "tag")).unwrap());
    assert_eq!(sealed, expected);

    // The outer JSON is byte-identical.
    let outer = outer_json(s(&f.outer, "protected"), &iv, &sealed).unwrap();
    assert_eq!(outer, s(&f.v, "packed").as_bytes());

    // A full pack with the same randomness: same encrypted_key and iv, and a header that is
    // byte-identical to Python's once the (ephemeral-key) sealed sender is substituted.
    let randomness = Randomness {
        cek,
        iv,
        cek_nonces: vec![nonce],
    };
    let ours = pack_with(
        plaintext.as_bytes(),
        Some(&sender),
        &[recipient.verkey()],
        &randomness,
        &mut rng(),
    )
    .unwrap();
    let ours_outer: Value = serde_json::from_slice(&ours).unwrap();
    assert_eq!(ours_outer["iv"], f.outer["iv"]);
    let ours_header_text =
        String::from_utf8(b64::decode(s(&ours_outer, "protected")).unwrap()).unwrap();
    let ours_header: Value = serde_json::from_str(&ours_header_text).unwrap();
    let our_sender = s(&ours_header["recipients"][0]["header"], "sender");
    assert_eq!(b64::decode(our_sender).unwrap().len(), 92);
    assert_eq!(
        ours_header_text.replace(our_sender, s(&entry["header"], "sender")),
        s(&f.v, "protected_decoded")
    );
    // ... and the whole envelope equals Python's after the same substitution in `protected`.
    let protected_py = s(&f.outer, "protected");
    let sealed_ours = encrypt_payload(&cek, &iv, protected_py, plaintext.as_bytes()).unwrap();
    assert_eq!(
        outer_json(protected_py, &iv, &sealed_ours).unwrap(),
        s(&f.v, "packed").as_bytes()
    );
    // Our own envelope opens, authenticated as the sender.
    let out = unpack(&ours, &recipient).unwrap();
    assert_eq!(out.sender, Some(sender.verkey()));
    assert_eq!(out.plaintext, plaintext.as_bytes());
}

/// Re-encodes the fixture with a modified outer object or header (payload re-sealed for a new header).
fn reencode(
    f: &Fixture,
    outer: impl FnOnce(&mut Value),
    header: impl FnOnce(&mut Value),
) -> Vec<u8> {
    let mut h = f.header.clone();
    header(&mut h);
    let mut o = f.outer.clone();
    if h != f.header {
        // A new header is a new AAD: re-seal the payload with the vector's CEK and iv.
        let protected = b64::encode(serde_json::to_vec(&h).unwrap());
        let cek = hex32(s(&f.v["expected"], "cek_hex"));
        let iv: [u8; 12] = b64::decode(s(&f.outer, "iv")).unwrap().try_into().unwrap();
        let plaintext = s(&f.v["expected"], "plaintext").as_bytes();
        let sealed = encrypt_payload(&cek, &iv, &protected, plaintext).unwrap();
        o = serde_json::from_slice(&outer_json(&protected, &iv, &sealed).unwrap()).unwrap();
    }
    outer(&mut o);
    serde_json::to_vec(&o).unwrap()
}

#[test]
fn lenient_inputs_are_accepted() {
    let f = fixture();
    let me = seed_keys(s(&f.v["recipient"], "seed"));
    let expected = s(&f.v["expected"], "plaintext").as_bytes();
    let strip = |x: &Value| Value::from(x.as_str().unwrap().trim_end_matches('='));

    // Compact JSON, reordered keys, unpadded base64url everywhere (except `protected`, whose
    // text is the AAD and therefore cannot change).
    let mut o = serde_json::Map::new();
    for key in ["tag", "ciphertext", "iv", "protected"] {
        let value = if key == "protected" {
            f.outer[key].clone()
        } else {
            strip(&f.outer[key])
        };
        o.insert(key.into(), value);
    }
    let compact = serde_json::to_vec(&Value::Object(o)).unwrap();
    assert_eq!(unpack(&compact, &me).unwrap().plaintext, expected);

    // The tag-split quirk: move 5 bytes of the tag into the ciphertext, or everything.
    let mut all = b64::decode(s(&f.outer, "ciphertext")).unwrap();
    all.extend(b64::decode(s(&f.outer, "tag")).unwrap());
    for split in [all.len() - 11, all.len(), 20] {
        let e = reencode(
            &f,
            |o| {
                o["ciphertext"] = Value::from(b64::encode(&all[..split]));
                o["tag"] = Value::from(b64::encode(&all[split..]));
            },
            |_| {},
        );
        assert_eq!(
            unpack(&e, &me).unwrap().plaintext,
            expected,
            "split {split}"
        );
    }

    // Header with libindy order (kid, iv, sender), unpadded fields, other recipients first.
    let e = reencode(
        &f,
        |_| {},
        |h| {
            let hd = h["recipients"][0]["header"].clone();
            let ek = h["recipients"][0]["encrypted_key"].clone();
            h["recipients"] = json!([
                {"encrypted_key": "AAAA", "header": {"kid": "someone-else"}},
                {"bogus": true},
                {"header": {"iv": strip(&hd["iv"]), "sender": strip(&hd["sender"]), "kid": hd["kid"]},
                 "encrypted_key": strip(&ek)}
            ]);
        },
    );
    let out = unpack(&e, &me).unwrap();
    assert_eq!(out.plaintext, expected);
    assert_eq!(out.sender.unwrap().to_base58(), s(&f.v["sender"], "verkey"));

    // unpack_for picks the right key among several.
    let other = seed_keys("0000000000000000000000000000SEED");
    let out = unpack_for(s(&f.v, "packed").as_bytes(), &[&other, &me]).unwrap();
    assert_eq!(out.recipient, me.verkey());
}

#[test]
fn tampered_envelopes_are_rejected() {
    let f = fixture();
    let me = seed_keys(s(&f.v["recipient"], "seed"));
    let flip = |field: &str| {
        let mut bytes = b64::decode(s(&f.outer, field)).unwrap();
        bytes[0] ^= 1;
        Value::from(b64::encode(bytes))
    };
    let cases: Vec<(Vec<u8>, EnvelopeError)> = vec![
        (
            reencode(&f, |o| o["ciphertext"] = flip("ciphertext"), |_| {}),
            EnvelopeError::DecryptionFailed("payload"),
        ),
        (
            reencode(&f, |o| o["tag"] = flip("tag"), |_| {}),
            EnvelopeError::DecryptionFailed("payload"),
        ),
        (
            reencode(&f, |o| o["iv"] = flip("iv"), |_| {}),
            EnvelopeError::DecryptionFailed("payload"),
        ),
        // A header that differs from the one the payload was sealed with (AAD mismatch).
        (
            reencode(
                &f,
                |o| {
                    let mut h = f.header.clone();
                    h["typ"] = json!("JWM/1.0 ");
                    o["protected"] = Value::from(b64::encode(serde_json::to_vec(&h).unwrap()));
                },
                |_| {},
            ),
            EnvelopeError::DecryptionFailed("payload"),
        ),
        (
            reencode(
                &f,
                |_| {},
                |h| {
                    let ek =
                        b64::decode(h["recipients"][0]["encrypted_key"].as_str().unwrap()).unwrap();
                    let mut ek = ek;
                    ek[3] ^= 1;
                    h["recipients"][0]["encrypted_key"] = Value::from(b64::encode(ek));
                },
            ),
            EnvelopeError::DecryptionFailed("encrypted_key"),
        ),
        (
            reencode(
                &f,
                |_| {},
                |h| {
                    let mut sd =
                        b64::decode(h["recipients"][0]["header"]["sender"].as_str().unwrap())
                            .unwrap();
                    sd[40] ^= 1;
                    h["recipients"][0]["header"]["sender"] = Value::from(b64::encode(sd));
                },
            ),
            EnvelopeError::DecryptionFailed("sender"),
        ),
        (
            reencode(
                &f,
                |_| {},
                |h| h["recipients"][0]["header"]["iv"] = Value::Null,
            ),
            EnvelopeError::AuthcryptWithoutSender,
        ),
        (
            reencode(
                &f,
                |_| {},
                |h| h["recipients"][0]["header"]["sender"] = json!(""),
            ),
            EnvelopeError::AuthcryptWithoutSender,
        ),
        (
            reencode(&f, |_| {}, |h| h["alg"] = json!("Plaincrypt")),
            EnvelopeError::UnsupportedAlg("Plaincrypt".into()),
        ),
        (
            reencode(&f, |_| {}, |h| h["recipients"] = json!([])),
            EnvelopeError::NoRecipients,
        ),
        (
            reencode(
                &f,
                |_| {},
                |h| h["recipients"][0]["header"]["kid"] = json!("nobody"),
            ),
            EnvelopeError::UnknownRecipient,
        ),
        (
            reencode(
                &f,
                |_| {},
                |h| h["recipients"][0]["header"]["iv"] = json!("AAAA"),
            ),
            EnvelopeError::BadLength {
                field: "header.iv",
                expected: 24,
                got: 3,
            },
        ),
        (
            reencode(&f, |o| o["iv"] = json!("AAAA"), |_| {}),
            EnvelopeError::BadLength {
                field: "iv",
                expected: 12,
                got: 3,
            },
        ),
        (
            reencode(&f, |o| o["tag"] = json!("@@"), |_| {}),
            EnvelopeError::Base64("tag"),
        ),
        (
            reencode(
                &f,
                |o| {
                    o.as_object_mut().unwrap().remove("ciphertext");
                },
                |_| {},
            ),
            EnvelopeError::MissingField("ciphertext"),
        ),
        (
            reencode(&f, |o| o["protected"] = json!("e30"), |_| {}),
            EnvelopeError::MissingField("alg"),
        ),
        (
            reencode(&f, |o| o["protected"] = json!("!!"), |_| {}),
            EnvelopeError::Base64("protected"),
        ),
        (
            b"[1,2]".to_vec(),
            EnvelopeError::MalformedJson {
                what: "envelope",
                detail: "not an object".into(),
            },
        ),
    ];
    for (i, (envelope, expected)) in cases.into_iter().enumerate() {
        assert_eq!(unpack(&envelope, &me).unwrap_err(), expected, "case {i}");
    }
    assert!(matches!(
        unpack(b"{", &me),
        Err(EnvelopeError::MalformedJson {
            what: "envelope",
            ..
        })
    ));
    // Wrong key.
    let other = seed_keys("0000000000000000000000000000SEED");
    assert_eq!(
        unpack(s(&f.v, "packed").as_bytes(), &other).unwrap_err(),
        EnvelopeError::UnknownRecipient
    );
}
