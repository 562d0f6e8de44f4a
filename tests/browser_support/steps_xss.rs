//! Step 6: a container name and a GU-11 cargo name carrying markup are shown literally on
//! the list, the container page, the wizard and the GU register — no script runs
//! (`window.__xss` stays undefined), no inline handler attribute appears, no alert opens.

use anyhow::{ensure, Context, Result};
use serde_json::{json, Value};

use super::flows::{create_gu11, fill_wizard, preview, submit_wizard, WizardDoc};
use super::network::Node;
use super::page::{wait_for, Page};

/// The hostile text.
pub const PAYLOAD: &str = "<script>window.__xss=1</script>\"onmouseover=alert(1)";

/// Fails if a script of the payload ran or could run on the current page.
async fn assert_inert(page: &Page, what: &str) -> Result<()> {
    let probe = page
        .eval(
            "return [typeof window.__xss,
                     document.querySelectorAll('[onmouseover]').length,
                     Array.from(document.scripts).filter(function (s) {
                       return (s.type === '' || /javascript/.test(s.type))
                         && s.textContent.indexOf('__xss') >= 0; }).length];",
            vec![],
        )
        .await?;
    ensure!(
        probe == json!(["undefined", 0, 0]),
        "{what}: [typeof window.__xss, elements with onmouseover, scripts with the payload] = {probe}"
    );
    ensure!(!page.alert_open().await?, "{what}: an alert is open");
    Ok(())
}

/// How many elements matching `css` have exactly the payload as their text.
async fn literal_count(page: &Page, css: &str) -> Result<u64> {
    let n = page
        .eval(
            "var want = arguments[1];
             return Array.from(document.querySelectorAll(arguments[0]))
                .filter(function (e) { return e.textContent.trim() === want; }).length;",
            vec![Value::from(css), Value::from(PAYLOAD)],
        )
        .await?;
    n.as_u64().context("count")
}

/// Step 6.
pub async fn hostile_names_are_shown_literally(page: &Page, node: &Node) -> Result<()> {
    page.goto(&node.url("/ui/wizard?new=1")).await?;
    let doc = WizardDoc {
        no: "XSS-1",
        cargo: PAYLOAD,
        depart: "Dostyk",
        arrival: "Aktau-Port",
        doc_type: None,
        waybill: "",
        wagon: "",
        file: None,
    };
    fill_wizard(page, Some(PAYLOAD), &doc).await?;
    let message = preview(page).await?;
    ensure!(message["name"] == json!(PAYLOAD), "preview name: {message}");
    assert_inert(page, "wizard with the preview").await?;
    submit_wizard(page).await?;
    create_gu11(page, node, "GU11-XSS-1", PAYLOAD).await?;
    assert_inert(page, "GU-11 form").await?;

    page.goto(&node.url("/ui/containers")).await?;
    page.wait_css("table#containers").await?;
    let rows = page
        .eval(
            "var want = arguments[0];
             return Array.from(document.querySelectorAll('tr.container-row'))
                .filter(function (r) { return r.dataset.ledger === want; }).length;",
            vec![Value::from(PAYLOAD)],
        )
        .await?;
    ensure!(
        rows == json!(1),
        "rows whose data-ledger is the payload: {rows}"
    );
    ensure!(
        literal_count(page, "a.container-link").await? == 1,
        "link text is not literal"
    );
    assert_inert(page, "containers list").await?;

    page.mark_document().await?;
    page.eval(
        "var want = arguments[0];
         Array.from(document.querySelectorAll('a.container-link'))
            .filter(function (a) { return a.textContent.trim() === want; })[0].click();
         return true;",
        vec![Value::from(PAYLOAD)],
    )
    .await?;
    page.wait_new_document().await?;
    page.wait_path("/ui/containers/").await?;
    ensure!(
        page.text("h1#container-name").await? == PAYLOAD,
        "container title not literal"
    );
    assert_inert(page, "container page").await?;

    page.click_and_load("a#add-document").await?;
    let ledgers = page.wait_css("#wizard-form input[name=ledgers]").await?;
    ensure!(
        ledgers.prop("value").await?.as_deref() == Some(PAYLOAD),
        "wizard ledgers"
    );
    assert_inert(page, "wizard for the container").await?;

    let register = node.url("/ui/gu11");
    wait_for("a GU-11 cell showing the payload literally", || async {
        page.goto(&register).await?;
        page.wait_css("table#gu-list").await?;
        Ok((literal_count(page, "tr.gu-row td").await? > 0).then_some(()))
    })
    .await?;
    assert_inert(page, "GU-11 register").await
}
