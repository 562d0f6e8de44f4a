//! The dashboard in real headless Chromium (issue 8, item 10), driven over WebDriver
//! (`fantoccini` → a chromedriver this test starts) against a real three-node network
//! (`tmtm demo --nodes 3`): login, the wizard with an uploaded PDF, the container at another
//! node with its verified signature and document, a document added there, list filters,
//! XSS, the language switch and logout. A PNG of every main page goes to the screenshot
//! directory (`TMTM_SCREENSHOT_DIR`, default `target/ci-artifacts/screenshots`).
//!
//! Gated: without `TMTM_TEST_BROWSER` the test says it is not enabled and passes; with it,
//! everything runs and a missing Chromium or chromedriver fails the test. `.ci/run` sets it.
#![cfg(unix)]

mod browser_support;

use anyhow::{Context, Result};

use browser_support::driver::Driver;
use browser_support::network::Network;
use browser_support::page::{screenshot_dir, Page};
use browser_support::{
    steps_add_document, steps_auth, steps_documents, steps_list, steps_pages, steps_xss,
};

/// The scenario, in order; every step asserts what it saw.
async fn scenario(page: &Page, net: &Network, dir: &std::path::Path) -> Result<()> {
    let nodes = &net.nodes;
    let first = &nodes[0];
    steps_auth::login_with_a_wrong_password_first(page, first)
        .await
        .context("step 1: login")?;
    let upload = steps_documents::create_container_with_a_pdf(page, first, dir)
        .await
        .context("step 2: wizard with a PDF")?;
    steps_documents::container_reaches_the_second_node(page, nodes, &upload)
        .await
        .context("step 3: the container at node 2")?;
    steps_add_document::add_document_at_second_node(page, nodes)
        .await
        .context("step 4: a document added at node 2")?;
    steps_list::filter_the_list(page, first)
        .await
        .context("step 5: list filters")?;
    steps_pages::gu11_register(page, first)
        .await
        .context("GU-11 register")?;
    steps_pages::gu11_reaches_second_node(page, nodes)
        .await
        .context("GU-11 at node 2")?;
    steps_pages::network_page(page, nodes)
        .await
        .context("network page")?;
    steps_pages::admin_page(page, first)
        .await
        .context("admin page")?;
    steps_xss::hostile_names_are_shown_literally(page, first)
        .await
        .context("step 6: XSS")?;
    steps_pages::switch_language(page, first)
        .await
        .context("step 7: language")?;
    steps_auth::logout_then_pages_redirect_to_login(page, first)
        .await
        .context("step 8: logout")?;
    Ok(())
}

/// On failure: a screenshot and the URL, to see what the browser saw.
async fn report_failure(page: &Page) -> String {
    let shot = page.screenshot("failure").await;
    let url = page.client.current_url().await;
    format!(
        "page at failure: {}; screenshot: {}",
        url.map_or_else(|e| format!("<{e}>"), |u| u.to_string()),
        shot.map_or_else(|e| format!("<{e:#}>"), |p| p.display().to_string())
    )
}

async fn run() -> Result<()> {
    // A failure picture of an earlier run must not be mistaken for this one's.
    let _ = std::fs::remove_file(screenshot_dir().join("failure.png"));
    let driver = Driver::start().await?;
    let network = Network::start().await?;
    let files = tempfile::tempdir().context("temporary directory")?;
    let page = Page {
        client: driver.session().await?,
    };
    let outcome = scenario(&page, &network, files.path()).await;
    let context = match &outcome {
        Err(_) => report_failure(&page).await,
        Ok(()) => String::new(),
    };
    let _ = page.client.clone().close().await;
    outcome.context(context)?;
    println!("screenshots in {}", screenshot_dir().display());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_works_in_headless_chromium_across_nodes() {
    if std::env::var_os("TMTM_TEST_BROWSER").is_none() {
        println!(
            "browser suite not enabled: set TMTM_TEST_BROWSER=1 to run it (needs chromium and \
             chromedriver); passing without running it"
        );
        return;
    }
    if let Err(e) = run().await {
        panic!("browser suite failed: {e:#}");
    }
}
