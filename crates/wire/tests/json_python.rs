//! CJSON and PyJSON (§1.2) checked against Python's `json` module.
//!
//! The expected strings were produced once with CPython 3 by
//! `json.dumps(v, sort_keys=True, ensure_ascii=False, separators=(',', ':'))` (CJSON) and
//! `json.dumps(v)` (PyJSON), then JSON-encoded with `json.dumps(...)` so this file stays ASCII;
//! the test decodes them back into the exact expected text.

use serde_json::{json, Value};
use tmtm_wire::json::{canonical, canonical_string, python, JsonError, MAX_DEPTH};

struct Case {
    name: &'static str,
    input: &'static str,
    cjson: &'static str,
    pyjson: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "nested",
        input: r#"{"b": 1, "a": [true, false, null, {"z": "x", "y": []}], "c": {}}"#,
        cjson: r#""{\"a\":[true,false,null,{\"y\":[],\"z\":\"x\"}],\"b\":1,\"c\":{}}""#,
        pyjson: r#""{\"b\": 1, \"a\": [true, false, null, {\"z\": \"x\", \"y\": []}], \"c\": {}}""#,
    },
    Case {
        name: "escapes",
        input: r#"{"s": "q\"b\\s/n\nr\rt\tb\bf\fnul\u0000us\u001fdel\u007f"}"#,
        cjson: r#""{\"s\":\"q\\\"b\\\\s/n\\nr\\rt\\tb\\bf\\fnul\\u0000us\\u001fdel\u007f\"}""#,
        pyjson: r#""{\"s\": \"q\\\"b\\\\s/n\\nr\\rt\\tb\\bf\\fnul\\u0000us\\u001fdel\\u007f\"}""#,
    },
    Case {
        name: "unicode",
        input: r#"{"ru": "\u0441\u0442\u0440\u043e\u043a\u0430", "emoji": "a\ud83d\ude00b", "nbsp": "\u00a0", "ls": "\u2028", "bom": "\ufeff"}"#,
        cjson: r#""{\"bom\":\"\ufeff\",\"emoji\":\"a\ud83d\ude00b\",\"ls\":\"\u2028\",\"nbsp\":\"\u00a0\",\"ru\":\"\u0441\u0442\u0440\u043e\u043a\u0430\"}""#,
        pyjson: r#""{\"ru\": \"\\u0441\\u0442\\u0440\\u043e\\u043a\\u0430\", \"emoji\": \"a\\ud83d\\ude00b\", \"nbsp\": \"\\u00a0\", \"ls\": \"\\u2028\", \"bom\": \"\\ufeff\"}""#,
    },
    Case {
        name: "keys_astral_vs_bmp",
        input: r#"{"\ufb01": 1, "\ud83d\ude00": 2, "a": 3, "\u00e9": 4, "Z": 5, "": 6}"#,
        cjson: r#""{\"\":6,\"Z\":5,\"a\":3,\"\u00e9\":4,\"\ufb01\":1,\"\ud83d\ude00\":2}""#,
        pyjson: r#""{\"\\ufb01\": 1, \"\\ud83d\\ude00\": 2, \"a\": 3, \"\\u00e9\": 4, \"Z\": 5, \"\": 6}""#,
    },
    Case {
        name: "ints",
        input: r#"{"neg": -9223372036854775808, "big": 18446744073709551615, "zero": 0}"#,
        cjson: r#""{\"big\":18446744073709551615,\"neg\":-9223372036854775808,\"zero\":0}""#,
        pyjson: r#""{\"neg\": -9223372036854775808, \"big\": 18446744073709551615, \"zero\": 0}""#,
    },
    Case {
        name: "top_string",
        input: r#""a/b""#,
        cjson: r#""\"a/b\"""#,
        pyjson: r#""\"a/b\"""#,
    },
    Case {
        name: "top_list",
        input: r#"[1, "two", [3, [4, {}]]]"#,
        cjson: r#""[1,\"two\",[3,[4,{}]]]""#,
        pyjson: r#""[1, \"two\", [3, [4, {}]]]""#,
    },
    Case {
        name: "spec_plaintext",
        input: r#"{"content": "Test encryption \u0441\u0442\u0440\u043e\u043a\u0430"}"#,
        cjson: r#""{\"content\":\"Test encryption \u0441\u0442\u0440\u043e\u043a\u0430\"}""#,
        pyjson: r#""{\"content\": \"Test encryption \\u0441\\u0442\\u0440\\u043e\\u043a\\u0430\"}""#,
    },
    Case {
        name: "deep_sort",
        input: r#"{"z": {"b": {"d": 1, "c": 2}, "a": 0}, "y": [{"k2": 1, "k1": 2}]}"#,
        cjson: r#""{\"y\":[{\"k1\":2,\"k2\":1}],\"z\":{\"a\":0,\"b\":{\"c\":2,\"d\":1}}}""#,
        pyjson: r#""{\"z\": {\"b\": {\"d\": 1, \"c\": 2}, \"a\": 0}, \"y\": [{\"k2\": 1, \"k1\": 2}]}""#,
    },
];

