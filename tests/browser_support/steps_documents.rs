//! Steps 2–3: a container created through the wizard at node 1 with an uploaded PDF (upload
//! listing, preview JSON, live outcome, default WayBill), then seen at node 2 with its status,
//! the menu's approaching count, verified signature and document (size, SHA-256,
//! downloadable bytes).

use std::path::Path;

use anyhow::{ensure, Context, Result};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::flows::{fill_wizard, login, preview, submit_wizard, WizardDoc};
use super::network::Node;
use super::page::{wait_for, Page};
use super::pdf::write_pdf;

/// The container the scenario creates.
pub const CONTAINER: &str = "BRWU7700001";

/// The PDF uploaded with the first document.
pub struct Upload {
    pub filename: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Step 2.
pub async fn create_container_with_a_pdf(page: &Page, node: &Node, dir: &Path) -> Result<Upload> {
    page.goto(&node.url("/ui/containers")).await?;
    page.click_and_load("a#new-container").await?;
    let path = page.wait_path("/ui/wizard").await?;
    ensure!(path.contains("new=1"), "a#new-container opened {path}");
    let date = page
        .find("#wizard-form input[name=date]")
        .await?
        .prop("value")
        .await?;
    let date = date.unwrap_or_default();
    ensure!(
        is_dd_mm_yyyy(&date),
        "the default date {date:?} is not dd.mm.yyyy"
    );

    let filename = format!("waybill-{CONTAINER}.pdf");
    let file = dir.join(&filename);
    let bytes = write_pdf(&file, &format!("SMGS waybill {CONTAINER}"))?;
    let upload = Upload {
        sha256: sha256_hex(&bytes),
        filename,
        bytes,
    };
    let doc = WizardDoc {
        no: "SMGS-BRW-1",
        cargo: "Copper cathodes",
        depart: "Dostyk",
        arrival: "Aktau-Port",
        doc_type: None,
        waybill: "SMGS-BRW-1",
        wagon: "58123456",
        file: Some(&file),
    };
    fill_wizard(page, Some(CONTAINER), &doc).await?;
    let listed = page.text("ul#uploaded-files > li").await?;
    for part in [
        &upload.filename,
        &upload.bytes.len().to_string(),
        &upload.sha256,
    ] {
        ensure!(
            listed.contains(part.as_str()),
            "the upload list {listed:?} lacks {part}"
        );
    }
    let default_type = page
        .find("#wizard-form select[name=doc_type]")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    ensure!(
        default_type == "WayBill",
        "default document type at node 1 (rail) is {default_type:?}, expected WayBill"
    );

    let message = preview(page).await?;
    let kind = message["@type"].as_str().unwrap_or_default();
    ensure!(kind.ends_with("/create-ledger"), "preview @type {kind}");
    ensure!(
        message["name"] == json!(CONTAINER),
        "preview name: {message}"
    );
    let genesis = message["genesis"]
        .as_array()
        .context("preview without genesis")?;
    ensure!(genesis.len() == 1, "preview genesis: {message}");
    let txn = &genesis[0];
    for (key, want) in [
        ("no", doc.no),
        ("date", date.as_str()),
        ("cargo", doc.cargo),
        ("departure_station", doc.depart),
        ("arrival_station", doc.arrival),
        ("doc_type", default_type.as_str()),
    ] {
        ensure!(txn[key] == json!(want), "preview {key}: {txn}");
    }
    ensure!(
        txn["ledger"]["name"] == json!(CONTAINER),
        "preview ledger: {txn}"
    );
    ensure!(
        txn["~attach"][0]["filename"] == json!(upload.filename),
        "preview ~attach: {txn}"
    );
    page.screenshot("wizard").await?;

    submit_wizard(page).await?;
    page.click_and_load("a#wizard-open-container").await?;
    page.wait_path(&format!("/ui/containers/{CONTAINER}"))
        .await?;
    ensure!(
        page.text("h1#container-name").await? == CONTAINER,
        "container page title"
    );
    let rows = page.find_all("tr.txn-row").await?.len();
    ensure!(
        rows == 1,
        "the new container shows {rows} transactions, expected 1"
    );
    Ok(upload)
}

fn is_dd_mm_yyyy(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[2] == b'.'
        && b[5] == b'.'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 2 || i == 5 || c.is_ascii_digit())
}

/// Reloads the container page until it shows `count` transactions.
pub async fn wait_transactions(page: &Page, node: &Node, count: usize) -> Result<()> {
    let url = node.url(&format!("/ui/containers/{CONTAINER}"));
    wait_for(
        &format!("{count} transactions of {CONTAINER} at {}", node.name),
        || async {
            page.goto(&url).await?;
            Ok((page.find_all("tr.txn-row").await?.len() == count).then_some(()))
        },
    )
    .await
}

/// Step 3.
pub async fn container_reaches_the_second_node(
    page: &Page,
    nodes: &[Node],
    up: &Upload,
) -> Result<()> {
    let (first, second) = (&nodes[0], &nodes[1]);
    login(page, second).await?;
    let list = second.url(&format!("/ui/containers?q={CONTAINER}"));
    let row = format!("tr.container-row[data-ledger=\"{CONTAINER}\"]");
    wait_for(
        &format!("{CONTAINER} in the list at {}", second.name),
        || async {
            page.goto(&list).await?;
            page.exists(&row).await.map(|found| found.then_some(()))
        },
    )
    .await?;
    let status = page
        .attr(&format!("{row} td.status"), "data-status")
        .await?;
    ensure!(
        status.as_deref() == Some("started"),
        "status at node 2: {status:?}"
    );
    // The menu counts the containers approaching node 2, as the unfiltered tab does.
    page.goto(&second.url("/ui/containers")).await?;
    let count = |css: &'static str| async move {
        let text = page.text(css).await?;
        text.trim()
            .parse::<usize>()
            .with_context(|| format!("{css} is {text:?}, not a number"))
    };
    let menu = count("a#nav-approaching span.count").await?;
    let tab = count("a#tab-approaching span.count").await?;
    ensure!(
        menu == tab && menu >= 1,
        "approaching: menu {menu}, tab {tab} at node 2 (expected equal, at least 1)"
    );

    page.click_and_load(&format!("{row} a.container-link"))
        .await?;
    page.wait_path(&format!("/ui/containers/{CONTAINER}"))
        .await?;
    wait_transactions(page, second, 1).await?;
    let txn = "tr.txn-row[data-seq-no=\"1\"]";
    ensure!(
        page.exists(&format!("{txn} span.sig-verified")).await?,
        "no span.sig-verified"
    );
    let signer = page.text(&format!("{txn} td.signer")).await?;
    ensure!(
        signer.contains(&first.name),
        "signer {signer:?}, expected {}",
        first.name
    );
    let link = page.find(&format!("{txn} a.doc-link")).await?;
    ensure!(link.text().await? == up.filename, "document link text");
    let meta = page.text(&format!("{txn} .doc-meta")).await?;
    ensure!(
        meta.contains(&format!("{} B", up.bytes.len())) && meta.contains(&up.sha256),
        "document meta {meta:?} lacks the size {} or SHA-256 {}",
        up.bytes.len(),
        up.sha256
    );
    let href = link
        .prop("href")
        .await?
        .context("a.doc-link without href")?;
    let body = reqwest::get(&href).await.context("download the document")?;
    ensure!(body.status().is_success(), "GET {href}: {}", body.status());
    let got = body.bytes().await.context("document body")?;
    ensure!(
        got.as_ref() == up.bytes.as_slice(),
        "the document link serves other bytes"
    );
    Ok(())
}
