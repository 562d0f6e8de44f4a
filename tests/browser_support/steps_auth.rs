//! Steps 1 and 8: logging in at the first node (a wrong password and an unknown user get the
//! same generic error, then the right login lands on the list) and logging out (POST only;
//! afterwards every `/ui/` page redirects to the login page).

use anyhow::{ensure, Result};

use super::flows::{login, submit_login};
use super::network::Node;
use super::page::{wait_for, Page};

/// Step 1.
pub async fn login_with_a_wrong_password_first(page: &Page, node: &Node) -> Result<()> {
    page.goto(&node.url("/ui/containers")).await?;
    let path = page.wait_path("/ui/login").await?;
    ensure!(
        path.contains("next=%2Fui%2Fcontainers") || path.contains("next=/ui/containers"),
        "an anonymous /ui/containers should redirect to the login with next=, got {path}"
    );
    page.wait_css("form#login-form").await?;
    page.screenshot("login").await?;

    submit_login(page, &node.username, "not-the-password-1").await?;
    let wrong_password = login_error(page).await?;
    submit_login(page, "no-such-user", "not-the-password-2").await?;
    let unknown_user = login_error(page).await?;
    ensure!(
        wrong_password == unknown_user,
        "the login error differs: wrong password {wrong_password:?}, unknown user {unknown_user:?}"
    );
    ensure!(
        !page.exists("#current-user").await?,
        "a failed login shows a logged-in page"
    );
    ensure!(
        page.path().await?.starts_with("/ui/login"),
        "a failed login left the login page"
    );
    login(page, node).await
}

async fn login_error(page: &Page) -> Result<String> {
    wait_for("a text in #login-error", || async {
        let text = page.text("#login-error").await?;
        Ok((!text.trim().is_empty()).then_some(text))
    })
    .await
}

/// Step 8: a GET of `/ui/logout` logs nobody out; the logout form (POST) does.
pub async fn logout_then_pages_redirect_to_login(page: &Page, node: &Node) -> Result<()> {
    page.goto(&node.url("/ui/logout")).await?;
    page.goto(&node.url("/ui/containers")).await?;
    page.wait_css("#current-user").await?;
    ensure!(
        page.path().await?.starts_with("/ui/containers"),
        "a GET of /ui/logout ended the session"
    );

    page.click_and_load("#logout-button").await?;
    page.wait_path("/ui/login").await?;
    for path in ["/ui/containers", "/ui/network", "/ui/admin"] {
        page.goto(&node.url(path)).await?;
        let now = page.wait_path("/ui/login").await?;
        ensure!(
            now.contains("next="),
            "{path} after logout redirected to {now}, expected the login with next="
        );
        ensure!(
            !page.exists("#current-user").await?,
            "{path} after logout still shows a user"
        );
    }
    page.goto(&node.url("/")).await?;
    page.wait_path("/ui/login").await?;
    Ok(())
}
