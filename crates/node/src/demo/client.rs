//! A small loopback client for `tmtm demo`: it talks to the demo nodes the way an operator's
//! tools would — `/readyz`, BasicAuth REST, `POST /upload`, and one request per connection on
//! the command WebSocket `/transactions`.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use super::setup::DemoNode;
use super::DemoError;

/// How long one WebSocket request may take (the round itself is bounded by `time_to_live`).
const WS_TIMEOUT: Duration = Duration::from_secs(60);

/// A client for one demo node.
pub struct NodeClient<'a> {
    http: reqwest::Client,
    node: &'a DemoNode,
}

fn http_err(what: &str, e: impl std::fmt::Display) -> DemoError {
    DemoError::Client(format!("{what}: {e}"))
}

impl<'a> NodeClient<'a> {
    pub fn new(http: reqwest::Client, node: &'a DemoNode) -> Self {
        NodeClient { http, node }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.node.api_url())
    }

    /// Whether `/readyz` answers 200.
    pub async fn ready(&self) -> bool {
        let resp = self
            .http
            .get(self.url("/readyz"))
            .timeout(Duration::from_secs(2))
            .send()
            .await;
        matches!(resp, Ok(r) if r.status().is_success())
    }

    async fn json(&self, req: reqwest::RequestBuilder, what: &str) -> Result<Value, DemoError> {
        let resp = req
            .basic_auth(&self.node.username, Some(self.node.password.expose()))
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| http_err(what, e))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| http_err(what, e))?;
        if !status.is_success() {
            return Err(http_err(what, format!("HTTP {status}")));
        }
        serde_json::from_slice(&bytes).map_err(|e| http_err(what, e))
    }

    /// `GET path` as the node's admin.
    pub async fn get(&self, path: &str) -> Result<Value, DemoError> {
        self.json(self.http.get(self.url(path)), path).await
    }

    /// A fresh WebSocket token (`POST /maintenance/allocate_token/`).
    pub async fn token(&self) -> Result<String, DemoError> {
        let req = self
            .http
            .post(self.url("/maintenance/allocate_token/"))
            .header("content-type", "application/json")
            .body(r#"{"lifetime_secs": 300}"#);
        let answer = self.json(req, "allocate_token").await?;
        answer
            .get("token")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| http_err("allocate_token", "no token in the answer"))
    }

    /// Uploads a small text document; returns the `~attach` item that references it.
    pub async fn upload_text(
        &self,
        attach_id: &str,
        filename: &str,
        text: &str,
    ) -> Result<Value, DemoError> {
        let part = reqwest::multipart::Part::bytes(text.as_bytes().to_vec())
            .file_name(filename.to_owned())
            .mime_str("text/plain")
            .map_err(|e| http_err("upload", e))?;
        let form = reqwest::multipart::Form::new().part("file", part);
        let answer = self
            .json(
                self.http.post(self.url("/upload")).multipart(form),
                "upload",
            )
            .await?;
        let field = |name: &str| answer.get(name).cloned().unwrap_or(Value::Null);
        Ok(serde_json::json!({
            "@id": attach_id,
            "mime_type": "text/plain",
            "filename": filename,
            "data": {"json": {"url": field("url"), "md5": field("md5")}},
        }))
    }

    /// Sends one command on `/transactions` and returns the final answer; a
    /// `problem_report` or a missing final answer is an error.
    pub async fn command(&self, msg: &Value) -> Result<Value, DemoError> {
        let token = self.token().await?;
        let base = self.node.api_url().replacen("http://", "ws://", 1);
        let url = format!("{base}/transactions?token={token}");
        let exchange = async {
            let (mut ws, _) = tokio_tungstenite::connect_async(url)
                .await
                .map_err(|e| http_err("websocket", e))?;
            ws.send(Message::Text(msg.to_string().into()))
                .await
                .map_err(|e| http_err("websocket", e))?;
            let mut last = Value::Null;
            while let Some(frame) = ws.next().await {
                match frame {
                    Ok(Message::Text(t)) => {
                        last = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                    }
                    Ok(Message::Close(_)) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            Ok::<Value, DemoError>(last)
        };
        let last = tokio::time::timeout(WS_TIMEOUT, exchange)
            .await
            .map_err(|_| http_err("websocket", "no answer in time"))??;
        if last.get("done").and_then(Value::as_bool) == Some(true) {
            Ok(last)
        } else {
            let explain = last
                .get("explain")
                .and_then(Value::as_str)
                .unwrap_or("no final answer");
            Err(DemoError::Client(format!("command refused: {explain}")))
        }
    }
}
