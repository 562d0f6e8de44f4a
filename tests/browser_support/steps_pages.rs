//! The other main pages at node 1 — the GU-11 register (a record created through its form,
//! then found in node 2's register with node 1 as its sender),
//! the network page (every participant, a health check run from the page, this node's
//! card), the admin page — each with a screenshot; and step 7, the language switch (a
//! caption changes, the choice survives a reload, and switches back).

use anyhow::{ensure, Context, Result};

use super::flows::{create_gu11, html_lang, login};
use super::network::Node;
use super::page::{wait_for, Page};

/// The GU-11 record the scenario creates at node 1.
const GU11_NO: &str = "GU11-BRW-1";

/// The sender cell of the current GU-11 register's row for record `no`, if listed.
async fn gu11_sender(page: &Page, no: &str) -> Result<Option<String>> {
    page.wait_css("table#gu-list").await?;
    for row in page.find_all("tr.gu-row").await? {
        if row.text().await?.contains(no) {
            let sender = row
                .find(fantoccini::Locator::Css("td.gu-sender"))
                .await?
                .text()
                .await?;
            return Ok(Some(sender));
        }
    }
    Ok(None)
}

/// A GU-11 record through `/ui/gu11/new`, listed in the register with its sender.
pub async fn gu11_register(page: &Page, node: &Node) -> Result<()> {
    create_gu11(page, node, GU11_NO, "Copper cathodes").await?;
    page.goto(&node.url("/ui/gu11")).await?;
    let sender = gu11_sender(page, GU11_NO)
        .await?
        .with_context(|| format!("the GU-11 record {GU11_NO} is not in the register"))?;
    ensure!(
        sender.contains(&node.name),
        "GU-11 sender {sender:?}, expected {}",
        node.name
    );
    page.screenshot("gu11").await?;
    Ok(())
}

/// The GU-11 record of node 1 reaches node 2's register (up to 60 s), sent by node 1's
/// organisation; then the browser logs in at node 1 again.
pub async fn gu11_reaches_second_node(page: &Page, nodes: &[Node]) -> Result<()> {
    let (first, second) = (&nodes[0], &nodes[1]);
    login(page, second).await?;
    let url = second.url("/ui/gu11");
    let sender = wait_for(
        &format!("GU-11 {GU11_NO} in the register at {}", second.name),
        || async {
            page.goto(&url).await?;
            gu11_sender(page, GU11_NO).await
        },
    )
    .await?;
    ensure!(
        sender.contains(&first.name) && !sender.contains(&second.name),
        "GU-11 sender at node 2 is {sender:?}, expected {}",
        first.name
    );
    login(page, first).await
}

/// The network page lists every node and runs a health check from its button.
pub async fn network_page(page: &Page, nodes: &[Node]) -> Result<()> {
    page.goto(&nodes[0].url("/ui/network")).await?;
    page.wait_css("table#participants").await?;
    let rows = page.find_all("tr.participant").await?;
    ensure!(
        rows.len() == nodes.len(),
        "{} participants, expected {}",
        rows.len(),
        nodes.len()
    );
    let text = page.text("table#participants").await?;
    for n in nodes {
        ensure!(
            text.contains(&n.name),
            "participants table lacks {}",
            n.name
        );
    }
    let mut dids = Vec::new();
    for row in &rows {
        dids.push(row.attr("data-did").await?.unwrap_or_default());
    }
    dids.sort();
    let mut want: Vec<String> = nodes.iter().map(|n| n.did.clone()).collect();
    want.sort();
    ensure!(
        dids == want,
        "participant data-did {dids:?}, expected {want:?}"
    );
    let card = page.text("pre#participant-card").await?;
    ensure!(
        card.contains(&nodes[0].api_url),
        "the participant card lacks this node's URL: {card}"
    );

    page.click_and_load("button#run-check").await?;
    // Every node is up: after the check each row says ok (or self for this node).
    let network = nodes[0].url("/ui/network");
    wait_for("a good health result for every participant", || async {
        if !page.path().await?.starts_with("/ui/network") {
            page.goto(&network).await?;
        }
        let cells = page.find_all("tr.participant td.health").await?;
        let mut good = 0;
        for c in &cells {
            let health = c.attr("data-health").await?.unwrap_or_default();
            if (health == "ok" || health == "self") && !c.text().await?.trim().is_empty() {
                good += 1;
            }
        }
        if cells.len() == nodes.len() && good == cells.len() {
            return Ok(Some(()));
        }
        page.goto(&network).await?;
        Ok(None)
    })
    .await?;
    page.screenshot("network").await?;
    Ok(())
}

/// The admin page lists the admin user and shows its forms.
pub async fn admin_page(page: &Page, node: &Node) -> Result<()> {
    page.goto(&node.url("/ui/admin")).await?;
    page.wait_css("table#users").await?;
    let row = format!("tr.user-row[data-username=\"{}\"]", node.username);
    ensure!(page.exists(&row).await?, "no {row}");
    for form in ["form#user-create-form", "form#token-issue-form"] {
        ensure!(page.exists(form).await?, "no {form}");
    }
    page.screenshot("admin").await?;
    Ok(())
}

/// Clicks a language button and waits for the page in that language.
async fn switch_to(page: &Page, lang: &str) -> Result<()> {
    page.click_and_load(&format!("button#lang-{lang}")).await?;
    let now = html_lang(page).await?;
    ensure!(
        now == lang,
        "after button#lang-{lang} the page is lang={now:?}"
    );
    Ok(())
}

/// Step 7.
pub async fn switch_language(page: &Page, node: &Node) -> Result<()> {
    page.goto(&node.url("/ui/containers")).await?;
    page.wait_css("a#nav-containers").await?;
    let start = html_lang(page).await?;
    ensure!(start == "en" || start == "ru", "<html lang={start:?}>");
    let other = if start == "en" { "ru" } else { "en" };
    let caption = page.text("a#nav-containers").await?;

    switch_to(page, other).await?;
    ensure!(
        page.path().await?.starts_with("/ui/containers"),
        "the switch left the page"
    );
    let switched = page.text("a#nav-containers").await?;
    ensure!(
        switched != caption,
        "the caption stayed {caption:?} in {other}"
    );
    let cookie = page
        .client
        .get_named_cookie("tmtm_lang")
        .await
        .context("tmtm_lang cookie")?;
    ensure!(
        cookie.value() == other,
        "tmtm_lang cookie is {:?}",
        cookie.value()
    );

    page.client.refresh().await.context("reload")?;
    page.wait_css("a#nav-containers").await?;
    ensure!(
        html_lang(page).await? == other,
        "the language did not survive a reload"
    );
    ensure!(
        page.text("a#nav-containers").await? == switched,
        "caption after reload"
    );

    switch_to(page, &start).await?;
    ensure!(
        page.text("a#nav-containers").await? == caption,
        "caption after switching back"
    );
    Ok(())
}
