//! Arbitrary bytes to message parsing, `MessageType::parse` and both JSON serialisations.
//! Must never panic; whatever serialises must re-parse to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tmtm_wire::json;
use tmtm_wire::message::{Message, MessageType};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(t) = MessageType::parse(text) {
            assert_eq!(t.to_string(), text);
        }
    }
    if let Ok(m) = Message::from_slice(data) {
        let _ = m.type_();
        let _ = (m.id(), m.thread_id(), m.please_ack_id(), m.sender_order());
        let _ = m.to_python_json();
    }
    if let Ok(value) = serde_json::from_slice::<Value>(data) {
        if let Ok(c) = json::canonical(&value) {
            let back: Value = serde_json::from_slice(&c).expect("CJSON re-parses");
            assert_eq!(back, value);
        }
        if let Ok(p) = json::python(&value) {
            assert!(p.is_ascii());
            let back: Value = serde_json::from_str(&p).expect("PyJSON re-parses");
            assert_eq!(back, value);
        }
    }
});
