//! Authentication of the REST API over real HTTP: BasicAuth, session cookies, 401 shape,
//! disabled users, the admin bootstrap, and WebSocket tokens (issue, expiry, revocation).

mod api_support;

use api_support::*;
use reqwest::header::{AUTHORIZATION, COOKIE, WWW_AUTHENTICATE};
use serde_json::Value;
use tmtm_node::api::{self, sessions, tokens};
use tmtm_node::config::{ConfigLayer, NodeConfig};
use tmtm_node::secret::Secret;

const PROTECTED: [(&str, &str); 9] = [
    ("GET", "/ledgers/"),
    ("GET", "/ledgers/1/"),
    ("GET", "/ledgers/1/transactions/"),
    ("POST", "/ledgers/1/transactions/list_with_meta/"),
    ("GET", "/gu-11/"),
    ("GET", "/gu-12/1/"),
    ("POST", "/maintenance/allocate_token/"),
    ("GET", "/maintenance/check_health/"),
    ("POST", "/upload"),
];

async fn assert_401(resp: reqwest::Response, message: &str) {
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.headers()[WWW_AUTHENTICATE],
        "Basic realm=\"tmtm\", charset=\"UTF-8\""
    );
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
    assert_eq!(body["message"], message);
    assert_eq!(body["detail"], message);
}

