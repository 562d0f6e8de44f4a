//! Dashboard flows several steps share: logging in at a node, filling and submitting the
//! transaction wizard (with uploads), the GU form, and reading a page's language.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use super::network::Node;
use super::page::{wait_for, Page};

/// Logs in at `node` with its admin login (from any state: a session for another node's
/// cookie, or none) and lands on the containers list.
pub async fn login(page: &Page, node: &Node) -> Result<()> {
    page.goto(&node.url("/ui/login")).await?;
    if page.path().await?.starts_with("/ui/login") {
        submit_login(page, &node.username, &node.password).await?;
    }
    page.wait_path("/ui/containers").await?;
    let user = page.wait_css("#current-user").await?.text().await?;
    if user.trim() != node.username {
        bail!("#current-user shows {user:?}, expected {:?}", node.username);
    }
    Ok(())
}

/// Fills the login form of the current page, submits it and waits for the answer page.
pub async fn submit_login(page: &Page, username: &str, password: &str) -> Result<()> {
    page.wait_css("form#login-form").await?;
    page.fill("#login-form input[name=username]", username)
        .await?;
    page.fill("#login-form input[name=password]", password)
        .await?;
    page.click_and_load("#login-submit").await
}

/// The `lang` attribute of the page's `<html>`.
pub async fn html_lang(page: &Page) -> Result<String> {
    Ok(page.attr("html", "lang").await?.unwrap_or_default())
}

/// One document as typed into the wizard.
pub struct WizardDoc<'a> {
    pub no: &'a str,
    pub cargo: &'a str,
    pub depart: &'a str,
    pub arrival: &'a str,
    /// `select[name=doc_type]` value; `None` keeps the default.
    pub doc_type: Option<&'a str>,
    pub waybill: &'a str,
    pub wagon: &'a str,
    /// A file to upload through `#wizard-file`.
    pub file: Option<&'a Path>,
}

/// Fills the open wizard (container names only when `ledgers` is given) and uploads the file.
pub async fn fill_wizard(page: &Page, ledgers: Option<&str>, doc: &WizardDoc<'_>) -> Result<()> {
    page.wait_css("form#wizard-form").await?;
    if let Some(names) = ledgers {
        page.fill("#wizard-form input[name=ledgers]", names).await?;
    }
    page.fill("#wizard-form input[name=no]", doc.no).await?;
    page.fill("#wizard-form input[name=cargo_name]", doc.cargo)
        .await?;
    page.fill("#wizard-form input[name=depart_station]", doc.depart)
        .await?;
    page.fill("#wizard-form input[name=arrival_station]", doc.arrival)
        .await?;
    page.fill("#wizard-form input[name=waybill]", doc.waybill)
        .await?;
    page.fill("#wizard-form input[name=wagon]", doc.wagon)
        .await?;
    if let Some(value) = doc.doc_type {
        page.find("#wizard-form select[name=doc_type]")
            .await?
            .select_by_value(value)
            .await
            .with_context(|| format!("select doc_type {value}"))?;
    }
    if let Some(file) = doc.file {
        let before = page.find_all("ul#uploaded-files > li").await?.len();
        let path = file.to_str().context("file path is not UTF-8")?;
        page.find("input#wizard-file")
            .await?
            .send_keys(path)
            .await
            .context("choose file")?;
        wait_for("the upload to be listed in ul#uploaded-files", || async {
            let items = page.find_all("ul#uploaded-files > li").await?;
            Ok((items.len() > before).then_some(()))
        })
        .await?;
    }
    Ok(())
}

/// The editable preview of the wizard's message.
const PREVIEW: &str = "textarea#wizard-preview-json";

/// Clicks `#wizard-preview` and returns the command JSON shown in the preview.
pub async fn preview(page: &Page) -> Result<Value> {
    page.click("#wizard-preview").await?;
    let text = wait_for("the preview JSON", || async {
        let text = page.find(PREVIEW).await?.prop("value").await?;
        Ok(text.filter(|t| !t.trim().is_empty()))
    })
    .await?;
    serde_json::from_str(&text).with_context(|| format!("the preview is not JSON: {text}"))
}

/// Types `text` over the preview's content.
pub async fn edit_preview(page: &Page, text: &str) -> Result<()> {
    page.fill(PREVIEW, text).await
}

/// Clicks `#wizard-submit` expecting a refusal next to the preview; returns its text.
pub async fn submit_refused(page: &Page) -> Result<String> {
    page.click("#wizard-submit").await?;
    wait_for("the error next to the preview", || async {
        let el = page.find("#wizard-json-error").await?;
        let shown = el.attr("hidden").await?.is_none();
        let text = el.text().await?;
        Ok((shown && !text.trim().is_empty()).then_some(text))
    })
    .await
}

/// Waits for `#<prefix>-result[data-outcome]`; fails unless the outcome is `done`.
pub async fn wait_outcome(page: &Page, result_css: &str) -> Result<()> {
    let (outcome, text) = wait_for(&format!("an outcome in {result_css}"), || async {
        let el = page.find(result_css).await?;
        match el.attr("data-outcome").await? {
            Some(o) if !o.is_empty() => Ok(Some((o, el.text().await?))),
            _ => Ok(None),
        }
    })
    .await?;
    if outcome != "done" {
        bail!("{result_css} has data-outcome={outcome:?}: {text}");
    }
    if text.trim().is_empty() {
        bail!("{result_css} is done but shows no words");
    }
    Ok(())
}

/// Submits the wizard and waits (up to the timeout) for `data-outcome="done"`.
pub async fn submit_wizard(page: &Page) -> Result<()> {
    page.click("#wizard-submit").await?;
    wait_outcome(page, "#wizard-result").await?;
    let progress = page.attr("progress#wizard-progress", "value").await?;
    if progress.as_deref() != Some("100") {
        bail!("progress#wizard-progress is {progress:?} after done, expected 100");
    }
    Ok(())
}

/// Opens `/ui/gu11/new` at the current node, fills every field (`cargo_name` as given)
/// and submits; waits for `#gu-result[data-outcome=done]`.
pub async fn create_gu11(page: &Page, node: &Node, no: &str, cargo_name: &str) -> Result<()> {
    page.goto(&node.url("/ui/gu11/new")).await?;
    page.wait_css("form#gu-form").await?;
    let fields = [
        ("no", no),
        ("date", "01.06.2025"),
        ("cargo_name", cargo_name),
        ("depart_station", "Dostyk"),
        ("arrival_station", "Aktau-Port"),
        ("month", "6"),
        ("year", "2025"),
        ("decade", "1"),
        ("tonnage", "24"),
        ("shipper", "Kazakhmys"),
    ];
    for (name, value) in fields {
        page.fill(&format!("#gu-form input[name={name}]"), value)
            .await?;
    }
    page.click("#gu-submit").await?;
    wait_outcome(page, "#gu-result").await
}
