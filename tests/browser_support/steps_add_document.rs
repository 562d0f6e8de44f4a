//! Step 4: a second document (the sea set's default, Сonnaissement: node 2 is a port)
//! added through the wizard at node 2 for the container of step 2, its preview first given
//! text that is not JSON (refused, nothing sent), then edited (`no`); node 1 then shows both transactions, the second signed by node 2
//! with a verified signature and its caption, and the route picture's reached/current hops.

use anyhow::{ensure, Context, Result};
use serde_json::{json, Value};

use super::flows::{
    edit_preview, fill_wizard, login, preview, submit_refused, submit_wizard, WizardDoc,
};
use super::network::Node;
use super::page::Page;
use super::steps_documents::{wait_transactions, CONTAINER};

/// The document number typed into the preview over the form's `BL-BRW-2`.
const EDITED_NO: &str = "BL-BRW-2-EDITED";

/// Step 4.
pub async fn add_document_at_second_node(page: &Page, nodes: &[Node]) -> Result<()> {
    let (first, second) = (&nodes[0], &nodes[1]);
    page.click_and_load("a#add-document").await?;
    let path = page.wait_path("/ui/wizard").await?;
    ensure!(
        path.contains(&format!("ledger={CONTAINER}")),
        "a#add-document opened {path}"
    );
    let ledgers = page.find("#wizard-form input[name=ledgers]").await?;
    ensure!(
        ledgers.prop("value").await?.as_deref() == Some(CONTAINER),
        "ledgers field"
    );
    ensure!(
        ledgers.attr("readonly").await?.is_some(),
        "ledgers field is not read-only"
    );
    // Node 2 is Port Aktau, a sea node: its own set comes first, Сonnaissement selected.
    let own_set = page
        .attr("#wizard-form select[name=doc_type] optgroup", "data-set")
        .await?;
    ensure!(
        own_set.as_deref() == Some("sea"),
        "first option group at node 2 is {own_set:?}, expected sea"
    );
    let sea = page
        .find("#wizard-form select[name=doc_type] option:checked")
        .await?;
    let sea_value = sea
        .attr("value")
        .await?
        .context("sea option without value")?;
    ensure!(
        sea_value == "\u{0421}onnaissement",
        "default document type at node 2 is {sea_value:?}, expected Сonnaissement"
    );
    let sea_caption = sea.text().await?;
    let doc = WizardDoc {
        no: "BL-BRW-2",
        cargo: "Copper cathodes",
        depart: "Port Aktau",
        arrival: "Port of Baku (Alyat)",
        doc_type: None,
        waybill: "",
        wagon: "",
        file: None,
    };
    fill_wizard(page, None, &doc).await?;
    let message: Value = preview(page).await?;
    let kind = message["@type"].as_str().unwrap_or_default();
    ensure!(kind.ends_with("/issue-transaction"), "preview @type {kind}");
    ensure!(
        message["ledger"]["name"] == json!(CONTAINER),
        "preview ledger: {message}"
    );
    ensure!(
        message["doc_type"] == json!(sea_value),
        "preview doc_type: {message}"
    );
    // Text that is not JSON is refused next to the preview, and nothing is sent.
    edit_preview(page, "{\"no\": oops").await?;
    let error = submit_refused(page).await?;
    ensure!(
        error.contains("JSON"),
        "the refusal does not name JSON: {error:?}"
    );
    let status = page.text("#wizard-status").await?;
    ensure!(
        status.trim().is_empty(),
        "something was sent: status {status:?}"
    );
    // The edited message is sent exactly: its `no` reaches node 1.
    let mut edited = message.clone();
    edited["no"] = json!(EDITED_NO);
    edit_preview(page, &serde_json::to_string(&edited)?).await?;
    submit_wizard(page).await?;

    login(page, first).await?;
    wait_transactions(page, first, 2).await?;
    let txn = "tr.txn-row[data-seq-no=\"2\"]";
    let no = page.text(&format!("{txn} td.doc-no")).await?;
    ensure!(
        no == EDITED_NO,
        "document number {no:?}, expected the edited {EDITED_NO}"
    );
    let signer = page.text(&format!("{txn} td.signer")).await?;
    ensure!(
        signer.contains(&second.name),
        "signer {signer:?}, expected {}",
        second.name
    );
    ensure!(
        page.exists(&format!("{txn} span.sig-verified")).await?,
        "no span.sig-verified"
    );
    let caption = page.text(&format!("{txn} td.doc-type")).await?;
    ensure!(
        caption == sea_caption,
        "doc type {caption:?}, expected {sea_caption:?}"
    );
    let hops = page.find_all("svg#route-svg g.hop").await?.len();
    ensure!(
        hops == nodes.len(),
        "{hops} hops in the route picture, expected {}",
        nodes.len()
    );
    for (css, org) in [
        ("g.hop.reached", &first.name),
        ("g.hop.current", &second.name),
    ] {
        let got = page
            .attr(&format!("svg#route-svg {css}"), "data-org")
            .await?;
        ensure!(
            got.as_deref() == Some(org.as_str()),
            "{css} is {got:?}, expected {org}"
        );
    }
    page.screenshot("container").await?;
    Ok(())
}