#[tokio::test]
async fn every_protected_route_requires_credentials() {
    let api = start().await;
    for (method, path) in PROTECTED {
        let req = api.client.request(method.parse().unwrap(), api.url(path));
        assert_401(
            req.send().await.unwrap(),
            "Authentication credentials were not provided.",
        )
        .await;
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let api = start().await;
    for (user, password) in [(USER.0, "wrong password"), ("nobody", USER.1), (USER.0, "")] {
        let resp = api
            .client
            .get(api.url("/ledgers/"))
            .basic_auth(user, Some(password))
            .send()
            .await
            .unwrap();
        assert_401(resp, "Invalid username/password.").await;
    }
    let resp = api
        .client
        .get(api.url("/ledgers/"))
        .header(AUTHORIZATION, "Basic %%%")
        .send()
        .await
        .unwrap();
    assert_401(resp, "Invalid basic header.").await;
    let ok = api
        .client
        .get(api.url("/ledgers/"))
        .header(AUTHORIZATION, basic(USER.0, USER.1))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn disabled_users_are_refused_and_password_changes_apply_at_once() {
    let api = start().await;
    assert_eq!(api.get("/ledgers/").await.status(), 200); // cached verification
    api::users::set_disabled(&api.db, USER.0, true, 2)
        .await
        .unwrap();
    assert_401(api.get("/ledgers/").await, "User inactive or deleted.").await;
    api::users::set_disabled(&api.db, USER.0, false, 3)
        .await
        .unwrap();
    assert_eq!(api.get("/ledgers/").await.status(), 200);
    api::users::set_password(&api.db, USER.0, &Secret::new("a new password"), 4)
        .await
        .unwrap();
    assert_401(api.get("/ledgers/").await, "Invalid username/password.").await;
    let resp = api
        .client
        .get(api.url("/ledgers/"))
        .basic_auth(USER.0, Some("a new password"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn session_cookie_authenticates_until_deleted_or_expired() {
    let api = start().await;
    let (token, _) = sessions::create(&api.db, api.user_id, 60_000, now_ms())
        .await
        .unwrap();
    let cookie = format!("theme=dark; {}={token}", sessions::SESSION_COOKIE);
    let resp = api
        .client
        .get(api.url("/ledgers/"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(sessions::delete(&api.db, &token).await.unwrap());
    let resp = api
        .client
        .get(api.url("/ledgers/"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_401(resp, "Session expired or invalid.").await;
    // Expired: created long before the node's fixed "now".
    let (old, _) = sessions::create(&api.db, api.user_id, 1000, now_ms() - 10_000)
        .await
        .unwrap();
    let cookie = format!("{}={old}", sessions::SESSION_COOKIE);
    let resp = api
        .client
        .get(api.url("/ledgers/"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_401(resp, "Session expired or invalid.").await;
}

#[tokio::test]
async fn tokens_expire_are_revocable_and_never_stored_in_clear() {
    let api = start().await;
    let resp = api
        .client
        .post(api.url("/maintenance/allocate_token/"))
        .basic_auth(USER.0, Some(USER.1))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let issued: Value = resp.json().await.unwrap();
    let token = issued["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 64);
    assert_eq!(issued["expires_at"], "2024-03-20T13:00:00Z");
    for entry in std::fs::read_dir(api.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            let found = bytes.windows(token.len()).any(|w| w == token.as_bytes());
            assert!(!found, "token in clear in {}", path.display());
        }
    }
    let user = tokens::authenticate_at(&api.db, &token, now_ms())
        .await
        .unwrap();
    assert_eq!(user.username, USER.0);
    assert!(
        tokens::authenticate_at(&api.db, &token, now_ms() + 3_600_000)
            .await
            .is_none(),
        "expired"
    );
    assert!(
        tokens::authenticate_at(&api.db, "0".repeat(64).as_str(), now_ms())
            .await
            .is_none()
    );
    assert!(tokens::authenticate_at(&api.db, "not a token", now_ms())
        .await
        .is_none());
    // GET allocates too (as in the original), with a shorter lifetime on POST.
    let get: Value = api.get_json("/maintenance/allocate_token/").await;
    assert_ne!(get["token"], issued["token"]);
    let short: Value = api
        .client
        .post(api.url("/maintenance/allocate_token/"))
        .basic_auth(USER.0, Some(USER.1))
        .body(r#"{"lifetime_secs": 60}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(short["expires_at"], "2024-03-20T12:01:00Z");
    // Only the owner or an admin may revoke; someone else sees 404.
    let id = issued["id"].as_i64().unwrap();
    let admin_token: Value = api
        .client
        .post(api.url("/maintenance/allocate_token/"))
        .basic_auth(ADMIN.0, Some(ADMIN.1))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let other = admin_token["id"].as_i64().unwrap();
    let resp = api
        .client
        .delete(api.url(&format!("/maintenance/tokens/{other}/")))
        .basic_auth(USER.0, Some(USER.1))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let resp = api
        .client
        .delete(api.url(&format!("/maintenance/tokens/{id}/")))
        .basic_auth(USER.0, Some(USER.1))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert!(
        tokens::authenticate_at(&api.db, &token, now_ms())
            .await
            .is_none(),
        "revoked"
    );
    let resp = api
        .client
        .delete(api.url(&format!("/maintenance/tokens/{other}/")))
        .basic_auth(ADMIN.0, Some(ADMIN.1))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    // A disabled user's tokens stop working.
    let get: Value = api.get_json("/maintenance/allocate_token/").await;
    api::users::set_disabled(&api.db, USER.0, true, 5)
        .await
        .unwrap();
    assert!(
        tokens::authenticate_at(&api.db, get["token"].as_str().unwrap(), now_ms())
            .await
            .is_none()
    );
}

#[tokio::test]
async fn token_requests_reject_bad_bodies() {
    let api = start().await;
    for body in [
        "{not json",
        r#"{"lifetime_secs": -1}"#,
        r#"{"lifetime_secs": 0}"#,
        r#"{"other": 1}"#,
    ] {
        let resp = api
            .client
            .post(api.url("/maintenance/allocate_token/"))
            .basic_auth(USER.0, Some(USER.1))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{body}");
        let err: Value = resp.json().await.unwrap();
        assert!(err["error"].is_string() && err["message"].is_string());
    }
    let resp = api
        .client
        .delete(api.url("/maintenance/tokens/abc/"))
        .basic_auth(USER.0, Some(USER.1))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}

fn config(user: Option<&str>, password: Option<&str>) -> NodeConfig {
    let layer = ConfigLayer {
        admin_username: user.map(str::to_owned),
        admin_password: password.map(Secret::new),
        ..ConfigLayer::default()
    };
    NodeConfig::resolve(layer, None, std::path::Path::new("/tmp")).unwrap()
}

#[tokio::test]
async fn admin_bootstrap_creates_once_and_never_resets() {
    let dir = tempfile::tempdir().unwrap();
    let db =
        tmtm_node::storage::Database::open_sqlite_file(&dir.path().join("db"), &Default::default())
            .await
            .unwrap();
    use tmtm_node::api::users::{bootstrap_admin, check_password, Bootstrap};
    assert_eq!(
        bootstrap_admin(&db, &config(None, None)).await.unwrap(),
        Bootstrap::NotConfigured
    );
    let first = config(Some("root"), Some("first password"));
    assert_eq!(
        bootstrap_admin(&db, &first).await.unwrap(),
        Bootstrap::Created("root".into())
    );
    let changed = config(Some("root"), Some("second password"));
    assert_eq!(
        bootstrap_admin(&db, &changed).await.unwrap(),
        Bootstrap::Kept
    );
    assert!(check_password(&db, "root", "first password").await.is_ok());
    assert!(check_password(&db, "root", "second password")
        .await
        .is_err());
    let users = api::users::list_users(&db).await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].role, tmtm_node::storage::Role::Admin);
    // Policy: short passwords and duplicate names are refused.
    let short = api::users::add_user(
        &db,
        "bob",
        &Secret::new("short"),
        tmtm_node::storage::Role::User,
        1,
    )
    .await;
    assert!(matches!(short, Err(api::users::UserError::BadPassword(_))));
    let dup = api::users::add_user(
        &db,
        "root",
        &Secret::new("long enough pw"),
        tmtm_node::storage::Role::User,
        1,
    )
    .await;
    assert!(matches!(dup, Err(api::users::UserError::Exists(_))));
}
