//! Chromedriver and headless Chromium: starts `chromedriver` on a free loopback port (in its
//! own process group, so the browsers it launches go with it on drop), waits for its
//! `/status`, and opens a WebDriver session of headless Chromium at 1280×900 through
//! `fantoccini`.
//!
//! Binaries: `TMTM_CHROMEDRIVER` / `TMTM_CHROMIUM` if set, else `/usr/bin/chromedriver` and
//! `/usr/bin/chromium` (Debian's `chromium-driver` and `chromium`). A missing binary is an
//! error: the suite only runs when `TMTM_TEST_BROWSER` asks for it.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Map, Value};

use super::process::{free_port, Guard};

/// How long chromedriver may take to answer `/status`.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

fn binary(var: &str, default: &str) -> Result<PathBuf> {
    let path = std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from);
    if !path.is_file() {
        bail!(
            "{} not found (set {var} or install Debian's chromium and chromium-driver)",
            path.display()
        );
    }
    Ok(path)
}

/// A running chromedriver (stopped, with its browsers, on drop).
pub struct Driver {
    url: String,
    chromium: PathBuf,
    _process: Guard,
}

impl Driver {
    /// Starts chromedriver and waits until it is ready.
    pub async fn start() -> Result<Driver> {
        let chromedriver = binary("TMTM_CHROMEDRIVER", "/usr/bin/chromedriver")?;
        let chromium = binary("TMTM_CHROMIUM", "/usr/bin/chromium")?;
        let port = free_port()?;
        let mut command = Command::new(&chromedriver);
        command
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut process = Guard::spawn("chromedriver", command, "TERM")?;
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let status = http.get(format!("{url}/status")).send().await;
            if let Ok(resp) = status {
                let bytes = resp.bytes().await.unwrap_or_default();
                let body: Value = serde_json::from_slice(&bytes).unwrap_or_default();
                if body["value"]["ready"] == json!(true) {
                    break;
                }
            }
            process.check_running()?;
            if Instant::now() > deadline {
                bail!("chromedriver did not become ready at {url}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(Driver {
            url,
            chromium,
            _process: process,
        })
    }

    /// A new headless Chromium session (English preferred by `Accept-Language`).
    pub async fn session(&self) -> Result<Client> {
        let options = json!({
            "binary": self.chromium,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--window-size=1280,900",
                "--disable-dev-shm-usage",
                "--lang=en-US",
                "--hide-scrollbars",
            ],
            "prefs": {"intl.accept_languages": "en-US,en"},
        });
        let mut caps = Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:chromeOptions".into(), options);
        // An alert stays open (and is seen by the XSS checks) instead of being dismissed.
        caps.insert("unhandledPromptBehavior".into(), json!("ignore"));
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .context("cannot open a Chromium session through chromedriver")?;
        fit_viewport(&client).await?;
        Ok(client)
    }
}

/// Resizes the window so that the page area (and so every screenshot) is 1280×900.
async fn fit_viewport(client: &Client) -> Result<()> {
    let (width, height) = (1280_u32, 900_u32);
    for _ in 0..3 {
        let inner = client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .context("read the viewport size")?;
        let (w, h) = (
            inner[0].as_u64().unwrap_or(0),
            inner[1].as_u64().unwrap_or(0),
        );
        if (w, h) == (u64::from(width), u64::from(height)) {
            return Ok(());
        }
        let (outer_w, outer_h) = client.get_window_size().await.context("window size")?;
        let grow = |outer: u64, inner: u64, want: u32| {
            u32::try_from(outer.saturating_sub(inner)).unwrap_or(0) + want
        };
        client
            .set_window_size(grow(outer_w, w, width), grow(outer_h, h, height))
            .await
            .context("resize the window")?;
    }
    Ok(())
}