#[test]
fn matches_python_output() {
    for case in CASES {
        let value: Value = serde_json::from_str(case.input).unwrap();
        let cjson: String = serde_json::from_str(case.cjson).unwrap();
        let pyjson: String = serde_json::from_str(case.pyjson).unwrap();
        assert_eq!(
            canonical_string(&value).unwrap(),
            cjson,
            "CJSON {}",
            case.name
        );
        assert_eq!(
            canonical(&value).unwrap(),
            cjson.as_bytes(),
            "CJSON bytes {}",
            case.name
        );
        let py = python(&value).unwrap();
        assert_eq!(py, pyjson, "PyJSON {}", case.name);
        assert!(py.is_ascii(), "PyJSON must be ASCII: {}", case.name);
    }
}

#[test]
fn astral_keys_sort_after_bmp_keys_by_code_point() {
    // UTF-16 order would put U+1F600 (surrogates D83D DE00) before U+FB01; Python and
    // UTF-8 byte order put it after.
    let value = json!({"\u{1F600}": 1, "\u{FB01}": 2, "\u{FFFF}": 3, "\u{10000}": 4});
    assert_eq!(
        canonical_string(&value).unwrap(),
        "{\"\u{FB01}\":2,\"\u{FFFF}\":3,\"\u{10000}\":4,\"\u{1F600}\":1}"
    );
    let mut keys = vec![
        "\u{1F600}".to_string(),
        "\u{FB01}".to_string(),
        "a".to_string(),
    ];
    keys.sort();
    assert_eq!(keys, ["a", "\u{FB01}", "\u{1F600}"]);
}

#[test]
fn floats_are_rejected_everywhere() {
    for value in [json!(1.5), json!({"a": [1, {"b": 0.0}]}), json!([1e300])] {
        assert_eq!(canonical(&value), Err(JsonError::Float));
        assert_eq!(python(&value), Err(JsonError::Float));
    }
    // Integers beyond u64 parse as floats in serde_json, so they are rejected too.
    let huge: Value = serde_json::from_str("18446744073709551616").unwrap();
    assert_eq!(canonical(&huge), Err(JsonError::Float));
}

#[test]
fn depth_is_bounded() {
    let mut ok = json!(1);
    for _ in 0..MAX_DEPTH {
        ok = json!([ok]);
    }
    assert!(canonical(&ok).is_ok());
    let too_deep = json!({"k": ok});
    assert_eq!(canonical(&too_deep), Err(JsonError::TooDeep));
    assert_eq!(python(&too_deep), Err(JsonError::TooDeep));
}

#[test]
fn python_keeps_insertion_order() {
    let value: Value = serde_json::from_str(r#"{"z": 1, "a": 2, "m": {"y": 1, "b": 2}}"#).unwrap();
    assert_eq!(
        python(&value).unwrap(),
        r#"{"z": 1, "a": 2, "m": {"y": 1, "b": 2}}"#
    );
    assert_eq!(
        canonical_string(&value).unwrap(),
        r#"{"a":2,"m":{"b":2,"y":1},"z":1}"#
    );
}
