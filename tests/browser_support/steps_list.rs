//! Step 5: the containers list at node 1 — every container with its status, the tab counts,
//! and the search form (name search, status filter, both, and the empty state).

use anyhow::{ensure, Context, Result};

use super::network::Node;
use super::page::Page;
use super::steps_documents::CONTAINER;

/// A seeded container of the demo (just started at the first node).
const SEEDED_STARTED: &str = "TKRU4471976";

/// The (name, status) of every row on the current page.
async fn rows(page: &Page) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for row in page.find_all("tr.container-row").await? {
        let name = row
            .attr("data-ledger")
            .await?
            .context("row without data-ledger")?;
        let status = row
            .find(fantoccini::Locator::Css("td.status"))
            .await?
            .attr("data-status")
            .await?
            .unwrap_or_default();
        out.push((name, status));
    }
    Ok(out)
}

/// Fills the search form and submits it.
async fn search(page: &Page, q: &str, status: &str) -> Result<Vec<(String, String)>> {
    page.fill("#search-form input[name=q]", q).await?;
    page.find("#search-form select[name=status]")
        .await?
        .select_by_value(status)
        .await
        .with_context(|| format!("select status {status:?}"))?;
    page.click_and_load("#search-submit").await?;
    page.wait_css("#search-form").await?;
    rows(page).await
}

async fn tab_count(page: &Page, tab: &str) -> Result<usize> {
    let text = page.text(&format!("a#{tab} span.count")).await?;
    text.trim()
        .parse()
        .with_context(|| format!("{tab} count {text:?}"))
}

/// Step 5.
pub async fn filter_the_list(page: &Page, node: &Node) -> Result<()> {
    page.goto(&node.url("/ui/containers")).await?;
    page.wait_css("table#containers").await?;
    let all = rows(page).await?;
    let status_of = |name: &str| all.iter().find(|(n, _)| n == name).map(|(_, s)| s.clone());
    ensure!(
        status_of(CONTAINER).as_deref() == Some("in_way"),
        "{CONTAINER} should be in_way after the document of node 2: {all:?}"
    );
    ensure!(
        status_of(SEEDED_STARTED).as_deref() == Some("started"),
        "seeded {SEEDED_STARTED}: {all:?}"
    );
    let valid = ["started", "in_way", "finished"];
    ensure!(
        all.iter().all(|(_, s)| valid.contains(&s.as_str())),
        "statuses: {all:?}"
    );
    ensure!(
        tab_count(page, "tab-all").await? == all.len(),
        "tab-all count vs rows {all:?}"
    );
    page.screenshot("containers").await?;

    let found = search(page, CONTAINER, "").await?;
    ensure!(
        found == [(CONTAINER.to_owned(), "in_way".to_owned())],
        "q={CONTAINER}: {found:?}"
    );
    ensure!(
        page.find("#search-form input[name=q]")
            .await?
            .prop("value")
            .await?
            .as_deref()
            == Some(CONTAINER),
        "the search box lost the query"
    );
    ensure!(
        tab_count(page, "tab-all").await? == 1,
        "tab-all count after q={CONTAINER}"
    );
    let found = search(page, "TKRU", "").await?;
    ensure!(
        found.len() == 1 && found[0].0 == SEEDED_STARTED,
        "q=TKRU: {found:?}"
    );

    for status in valid {
        let found = search(page, "", status).await?;
        let want: Vec<_> = all.iter().filter(|(_, s)| s == status).cloned().collect();
        ensure!(
            sorted(found.clone()) == sorted(want.clone()),
            "status={status}: got {found:?}, expected {want:?}"
        );
    }
    let none = search(page, CONTAINER, "finished").await?;
    ensure!(none.is_empty(), "q={CONTAINER}&status=finished: {none:?}");
    ensure!(
        page.exists("#no-containers").await?,
        "no #no-containers on an empty result"
    );
    Ok(())
}

fn sorted(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    v.sort();
    v
}
