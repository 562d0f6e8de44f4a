//! A thin layer over a `fantoccini` client for the dashboard: navigation, waiting (polling
//! up to [`TIMEOUT`], never a fixed sleep), reading text/attributes, filling forms, running a
//! script, and PNG screenshots into the screenshot directory.
//!
//! Screenshot directory: `TMTM_SCREENSHOT_DIR`, else `target/ci-artifacts/screenshots` under
//! the workspace root.

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use serde_json::Value;

/// How long any awaited condition may take (consensus on a loaded 2-core machine).
pub const TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(200);

/// The directory screenshots go to (created on demand).
pub fn screenshot_dir() -> PathBuf {
    std::env::var_os("TMTM_SCREENSHOT_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/ci-artifacts/screenshots"),
        PathBuf::from,
    )
}

/// Polls `check` until it yields `Some`, up to [`TIMEOUT`]; `what` names the condition.
pub async fn wait_for<T, F, Fut>(what: &str, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let deadline = Instant::now() + TIMEOUT;
    let mut last_error = None;
    loop {
        match check().await {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            Err(e) => last_error = Some(e),
        }
        if Instant::now() > deadline {
            let detail = last_error
                .map(|e| format!(" (last error: {e:#})"))
                .unwrap_or_default();
            bail!("timed out after {TIMEOUT:?} waiting for {what}{detail}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// One browser tab on the dashboard.
pub struct Page {
    pub client: Client,
}

impl Page {
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client
            .goto(url)
            .await
            .with_context(|| format!("open {url}"))
    }

    /// The current URL's path (with query).
    pub async fn path(&self) -> Result<String> {
        let url = self.client.current_url().await.context("current URL")?;
        Ok(match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        })
    }

    /// Waits until the URL path starts with `prefix`.
    pub async fn wait_path(&self, prefix: &str) -> Result<String> {
        wait_for(&format!("a URL starting with {prefix}"), || async {
            let path = self.path().await?;
            Ok(path.starts_with(prefix).then_some(path))
        })
        .await
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn wait_css(&self, css: &str) -> Result<Element> {
        wait_for(&format!("element {css}"), || async {
            Ok(self
                .client
                .find_all(Locator::Css(css))
                .await?
                .into_iter()
                .next())
        })
        .await
    }

    /// The first element matching `css` now (error when there is none).
    pub async fn find(&self, css: &str) -> Result<Element> {
        match self.client.find(Locator::Css(css)).await {
            Ok(el) => Ok(el),
            Err(e) => {
                let at = self.path_or_unknown().await;
                Err(anyhow!(e).context(format!("no element {css} on {at}")))
            }
        }
    }

    /// Every element matching `css` now.
    pub async fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        Ok(self.client.find_all(Locator::Css(css)).await?)
    }

    /// Whether an element matching `css` is present now.
    pub async fn exists(&self, css: &str) -> Result<bool> {
        Ok(!self.find_all(css).await?.is_empty())
    }

    pub async fn text(&self, css: &str) -> Result<String> {
        Ok(self.find(css).await?.text().await?)
    }

    pub async fn attr(&self, css: &str, name: &str) -> Result<Option<String>> {
        Ok(self.find(css).await?.attr(name).await?)
    }

    /// Replaces the value of the field matching `css` with `value`.
    pub async fn fill(&self, css: &str, value: &str) -> Result<()> {
        let el = self.find(css).await?;
        el.clear().await.with_context(|| format!("clear {css}"))?;
        el.send_keys(value)
            .await
            .with_context(|| format!("type into {css}"))?;
        Ok(())
    }

    pub async fn click(&self, css: &str) -> Result<()> {
        self.find(css)
            .await?
            .click()
            .await
            .with_context(|| format!("click {css}"))
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
    pub async fn eval(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.client
            .execute(script, args)
            .await
            .with_context(|| format!("script failed: {script}"))
    }

    /// Whether a JavaScript alert/confirm/prompt is open.
    pub async fn alert_open(&self) -> Result<bool> {
        match self.client.get_alert_text().await {
            Ok(_) => Ok(true),
            Err(e) if e.is_no_such_alert() => Ok(false),
            Err(e) => Err(anyhow!(e).context("asking for an open alert")),
        }
    }

    /// Saves a PNG of the viewport as `<dir>/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let png = self.client.screenshot().await.context("screenshot")?;
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("write {}", path.display()))?;
        Ok(path)
    }

    async fn path_or_unknown(&self) -> String {
        self.path()
            .await
            .unwrap_or_else(|_| "<unknown page>".into())
    }
}

impl Page {
    /// Marks the current document; [`Page::wait_new_document`] waits until it is replaced
    /// (a form submission or link has loaded a new page).
    pub async fn mark_document(&self) -> Result<()> {
        self.eval("window.__tmtmOld = true; return true;", vec![])
            .await?;
        Ok(())
    }

    /// Waits until the document marked by [`Page::mark_document`] has been replaced and the
    /// new one has loaded.
    pub async fn wait_new_document(&self) -> Result<()> {
        wait_for("a new page to load", || async {
            let state = self
                .eval(
                    "return window.__tmtmOld === true ? 'old' : document.readyState;",
                    vec![],
                )
                .await?;
            Ok((state == "complete").then_some(()))
        })
        .await
    }

    /// Clicks `css` and waits for the page it loads.
    pub async fn click_and_load(&self, css: &str) -> Result<()> {
        self.mark_document().await?;
        self.click(css).await?;
        self.wait_new_document().await
    }
}
