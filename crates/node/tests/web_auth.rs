//! The dashboard's login, logout, CSRF, access rules and security headers over real HTTP
//! (no browser): same message for unknown user and wrong password, the failed-login limit,
//! logout only by POST with the token, forms refused without the token and nothing changed,
//! every page for a user and a redirect for anonymous visitors, admin pages 403 for users,
//! the CSP on every page, and the Origin check of cookie-authenticated unsafe requests and
//! the command WebSocket.

mod api_support;
mod web_support;

use api_support::{start, ADMIN, USER};
use reqwest::StatusCode;
use tmtm_node::web::layout::CSP;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use web_support::{csrf_in, Browser};

const PAGES: [&str; 9] = [
    "/ui/containers",
    "/ui/containers?tab=approaching",
    "/ui/wizard?new=1",
    "/ui/gu11",
    "/ui/gu12",
    "/ui/gu11/new",
    "/ui/gu12/new",
    "/ui/network",
    "/ui/admin",
];

#[tokio::test]
async fn login_gives_one_message_for_every_failure_and_sets_a_safe_cookie() {
    let api = start().await;
    let b = Browser::new(&api.base);
    let form = b.get("/ui/login").await;
    assert_eq!(form.status, 200);
    let pre = form.set_cookie("tmtm_csrf").expect("pre-session cookie");
    assert!(
        pre.contains("HttpOnly") && pre.contains("SameSite=Strict"),
        "{pre}"
    );
    let csrf = form.csrf();
    let attempt = |user: &'static str, pw: &'static str| {
        let (b, csrf) = (&b, csrf.clone());
        async move {
            b.post(
                "/ui/login",
                &[("csrf", &csrf), ("username", user), ("password", pw)],
            )
            .await
        }
    };
    let unknown = attempt("nobody", "whatever-password").await;
    let wrong = attempt(ADMIN.0, "wrong-password").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let msg = |body: &str| {
        let at = body.find("id=\"login-error\"").expect("login error");
        body[at..]
            .split('>')
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(msg(&unknown.body), msg(&wrong.body));
    assert!(b.cookie("tmtm_session").is_none());
    // Without the pre-session token: refused before the password is looked at.
    let forged = b
        .post(
            "/ui/login",
            &[
                ("csrf", "0".repeat(64).as_str()),
                ("username", ADMIN.0),
                ("password", ADMIN.1),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(b.cookie("tmtm_session").is_none());

    let ok = b
        .post(
            "/ui/login?next=%2Fui%2Fnetwork",
            &[
                ("csrf", &csrf),
                ("username", ADMIN.0),
                ("password", ADMIN.1),
                ("next", "/ui/network"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.location(), "/ui/network");
    let cookie = ok.set_cookie("tmtm_session").unwrap();
    for part in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    // `next` never leaves the dashboard.
    let b2 = Browser::new(&api.base);
    let f2 = b2.get("/ui/login").await;
    let r = b2
        .post(
            "/ui/login",
            &[
                ("csrf", &f2.csrf()),
                ("username", USER.0),
                ("password", USER.1),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/ui/containers");
}

#[tokio::test]
async fn failed_logins_are_limited() {
    let api = start().await;
    let b = Browser::new(&api.base);
    let csrf = b.get("/ui/login").await.csrf();
    for _ in 0..5 {
        let r = b
            .post(
                "/ui/login",
                &[
                    ("csrf", &csrf),
                    ("username", USER.0),
                    ("password", "not-the-password"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // Now even the right password is refused, with the same message and a retry hint.
    let r = b
        .post(
            "/ui/login",
            &[("csrf", &csrf), ("username", USER.0), ("password", USER.1)],
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("id=\"login-error\""));
    assert!(r.body.contains("15"), "retry hint");
    assert!(b.cookie("tmtm_session").is_none());
    // Another user is not affected.
    b.login(ADMIN.0, ADMIN.1).await;
}

#[tokio::test]
async fn logout_needs_post_and_the_token() {
    let api = start().await;
    let b = Browser::new(&api.base);
    b.login(USER.0, USER.1).await;
    let html = b.html("/ui/containers").await;
    let csrf = csrf_in(&html);
    assert_eq!(
        b.get("/ui/logout").await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        b.post("/ui/logout", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        b.post("/ui/logout", &[("csrf", "f".repeat(64).as_str())])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(b.get("/ui/containers").await.status, 200, "still logged in");
    let session = b.cookie("tmtm_session").unwrap();
    let out = b.post("/ui/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), "/ui/login");
    assert!(b.cookie("tmtm_session").is_none());
    // The old session value no longer works.
    let stale = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/ui/containers", api.base))
        .header("cookie", format!("tmtm_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn forms_without_the_right_token_change_nothing() {
    let api = start().await;
    let b = Browser::new(&api.base);
    b.login(ADMIN.0, ADMIN.1).await;
    let csrf = csrf_in(&b.html("/ui/admin").await);
    for token in ["", "wrong", &"0".repeat(64)] {
        let r = b
            .post(
                "/ui/admin/users",
                &[
                    ("csrf", token),
                    ("username", "mallory"),
                    ("password", "long-enough-pw"),
                    ("role", "admin"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = b
            .post(
                "/ui/admin/users/disable",
                &[("csrf", token), ("username", USER.0), ("disabled", "1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    assert!(api.db.user_by_name("mallory").await.unwrap().is_none());
    assert!(!api.db.user_by_name(USER.0).await.unwrap().unwrap().disabled);
    // Another session's token does not work either.
    let other = Browser::new(&api.base);
    other.login(ADMIN.0, ADMIN.1).await;
    let foreign = csrf_in(&other.html("/ui/admin").await);
    assert_ne!(foreign, csrf);
    let r = b
        .post(
            "/ui/admin/users",
            &[
                ("csrf", &foreign),
                ("username", "mallory"),
                ("password", "long-enough-pw"),
                ("role", "user"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // With the token it works.
    let r = b
        .post(
            "/ui/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "carol"),
                ("password", "long-enough-pw"),
                ("role", "user"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("data-username=\"carol\""));
    assert!(api.db.user_by_name("carol").await.unwrap().is_some());
}

#[tokio::test]
async fn every_page_for_users_redirects_anonymous_and_carries_the_headers() {
    let api = start().await;
    let anon = Browser::new(&api.base);
    for path in PAGES {
        let r = anon.get(path).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert!(
            r.location().starts_with("/ui/login?next=%2Fui%2F"),
            "{path}: {}",
            r.location()
        );
    }
    assert_eq!(anon.get("/").await.location(), "/ui/login");
    // A form sent without a session cannot be repeated by a redirect: no `next`, so the
    // login lands on the container list rather than on a 405.
    let csrf = csrf_in(&anon.html("/ui/login").await);
    for path in [
        "/ui/admin/users",
        "/ui/network/check",
        "/ui/logout",
        "/ui/admin/tokens",
        "/ui/containers",
        "/ui/no-such-page",
    ] {
        let r = anon.post(path, &[("csrf", &csrf)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.location(), "/ui/login", "{path}");
    }
    let admin = Browser::new(&api.base);
    admin.login(ADMIN.0, ADMIN.1).await;
    assert_eq!(admin.get("/").await.location(), "/ui/containers");
    for path in PAGES.iter().chain(["/ui/login"].iter()) {
        let r = admin.get(path).await;
        let expected = if *path == "/ui/login" { 303 } else { 200 };
        assert_eq!(r.status, expected, "{path}");
        assert_eq!(r.headers["content-security-policy"], CSP, "{path}");
        assert_eq!(r.headers["x-frame-options"], "DENY");
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
        assert_eq!(r.headers["referrer-policy"], "same-origin");
        if expected == 200 {
            assert!(r.body.contains("<html lang=\"ru\">"), "{path}");
            assert!(r.body.contains("id=\"current-user\">admin<"), "{path}");
            assert!(r.body.contains("id=\"nav-admin\""), "{path}");
            assert!(!r.body.contains("<script>"), "{path}: no inline script");
            assert!(!r.body.contains("style=\""), "{path}: no inline style");
        }
    }
    assert_eq!(
        anon.get("/ui/login").await.headers["content-security-policy"],
        CSP
    );
    assert_eq!(admin.get("/ui/containers/NO-SUCH").await.status, 404);
    let wrong_method = admin
        .post(
            "/ui/containers",
            &[("csrf", &csrf_in(&admin.html("/ui/containers").await))],
        )
        .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.headers["content-security-policy"], CSP);
    assert_eq!(admin.get("/ui/assets/style.css").await.status, 200);
    assert_eq!(admin.get("/ui/assets/nope.js").await.status, 404);

    let user = Browser::new(&api.base);
    user.login(USER.0, USER.1).await;
    let html = user.html("/ui/containers").await;
    assert!(!html.contains("id=\"nav-admin\""));
    let r = user.get("/ui/admin").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let csrf = csrf_in(&html);
    let r = user
        .post(
            "/ui/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "eve"),
                ("password", "long-enough-pw"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(api.db.user_by_name("eve").await.unwrap().is_none());
}

#[tokio::test]
async fn the_language_is_chosen_and_remembered() {
    let api = start().await;
    let b = Browser::new(&api.base);
    b.login(USER.0, USER.1).await;
    let html = b.html("/ui/containers").await;
    assert!(html.contains("Контейнеры"));
    let r = b
        .post("/ui/lang", &[("csrf", &csrf_in(&html)), ("lang", "en")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let html = b.html("/ui/containers").await;
    assert!(html.contains("<html lang=\"en\">") && html.contains("All containers"));
    assert_eq!(b.post("/ui/lang", &[("lang", "ru")]).await.status, 403);
}

#[tokio::test]
async fn cookie_requests_from_a_foreign_origin_are_refused() {
    let api = start().await;
    let b = Browser::new(&api.base);
    b.login(USER.0, USER.1).await;
    let cookie = b.cookie_header();
    let client = reqwest::Client::new();
    let upload = |origin: Option<&'static str>| {
        let (client, cookie, url) = (
            client.clone(),
            cookie.clone(),
            format!("{}/upload", api.base),
        );
        async move {
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(b"hello".to_vec()).file_name("a.txt"),
            );
            let mut r = client.post(url).header("cookie", cookie).multipart(form);
            if let Some(o) = origin {
                r = r.header("origin", o);
            }
            r.send().await.unwrap().status()
        }
    };
    assert_eq!(
        upload(Some("http://127.0.0.1:1")).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(upload(Some("null")).await, StatusCode::FORBIDDEN);
    let own = api.base.clone();
    let own: &'static str = Box::leak(own.into_boxed_str());
    assert_eq!(upload(Some(own)).await, StatusCode::OK);
    assert_eq!(
        upload(Some("https://tmtm.example.org")).await,
        StatusCode::OK
    );
    assert_eq!(upload(None).await, StatusCode::OK);

    // The command WebSocket with the session cookie.
    let ws_url = format!("{}/transactions", api.base.replacen("http://", "ws://", 1));
    let handshake = |origin: String| {
        let mut req = ws_url.clone().into_client_request().unwrap();
        req.headers_mut().insert("cookie", cookie.parse().unwrap());
        req.headers_mut().insert("origin", origin.parse().unwrap());
        tokio_tungstenite::connect_async(req)
    };
    match handshake("http://127.0.0.1:1".into()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 403),
        other => panic!("foreign origin was not refused: {:?}", other.map(|_| ())),
    }
    let (ws, _) = handshake(api.base.clone())
        .await
        .expect("own origin connects");
    drop(ws);
}
