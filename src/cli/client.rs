//! The HTTP side of the client commands (`tmtm tx`, `tmtm ledger`): the `--url`/`--user`
//! flags, BasicAuth REST calls with errors mapped to exit codes, reading every page of a
//! paginated list, and WebSocket tokens from `POST /maintenance/allocate_token/`.

use std::time::Duration;

use clap::Args;
use serde_json::Value;
use tmtm_node::secret::Secret;

use super::exit::{fail, REFUSED, RUNTIME, USAGE};
use super::password::PasswordInput;

/// Largest page the API serves; lists are read in pages of this size.
const PAGE_SIZE: u64 = 1000;
/// Bound on one HTTP request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Args, Clone)]
pub struct NodeArgs {
    /// Base URL of the node's API.
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// User name for BasicAuth; the password comes from --password-stdin, TMTM_PASSWORD or a
    /// prompt.
    #[arg(long, short = 'u', value_name = "USER")]
    pub user: Option<String>,
    /// Read the password from the first line of stdin.
    #[arg(long, requires = "user")]
    pub password_stdin: bool,
}

/// A logged-in client of one node.
pub struct NodeClient {
    http: reqwest::Client,
    base: String,
    user: String,
    password: Secret,
}

/// Reads the base URL: `http(s)://host[:port][/prefix]`, without a trailing slash.
pub fn base_url(url: &str) -> anyhow::Result<String> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| fail(USAGE, format!("--url {url:?} is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(fail(
            USAGE,
            format!("--url {url:?} must be an http:// or https:// URL"),
        ));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

fn http_client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|e| fail(RUNTIME, format!("cannot build the HTTP client: {e}")))
}

/// The `message` of an API error body, or the status text.
fn explain(status: reqwest::StatusCode, body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| status.to_string())
}

impl NodeClient {
    /// Logs in with `--user` and a password read as the flags say.
    pub fn login(args: &NodeArgs) -> anyhow::Result<NodeClient> {
        let base = base_url(&args.url)?;
        let Some(user) = args.user.clone() else {
            return Err(fail(
                USAGE,
                "--user is required (BasicAuth to the node's API)",
            ));
        };
        let password = PasswordInput {
            from_stdin: args.password_stdin,
            allow_env: true,
            confirm: false,
        }
        .read(&user)?;
        Ok(NodeClient {
            http: http_client()?,
            base,
            user,
            password,
        })
    }

    /// The node's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    async fn send(&self, req: reqwest::RequestBuilder, what: &str) -> anyhow::Result<Value> {
        let resp = req
            .basic_auth(&self.user, Some(self.password.expose()))
            .send()
            .await
            .map_err(|e| fail(RUNTIME, format!("cannot reach {}: {e}", self.base)))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| fail(RUNTIME, format!("{what}: cannot read the answer: {e}")))?;
        match status.as_u16() {
            200..=299 => serde_json::from_slice(&body)
                .map_err(|e| fail(RUNTIME, format!("{what}: the answer is not JSON: {e}"))),
            401 => Err(fail(
                REFUSED,
                format!("login refused by {}: {}", self.base, explain(status, &body)),
            )),
            404 => Err(fail(REFUSED, format!("{what}: not found"))),
            _ => Err(fail(
                RUNTIME,
                format!("{what}: HTTP {status}: {}", explain(status, &body)),
            )),
        }
    }

    /// `GET path` (path starts with `/`).
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.base);
        self.send(self.http.get(url), path).await
    }

    /// Every item of a paginated list (`{count, results}`), in the API's order.
    pub async fn all_pages(&self, path: &str) -> anyhow::Result<Vec<Value>> {
        let mut items = Vec::new();
        let mut page = 1u64;
        loop {
            let answer = self
                .get(&format!("{path}?page={page}&page_size={PAGE_SIZE}"))
                .await?;
            let count = answer.get("count").and_then(Value::as_u64).unwrap_or(0);
            let results = answer
                .get("results")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let empty = results.is_empty();
            items.extend(results);
            if empty || items.len() as u64 >= count {
                return Ok(items);
            }
            page += 1;
        }
    }

    /// A WebSocket token valid for `lifetime_secs`.
    pub async fn token(&self, lifetime_secs: u64) -> anyhow::Result<Secret> {
        let url = format!("{}/maintenance/allocate_token/", self.base);
        let req = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .body(serde_json::json!({ "lifetime_secs": lifetime_secs }).to_string());
        let answer = self.send(req, "allocate_token").await?;
        answer
            .get("token")
            .and_then(Value::as_str)
            .map(Secret::new)
            .ok_or_else(|| fail(RUNTIME, "allocate_token: no token in the answer"))
    }

    /// The ledger named `name` (`{id, name, …}`), or a "no ledger" error.
    pub async fn ledger_by_name(&self, name: &str) -> anyhow::Result<Value> {
        let all = self.all_pages("/ledgers/").await?;
        all.into_iter()
            .find(|l| l.get("name").and_then(Value::as_str) == Some(name))
            .ok_or_else(|| fail(REFUSED, format!("no ledger {name:?} at {}", self.base)))
    }
}
