//! The command WebSocket's refusals over a real socket: every validation text of
//! `original-tmtm.md` §3.6, malformed frames, and token checks at the handshake. Each
//! answer is exactly one `problem_report`, after which the node closes the socket.

mod multinode_support;
mod ws_support;

use multinode_support::Cluster;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;
use ws_support::{create, issue, last, now_ms, request, session, token, token_at, PREFIX};

fn problem(answers: &[Value], code: &str, explain: &str) {
    assert_eq!(answers.len(), 1, "{answers:?}");
    let p = last(answers);
    assert_eq!(p["@type"], json!(format!("{PREFIX}problem_report")), "{p}");
    assert_eq!(p["problem-code"], json!(code), "{p}");
    assert_eq!(p["explain"], json!(explain), "{p}");
}

fn with(
    mut base: serde_json::Map<String, Value>,
    edit: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> Value {
    edit(&mut base);
    Value::Object(base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_validation_text_of_the_original() {
    let mut c = Cluster::new(1).await;
    c.start(0).await;
    let port = c.ports[0];
    let t = token(&c.node(0).db).await;
    let ok = || issue("i-1", "N-1", json!("C1"));
    let attach = |a: Value| {
        with(ok(), |m| {
            m.insert("~attach".into(), json!([a]));
        })
    };
    let mut cases: Vec<(Value, &str, String)> = vec![
        (
            json!({"@id": "x"}),
            "request_error",
            "Missing @type attribute in request".into(),
        ),
        (
            json!({"@type": "https://example.org/other"}),
            "request_error",
            "Unexpected @type = \"https://example.org/other\"".into(),
        ),
        (
            json!({"@type": format!("{PREFIX}create-ledger"), "@id": "1", "genesis": [1]}),
            "request_error",
            "Missing [name] attribute in request".into(),
        ),
        (
            json!({"@type": format!("{PREFIX}create-ledger"), "@id": "1", "name": "", "genesis": [1]}),
            "request_error",
            "[name] attribute is empty".into(),
        ),
        (
            json!({"@type": format!("{PREFIX}create-ledger"), "name": "C", "genesis": [1]}),
            "request_error",
            "Missing [@id] attribute in request".into(),
        ),
        (
            json!({"@type": format!("{PREFIX}create-ledger"), "@id": "1", "name": "C"}),
            "request_error",
            "Missing [genesis] attribute in request".into(),
        ),
        (
            json!({"@type": format!("{PREFIX}create-ledger"), "@id": "1", "name": "C", "genesis": []}),
            "request_error",
            "[genesis] attribute is empty".into(),
        ),
        (
            with(create("1", "C").as_object().unwrap().clone(), |m| {
                m.insert("time_to_live".into(), json!(0));
            }),
            "request_error",
            "[time_to_live] attribute is empty".into(),
        ),
        (
            json!({"@type": format!("{PREFIX}create-ledger"), "@id": "1", "name": "C",
                "genesis": [with(ok(), |m| { m.shift_remove("cargo"); })]}),
            "request_error",
            "Transaction: missing [cargo] attribute".into(),
        ),
        (
            with(ok(), |m| {
                m.insert("ledger".into(), json!({"name": ""}));
            }),
            "request_error",
            "Transaction: ledger.name is empty".into(),
        ),
        (
            with(ok(), |m| {
                m.insert("ledger".into(), json!("C1"));
            }),
            "request_error",
            "Transaction: ledger.name is empty".into(),
        ),
        (
            with(ok(), |m| {
                m.insert("waybill".into(), json!({"no": "", "other": 1}));
            }),
            "request_error",
            "Transaction: you should fill [waybill] attributes".into(),
        ),
        (
            attach(
                json!({"@id": "d", "filename": "f", "data": {"json": {"url": "u", "md5": "m"}}}),
            ),
            "request_error",
            "Transaction attachment: missing [mime_type] attribute".into(),
        ),
        (
            attach(
                json!({"mime_type": "a/b", "filename": "f", "data": {"json": {"url": "u", "md5": "m"}}}),
            ),
            "request_error",
            "Transaction attachment: missing [@id] attribute".into(),
        ),
        (
            attach(
                json!({"@id": "d", "mime_type": "a/b", "data": {"json": {"url": "u", "md5": "m"}}}),
            ),
            "request_error",
            "Transaction attachment: missing [filename] attribute".into(),
        ),
        (
            attach(json!({"@id": "d", "mime_type": "a/b", "filename": "f"})),
            "request_error",
            "Transaction attachment: missing [data] attribute".into(),
        ),
        (
            attach(
                json!({"@id": "d", "mime_type": "a/b", "filename": "f", "data": {"json": {"url": "u"}}}),
            ),
            "request_error",
            "Transaction attachment: [url] and [md5] should be set".into(),
        ),
        (
            with(ok(), |m| {
                m.insert("ledger".into(), json!({"name": 7}));
            }),
            "request_processing_error",
            "Unexpected ledger_name type: number".into(),
        ),
        (
            json!({"@type": format!("{PREFIX}gu-12"), "@id": "g"}),
            "request_error",
            "Missing [no] attribute".into(),
        ),
        (
            json!({"@type": format!("{PREFIX}gu-11"), "@id": "g", "no": "1", "date": "d",
                "cargo_name": "c", "depart_station": "a", "arrival_station": "b", "month": "1",
                "year": "2026", "tonnage": "1", "shipper": "s"}),
            "request_error",
            "Missing decade attribute for \"ГУ-11\"".into(),
        ),
    ];
    for attr in [
        "@id",
        "no",
        "date",
        "cargo",
        "departure_station",
        "arrival_station",
        "doc_type",
        "ledger",
    ] {
        cases.push((
            with(ok(), |m| {
                m.shift_remove(attr);
            }),
            "request_error",
            format!("Transaction: missing [{attr}] attribute"),
        ));
        cases.push((
            with(ok(), |m| {
                m.insert(attr.into(), json!(""));
            }),
            "request_error",
            format!("Transaction: [{attr}] attribute is empty"),
        ));
    }
    for (msg, code, explain) in &cases {
        let answers = request(port, &t, msg).await;
        problem(&answers, code, explain);
    }
    // Nothing reached consensus.
    assert!(c.node(0).db.ledger_by_name("C1").await.unwrap().is_none());
    c.stop_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_are_answered_and_closed() {
    let mut c = Cluster::new(1).await;
    c.start(0).await;
    let port = c.ports[0];
    let t = token(&c.node(0).db).await;
    let answers = session(port, &t, Message::Text("{not json".into())).await;
    assert_eq!(answers.len(), 1);
    assert_eq!(last(&answers)["problem-code"], json!("request_error"));
    assert!(last(&answers)["explain"]
        .as_str()
        .unwrap()
        .starts_with("Invalid JSON"));
    let answers = session(port, &t, Message::Binary(vec![0xff, 0xfe, 0x00].into())).await;
    assert_eq!(
        last(&answers)["explain"],
        json!("Request must be UTF-8 JSON")
    );
    let answers = session(port, &t, Message::Text("[1,2]".into())).await;
    assert_eq!(
        last(&answers)["explain"],
        json!("Request must be a JSON object")
    );
    // UTF-8 JSON in a binary frame is a request like a text frame.
    let bin = json!({"@type": "x"}).to_string().into_bytes();
    let answers = session(port, &t, Message::Binary(bin.into())).await;
    assert_eq!(last(&answers)["explain"], json!("Unexpected @type = \"x\""));
    // A frame many times the session's read buffer (`READ_BUFFER`), below the limit, is read
    // whole: the answer is about its content.
    let large = json!({"@type": "x", "pad": "p".repeat(300 * 1024)}).to_string();
    assert!(large.len() > 30 * tmtm_node::api::ws::READ_BUFFER);
    let answers = session(port, &t, Message::Text(large.into())).await;
    assert_eq!(last(&answers)["explain"], json!("Unexpected @type = \"x\""));
    // An oversize frame is refused with a problem report, without harming the node. The node
    // stops reading at the frame header, so when the client is still writing the rest of the
    // 2 MiB the kernel may answer with a reset that discards the report: then the client sees
    // the reset, never an accepted request.
    let big = "x".repeat(2 * 1024 * 1024);
    match oversize_session(port, &t, big).await {
        Some(answers) => {
            assert_eq!(answers.len(), 1, "{answers:?}");
            assert_eq!(last(&answers)["problem-code"], json!("request_error"));
            assert!(last(&answers)["explain"]
                .as_str()
                .unwrap()
                .starts_with("Bad frame"));
        }
        None => eprintln!("oversize frame: connection reset while sending (report discarded)"),
    }
    let answers = session(port, &t, Message::Text("{}".into())).await;
    assert_eq!(
        last(&answers)["explain"],
        json!("Missing @type attribute in request")
    );
    c.stop_all().await;
}

/// Sends an oversize text frame; `None` if the connection was reset while sending or reading
/// (the report may be lost with it), else every JSON answer until the close.
async fn oversize_session(port: u16, token: &str, text: String) -> Option<Vec<Value>> {
    use futures_util::{SinkExt, StreamExt};
    let url = format!("ws://127.0.0.1:{port}/transactions?token={token}");
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    if ws.send(Message::Text(text.into())).await.is_err() {
        return None;
    }
    let mut out = Vec::new();
    let read = async {
        while let Some(msg) = ws.next().await {
            match msg {
                Ok(Message::Text(t)) => out.push(serde_json::from_str(t.as_str()).unwrap()),
                Ok(Message::Close(_)) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        true
    };
    let clean = tokio::time::timeout(std::time::Duration::from_secs(60), read)
        .await
        .expect("the node answers or closes");
    (clean || !out.is_empty()).then_some(out)
}

async fn handshake_status(port: u16, query: &str) -> Option<u16> {
    let url = format!("ws://127.0.0.1:{port}/transactions{query}");
    match tokio_tungstenite::connect_async(url).await {
        Ok(_) => None,
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Some(resp.status().as_u16()),
        Err(e) => panic!("unexpected handshake error {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_wrong_and_expired_tokens_are_refused_at_the_handshake() {
    let mut c = Cluster::new(1).await;
    c.start(0).await;
    let port = c.ports[0];
    let db = c.node(0).db.clone();
    let good = token(&db).await;
    let expired = token_at(&db, 1000, now_ms() - 60_000).await;
    assert_eq!(handshake_status(port, "").await, Some(401));
    assert_eq!(
        handshake_status(port, &format!("?token={}", "ab".repeat(32))).await,
        Some(401)
    );
    assert_eq!(
        handshake_status(port, &format!("?token={expired}")).await,
        Some(401)
    );
    assert_eq!(handshake_status(port, "?token=short").await, Some(401));
    // The parameter name is case-insensitive, as in the original.
    assert_eq!(
        handshake_status(port, &format!("?TOKEN={good}")).await,
        None
    );
    c.stop_all().await;
}
