//! Agent messages (§3, §7): parsing, accessors and the exact PyJSON of every builder.

use rand::SeedableRng;
use serde_json::json;
use tmtm_wire::message::{
    ack, ack_with_status, basic_message, forward, new_hex_id, new_message_id, ping, ping_response,
    problem_report, AckStatus, Message, MessageError, MessageType, DOC_URI_SOV,
};

const SOV: &str = "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/";

#[test]
fn builders_match_python_layout() {
    assert_eq!(DOC_URI_SOV, SOV);
    let cases = [
        (
            problem_report("simple-consensus", "request_not_accepted", "Transaction has not metadata", "thid-1", "id-1"),
            format!("{{\"@type\": \"{SOV}simple-consensus/1.0/problem_report\", \"@id\": \"id-1\", \"problem-code\": \"request_not_accepted\", \"explain\": \"Transaction has not metadata\", \"~thread\": {{\"thid\": \"thid-1\"}}}}"),
        ),
        (
            problem_report("connections/1.0", "x", "\u{0441}", None, "id-2"),
            format!("{{\"@type\": \"{SOV}connections/1.0/problem_report\", \"@id\": \"id-2\", \"problem-code\": \"x\", \"explain\": \"\\u0441\"}}"),
        ),
        (
            ack("t", "id-3"),
            format!("{{\"@type\": \"{SOV}notification/1.0/ack\", \"@id\": \"id-3\", \"status\": \"OK\", \"~thread\": {{\"thid\": \"t\"}}}}"),
        ),
        (
            ack_with_status("t", "id-4", AckStatus::Fail),
            format!("{{\"@type\": \"{SOV}notification/1.0/ack\", \"@id\": \"id-4\", \"status\": \"FAIL\", \"~thread\": {{\"thid\": \"t\"}}}}"),
        ),
        (
            ping("id-5", Some("2021-03-27 12:00:00.1"), Some(true)),
            format!("{{\"@type\": \"{SOV}trust_ping/1.0/ping\", \"@id\": \"id-5\", \"comment\": \"2021-03-27 12:00:00.1\", \"response_requested\": true}}"),
        ),
        (ping("id-6", None, None), format!("{{\"@type\": \"{SOV}trust_ping/1.0/ping\", \"@id\": \"id-6\"}}")),
        (
            ping_response("id-5", "id-7", None),
            format!("{{\"@type\": \"{SOV}trust_ping/1.0/ping_response\", \"@id\": \"id-7\", \"~thread\": {{\"thid\": \"id-5\"}}}}"),
        ),
        (
            basic_message("id-8", "hi", Some("en"), Some("2021-03-27T12:34:56+03:00")),
            format!("{{\"@type\": \"{SOV}basicmessage/1.0/message\", \"@id\": \"id-8\", \"~l10n\": {{\"locale\": \"en\"}}, \"content\": \"hi\", \"sent_time\": \"2021-03-27T12:34:56+03:00\"}}"),
        ),
        (
            basic_message("id-9", "x", None, None),
            format!("{{\"@type\": \"{SOV}basicmessage/1.0/message\", \"@id\": \"id-9\", \"content\": \"x\"}}"),
        ),
    ];
    for (message, expected) in cases {
        assert_eq!(message.to_python_json().unwrap(), expected);
        // Every builder's output re-parses into an equal message.
        let back = Message::from_slice(expected.as_bytes()).unwrap();
        assert_eq!(back, message);
    }
    let vk = tmtm_wire::keys::KeyPair::from_seed(&[1; 32]).verkey();
    let fwd = forward("abc", &vk, json!({"protected": "p"}));
    assert_eq!(
        fwd.to_python_json().unwrap(),
        format!("{{\"@id\": \"abc\", \"@type\": \"https://didcomm.org/routing/1.0/forward\", \"to\": \"{vk}\", \"msg\": {{\"protected\": \"p\"}}}}")
    );
}

#[test]
fn accessors() {
    let m = Message::from_slice(
        br#"{"@type": "https://didcomm.org/trust_ping/1.0/ping", "@id": "p1", "~thread": {"thid": "p1", "sender_order": 3}, "~please_ack": {"message_id": "p1"}, "response_requested": true}"#,
    )
    .unwrap();
    let t = m.type_().unwrap();
    assert!(t.is("trust_ping", "ping"));
    assert!(m.is("trust_ping", "ping"));
    assert!(!m.is("trust_ping", "ping_response"));
    assert_eq!(m.id(), Some("p1"));
    assert_eq!(m.thread_id(), Some("p1"));
    assert_eq!(m.sender_order(), Some(3));
    assert_eq!(m.please_ack_id(), Some("p1"));
    assert_eq!(m.get("response_requested"), Some(&json!(true)));
    assert_eq!(
        m.get_str("@type"),
        Some("https://didcomm.org/trust_ping/1.0/ping")
    );

    let mut m = ping("p2", None, None);
    m.set_thread("t9", Some(0));
    m.set_please_ack();
    assert!(!m.set("@id", json!(5)));
    assert!(m.set("extra", json!([1])));
    assert_eq!(m.remove("@type"), None);
    assert_eq!(
        m.to_python_json().unwrap(),
        format!("{{\"@type\": \"{SOV}trust_ping/1.0/ping\", \"@id\": \"p2\", \"~thread\": {{\"thid\": \"t9\", \"sender_order\": 0}}, \"~please_ack\": {{\"message_id\": \"p2\"}}, \"extra\": [1]}}")
    );
    assert_eq!(m.remove("extra"), Some(json!([1])));
    let value = m.clone().into_value();
    assert_eq!(Message::from_value(value).unwrap(), m);
}

#[test]
fn malformed_messages_are_rejected() {
    assert!(matches!(
        Message::from_slice(b"{"),
        Err(MessageError::Json(_))
    ));
    assert_eq!(Message::from_slice(b"[1]"), Err(MessageError::NotAnObject));
    assert_eq!(Message::from_slice(b"{}"), Err(MessageError::MissingType));
    assert_eq!(
        Message::from_slice(br#"{"@type": 1}"#),
        Err(MessageError::MissingType)
    );
    assert_eq!(
        Message::from_slice(br#"{"@type": "a/1.0/b", "@id": 7}"#),
        Err(MessageError::BadId)
    );
    let m = Message::from_slice(br#"{"@type": "not a type"}"#).unwrap();
    assert!(matches!(m.type_(), Err(MessageError::BadType(_))));
    assert!(!m.is("a", "b"));
    assert_eq!(m.id(), None);
    assert_eq!(m.thread_id(), None);
    let f = Message::from_slice(br#"{"@type": "a/1.0/b", "x": 1.5}"#).unwrap();
    assert!(matches!(
        f.to_python_json(),
        Err(MessageError::Serialise(_))
    ));
}

#[test]
fn type_round_trip_and_ids() {
    for text in [
        "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/simple-consensus/1.0/stage-propose",
        "https://didcomm.org/notification/1.0/ack",
        "https://github.com/Sirius-social/TMTM/tree/master/transactions/1.0/gu-12",
    ] {
        assert_eq!(MessageType::parse(text).unwrap().to_string(), text);
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let a = new_message_id(&mut rng);
    let b = new_message_id(&mut rng);
    assert_ne!(a, b);
    assert_eq!(a.len(), 36);
    assert_eq!(new_hex_id(&mut rng).len(), 32);
}
