//! Helpers for the command WebSocket tests: users and tokens on a cluster node, one
//! request/answer session over a real WebSocket, REST reads with BasicAuth.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Map, Value};
use tmtm_node::api::tokens;
use tmtm_node::api::users::add_user;
use tmtm_node::secret::Secret;
use tmtm_node::storage::{Database, Role};
use tokio_tungstenite::tungstenite::Message;

pub const PREFIX: &str = "https://github.com/Sirius-social/TMTM/tree/master/transactions/1.0/";
pub const USER: (&str, &str) = ("operator", "operator-password-1");

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Creates the test user on `db` (if missing) and issues a token valid for `lifetime_ms`
/// from `from_ms`.
pub async fn token_at(db: &Database, lifetime_ms: i64, from_ms: i64) -> String {
    let user = match add_user(db, USER.0, &Secret::new(USER.1), Role::Admin, now_ms()).await {
        Ok(u) => u.id,
        Err(_) => db.user_by_name(USER.0).await.unwrap().unwrap().id,
    };
    tokens::issue(db, user, lifetime_ms, from_ms)
        .await
        .unwrap()
        .token
}

pub async fn token(db: &Database) -> String {
    token_at(db, 3_600_000, now_ms()).await
}

/// Sends one frame to `/transactions?token=…` and returns every JSON answer until close.
pub async fn session(port: u16, token: &str, frame: Message) -> Vec<Value> {
    let url = format!("ws://127.0.0.1:{port}/transactions?token={token}");
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    ws.send(frame).await.unwrap();
    let mut out = Vec::new();
    let read = async {
        while let Some(msg) = ws.next().await {
            match msg {
                Ok(Message::Text(t)) => out.push(serde_json::from_str(t.as_str()).unwrap()),
                Ok(Message::Close(frame)) => {
                    let code = frame.map(|f| u16::from(f.code));
                    assert!(
                        matches!(code, Some(1000) | Some(1009)),
                        "close code {code:?}"
                    );
                    break;
                }
                Err(_) => break,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), read)
        .await
        .expect("the node closes the socket after answering");
    out
}

pub async fn request(port: u16, token: &str, msg: &Value) -> Vec<Value> {
    session(port, token, Message::Text(msg.to_string().into())).await
}

/// A valid issue-transaction for `ledger` (a name or a list of names).
pub fn issue(id: &str, no: &str, ledger: Value) -> Map<String, Value> {
    let Value::Object(m) = json!({
        "@type": format!("{PREFIX}issue-transaction"),
        "@id": id,
        "no": no,
        "date": "28.11.2026",
        "cargo": "Уголь каменный",
        "departure_station": "Достык",
        "arrival_station": "Алтынколь",
        "doc_type": "WayBill",
        "ledger": {"name": ledger},
        "waybill": {"no": "WB-1", "wagon_no": "58123456"},
        "~attach": [{"@id": "document-0", "mime_type": "application/pdf",
                     "filename": "wb.pdf",
                     "data": {"json": {"url": "https://x.example/content/a.pdf",
                                       "md5": "d41d8cd98f00b204e9800998ecf8427e"}}}],
        "time_to_live": 15
    }) else {
        unreachable!()
    };
    m
}

pub fn create(id: &str, name: &str) -> Value {
    json!({
        "@type": format!("{PREFIX}create-ledger"),
        "@id": id,
        "name": name,
        "genesis": [Value::Object(issue("g-1", "G-1", json!(name)))],
        "time_to_live": 15
    })
}

/// `GET path` on node `port` with the test user's BasicAuth.
pub async fn rest(port: u16, path: &str) -> Value {
    let resp = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}{path}"))
        .basic_auth(USER.0, Some(USER.1))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    resp.json().await.unwrap()
}

/// The last answer of a session.
pub fn last(answers: &[Value]) -> &Value {
    answers.last().expect("at least one answer")
}
