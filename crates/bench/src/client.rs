//! A client for one bench node, the way an operator's tools talk to it: `/readyz`, BasicAuth
//! REST, one WebSocket token per client, and one command per connection on `/transactions`
//! (the time measured is from sending the command to receiving its `done` answer).

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tmtm_node::demo::setup::DemoNode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// How long one command may take (the round itself is bounded by its `time_to_live`).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// The client's WebSocket read buffer. tungstenite zero-fills its default 128 KiB before
/// every read, once per connection here (one command per connection); on the two cores the
/// nodes share with this client that was ~4 % of the machine in the coalesced rows. The
/// answers are a few hundred bytes.
const READ_BUFFER: usize = 8 * 1024;

/// The final answer of a command and how long it took.
pub struct Answer {
    pub body: Value,
    /// From sending the command frame to receiving the final answer.
    pub elapsed: Duration,
}

/// A client for one node.
#[derive(Clone)]
pub struct NodeClient {
    http: reqwest::Client,
    api_url: String,
    username: String,
    password: String,
    token: String,
}

impl NodeClient {
    pub fn new(http: reqwest::Client, node: &DemoNode) -> NodeClient {
        NodeClient {
            http,
            api_url: node.api_url(),
            username: node.username.clone(),
            password: node.password.expose().to_owned(),
            token: String::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api_url)
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

    /// Allocates the WebSocket token every later command uses.
    pub async fn login(&mut self) -> Result<()> {
        let answer: Value = self
            .http
            .post(self.url("/maintenance/allocate_token/"))
            .basic_auth(&self.username, Some(&self.password))
            .header("content-type", "application/json")
            .body(r#"{"lifetime_secs": 3600}"#)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .context("allocate_token")?
            .error_for_status()
            .context("allocate_token")?
            .json()
            .await
            .context("allocate_token answer")?;
        self.token = answer
            .get("token")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("allocate_token: no token in the answer"))?
            .to_owned();
        Ok(())
    }

    /// A `GET path` request as the node's admin (BasicAuth, 30 s timeout).
    fn admin_get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(self.url(path))
            .basic_auth(&self.username, Some(&self.password))
            .timeout(Duration::from_secs(30))
    }

    /// `GET path` as the node's admin; returns the status and the body length.
    pub async fn get(&self, path: &str) -> Result<(u16, usize)> {
        let resp = self
            .admin_get(path)
            .send()
            .await
            .with_context(|| format!("GET {path}"))?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.with_context(|| format!("GET {path}"))?;
        Ok((status, body.len()))
    }

    /// `GET path` as JSON.
    pub async fn get_json(&self, path: &str) -> Result<Value> {
        let resp = self
            .admin_get(path)
            .send()
            .await
            .with_context(|| format!("GET {path}"))?
            .error_for_status()
            .with_context(|| format!("GET {path}"))?;
        resp.json().await.with_context(|| format!("GET {path}"))
    }

    /// Sends one command on a fresh `/transactions` connection; the answer must be `done`.
    pub async fn command(&self, msg: &Value) -> Result<Answer> {
        let base = self.api_url.replacen("http://", "ws://", 1);
        let url = format!("{base}/transactions?token={}", self.token);
        let exchange = async {
            let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
            let (mut ws, _) =
                tokio_tungstenite::connect_async_with_config(url, Some(config), false)
                    .await
                    .context("websocket connect")?;
            let started = Instant::now();
            ws.send(Message::Text(msg.to_string().into()))
                .await
                .context("websocket send")?;
            let mut last = Value::Null;
            let mut elapsed = Duration::ZERO;
            while let Some(frame) = ws.next().await {
                match frame {
                    Ok(Message::Text(t)) => {
                        elapsed = started.elapsed();
                        last = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                        if is_final(&last) {
                            break;
                        }
                    }
                    Ok(Message::Close(_)) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            Ok::<_, anyhow::Error>(Answer {
                body: last,
                elapsed,
            })
        };
        let answer = tokio::time::timeout(COMMAND_TIMEOUT, exchange)
            .await
            .map_err(|_| anyhow!("no answer within {COMMAND_TIMEOUT:?}"))??;
        if answer.body.get("done").and_then(Value::as_bool) != Some(true) {
            let explain = answer
                .body
                .get("explain")
                .and_then(Value::as_str)
                .unwrap_or("no final answer");
            bail!("command refused: {explain}");
        }
        Ok(answer)
    }
}

/// `done: true` or a problem report ends a command.
fn is_final(answer: &Value) -> bool {
    answer.get("done").and_then(Value::as_bool) == Some(true)
        || answer
            .get("@type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.ends_with("problem_report"))
}
