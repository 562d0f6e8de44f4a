//! Uploads and downloads over real HTTP: content-addressed storage, checksums, the size
//! limit (413, nothing kept), hostile files served inert, path traversal, bad requests.

mod api_support;

use api_support::*;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use sha2::{Digest, Sha256};

async fn upload(api: &TestApi, bytes: Vec<u8>, filename: &str, mime: &str) -> reqwest::Response {
    let part = Part::bytes(bytes)
        .file_name(filename.to_owned())
        .mime_str(mime)
        .unwrap();
    let form = Form::new().text("note", "ignored").part("file", part);
    api.client
        .post(api.url("/upload"))
        .basic_auth(USER.0, Some(USER.1))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

fn stored_files(api: &TestApi) -> Vec<String> {
    let dir = api.dir.path().join("data/content");
    let mut names = Vec::new();
    for sub in [dir.clone(), dir.join("tmp")] {
        if let Ok(rd) = std::fs::read_dir(sub) {
            for e in rd {
                let p = e.unwrap().path();
                if p.is_file() {
                    names.push(p.file_name().unwrap().to_string_lossy().into_owned());
                }
            }
        }
    }
    names
}

#[tokio::test]
async fn upload_then_download_round_trips() {
    let api = start().await;
    let bytes = "Накладная № 5\n$(id) <b>".as_bytes().to_vec();
    let resp = upload(
        &api,
        bytes.clone(),
        "../../etc/накладная 5.txt",
        "text/plain",
    )
    .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    let sha = hex::encode(Sha256::digest(&bytes));
    assert_eq!(body["sha256"], sha);
    assert_eq!(body["md5"].as_str().unwrap().len(), 32);
    assert_eq!(body["size"], bytes.len());
    assert_eq!(body["filename"], "накладная 5.txt");
    assert_eq!(body["mime_type"], "text/plain");
    let url = body["url"].as_str().unwrap();
    let uid = url.strip_prefix(&format!("{PUBLIC_URL}/content/")).unwrap();
    assert_eq!(uid.len(), 32);
    assert_eq!(stored_files(&api), std::slice::from_ref(&sha));
    // Public download (no credentials), as an attachment.
    let resp = api
        .client
        .get(api.url(&format!("/content/{uid}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "text/plain");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["content-security-policy"], "sandbox; default-src 'none'");
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"_________ 5.txt\"; filename*=UTF-8''%D0%BD%D0%B0%D0%BA%D0%BB%D0%B0%D0%B4%D0%BD%D0%B0%D1%8F%205.txt"
    );
    assert_eq!(resp.bytes().await.unwrap().to_vec(), bytes);
    // The same bytes again: a new uid, one stored file.
    let again: Value = upload(&api, bytes, "copy.txt", "text/plain")
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(again["url"], body["url"]);
    assert_eq!(stored_files(&api), [sha]);
}

#[tokio::test]
async fn html_and_svg_are_served_inert() {
    let api = start().await;
    for (name, mime, body) in [
        (
            "x.html",
            "text/html",
            "<script>alert(document.cookie)</script>",
        ),
        (
            "x.svg",
            "image/svg+xml",
            "<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        ),
        ("x.bin", "application/x-unknown", "\u{0}\u{1}"),
    ] {
        let up: Value = upload(&api, body.as_bytes().to_vec(), name, mime)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(up["mime_type"], mime);
        let path = up["url"]
            .as_str()
            .unwrap()
            .strip_prefix(PUBLIC_URL)
            .unwrap()
            .to_owned();
        let resp = api.client.get(api.url(&path)).send().await.unwrap();
        let h = resp.headers();
        assert_eq!(h["content-type"], "application/octet-stream", "{name}");
        assert!(h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;"));
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["content-security-policy"], "sandbox; default-src 'none'");
    }
}

#[tokio::test]
async fn oversize_uploads_get_413_and_leave_nothing() {
    let api = start().await;
    let resp = upload(
        &api,
        vec![b'x'; UPLOAD_LIMIT as usize + 1],
        "big.bin",
        "application/pdf",
    )
    .await;
    assert_eq!(resp.status(), 413);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "payload_too_large");
    assert!(stored_files(&api).is_empty());
    // Far over the limit: refused from Content-Length, before reading.
    let resp = upload(
        &api,
        vec![b'x'; 4 * UPLOAD_LIMIT as usize],
        "big.bin",
        "application/pdf",
    )
    .await;
    assert_eq!(resp.status(), 413);
    assert!(stored_files(&api).is_empty());
    // Exactly the limit is fine.
    let resp = upload(
        &api,
        vec![b'y'; UPLOAD_LIMIT as usize],
        "ok.bin",
        "application/pdf",
    )
    .await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn bad_upload_requests_get_4xx() {
    let api = start().await;
    let form = Form::new().text("other", "no file here");
    let resp = api
        .client
        .post(api.url("/upload"))
        .basic_auth(USER.0, Some(USER.1))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        (body["error"].as_str(), body["message"].as_str()),
        (Some("missing_file"), Some("Expected file value"))
    );
    let resp = api
        .client
        .post(api.url("/upload"))
        .basic_auth(USER.0, Some(USER.1))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 415);
    let resp = api
        .client
        .post(api.url("/upload"))
        .basic_auth(USER.0, Some(USER.1))
        .header("content-type", "multipart/form-data; boundary=XX")
        .body("garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_multipart"
    );
    // Upload needs a user of this node.
    let part = Part::bytes(b"x".to_vec()).file_name("a.txt");
    let resp = api
        .client
        .post(api.url("/upload"))
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(stored_files(&api).is_empty());
}

#[tokio::test]
async fn content_paths_cannot_escape_and_unknown_uids_are_404() {
    let api = start().await;
    std::fs::write(api.dir.path().join("secret.txt"), "secret").unwrap();
    for path in [
        "/content/..%2F..%2Fsecret.txt",
        "/content/%2e%2e%2fsecret.txt",
        "/content/..%5Csecret.txt",
        "/content/00000000000000000000000000000000",
        "/content/0000000000000000000000000000000G",
        "/content/tmtm.sqlite3",
        "/content/",
    ] {
        let resp = api.client.get(api.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "not_found", "{path}");
    }
}
