//! Values from users and peers are escaped on every page: a container named
//! `<script>alert(1)</script>"onmouseover=x` (with the same payload in its documents) and a
//! GU-11 record from a peer holding it appear only escaped; `javascript:` attachment URLs
//! are never links.

mod api_support;
mod web_support;

use api_support::{create_ledger, doc, hop_did, hop_keys, now_ms, signed, start, USER};
use serde_json::json;
use tmtm_node::storage::GuKind;
use web_support::Browser;

const PAYLOAD: &str = "<script>alert(1)</script>\"onmouseover=x";

fn assert_escaped(html: &str, what: &str) {
    assert!(!html.contains("<script>alert(1)"), "{what}: raw script tag");
    assert!(
        !html.contains("\"onmouseover=x"),
        "{what}: raw attribute breakout"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)"),
        "{what}: escaped form missing"
    );
    assert!(
        html.contains("&quot;onmouseover=x"),
        "{what}: escaped quote missing"
    );
    assert!(
        !html.contains("href=\"javascript:"),
        "{what}: javascript link"
    );
}

#[tokio::test]
async fn container_and_gu_payloads_render_as_text() {
    let api = start().await;
    let mut txn = doc("1", "20.03.2024", PAYLOAD);
    for k in [
        "no",
        "cargo",
        "departure_station",
        "arrival_station",
        "doc_type",
    ] {
        txn.insert(k.into(), PAYLOAD.into());
    }
    txn.insert(
        "~attach".into(),
        json!([
            {"@id": "document-0", "mime_type": "text/html", "filename": PAYLOAD,
             "data": {"json": {"url": "javascript:alert(1)", "md5": PAYLOAD}}},
            {"@id": "document-1", "mime_type": "application/pdf", "filename": "ok.pdf",
             "data": {"json": {"url": "https://peer.example/content/x", "md5": "00"}}}
        ]),
    );
    create_ledger(&api.db, PAYLOAD, vec![signed(txn, &hop_keys(1))], now_ms()).await;
    let gu = json!({
        "no": PAYLOAD, "date": "20.03.2024", "cargo_name": PAYLOAD, "depart_station": PAYLOAD,
        "arrival_station": "Poti", "month": "Март", "year": "2024", "decade": "1",
        "tonnage": "10", "shipper": PAYLOAD,
        "~attach": [{"@id": "d", "filename": PAYLOAD, "mime_type": "text/plain",
                     "data": {"json": {"url": "javascript:alert(1)", "md5": "00"}}}]
    });
    api.db
        .insert_gu(GuKind::Gu11, &gu, hop_did(1).as_str(), "msg-1", now_ms())
        .await
        .unwrap();

    let b = Browser::new(&api.base);
    b.login(USER.0, USER.1).await;
    let list = b.html("/ui/containers").await;
    assert_escaped(&list, "list");
    assert!(list.contains(
        "href=\"/ui/containers/%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22onmouseover%3Dx\""
    ));
    let page = b
        .html("/ui/containers/%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22onmouseover%3Dx")
        .await;
    assert_escaped(&page, "container page");
    assert!(page.contains("id=\"container-name\">&lt;script&gt;"));
    assert!(page.contains("class=\"doc-link\" href=\"https://peer.example/content/x\""));
    assert!(page.contains("class=\"doc-text\">&lt;script&gt;"));
    let wizard = b
        .html("/ui/wizard?ledger=%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22onmouseover%3Dx")
        .await;
    assert_escaped(&wizard, "wizard");
    let gu = b.html("/ui/gu11").await;
    assert_escaped(&gu, "GU-11 list");
    assert!(gu.contains("class=\"gu-sender\""));
    assert!(gu.contains(">Port Aktau<"), "sender organisation shown");
}
