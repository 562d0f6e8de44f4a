//! Health, readiness, metrics, the OpenAPI document, GU-11/GU-12 reads and the network
//! health check (with a fake pinger), over real HTTP.

mod api_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use api_support::*;
use serde_json::{json, Value};
use tmtm_node::api::health::{HealthPinger, PingFuture};
use tmtm_node::storage::GuKind;
use tmtm_wire::keys::Did;

#[tokio::test]
async fn health_readiness_and_metrics_are_public() {
    let api = start().await;
    let resp = api.client.get(api.url("/healthz")).send().await.unwrap();
    assert_eq!(
        (resp.status().as_u16(), resp.text().await.unwrap()),
        (200, "ok".to_owned())
    );
    assert_eq!(
        api.client
            .get(api.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(api.get("/ledgers/").await.status(), 200);
    assert_eq!(api.get("/ledgers/7/").await.status(), 404);
    api.state.metrics.observe_round(0.2);
    api.state.metrics.message_in();
    let text = api
        .client
        .get(api.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            "tmtm_http_requests_total{method=\"GET\",route=\"/ledgers/\",status=\"200\"} 1\n"
        ),
        "{text}"
    );
    assert!(text.contains("route=\"/ledgers/{id}/\",status=\"404\"} 1\n"));
    assert!(text.contains("tmtm_outbox_depth 0\n"));
    assert!(text.contains("tmtm_didcomm_messages_in_total 1\n"));
    assert!(text.contains("tmtm_consensus_round_seconds_bucket{le=\"0.25\"} 1\n"));
    assert!(!text.contains(USER.0), "no user names in metrics");
    api.db.close().await;
    let resp = api.client.get(api.url("/readyz")).send().await.unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"], "unavailable");
}

#[tokio::test]
async fn openapi_document_lists_every_route() {
    let api = start().await;
    let doc: Value = api
        .client
        .get(api.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/ledgers/", "get"),
        ("/ledgers/{id}/", "get"),
        ("/ledgers/{id}/transactions/", "get"),
        ("/ledgers/{id}/transactions/{seq_no}/", "get"),
        ("/ledgers/{id}/transactions/list_with_meta/", "get"),
        ("/ledgers/{id}/transactions/list_with_meta/", "post"),
        ("/gu-11/", "get"),
        ("/gu-11/{id}/", "get"),
        ("/gu-12/", "get"),
        ("/gu-12/{id}/", "get"),
        ("/maintenance/allocate_token/", "get"),
        ("/maintenance/allocate_token/", "post"),
        ("/maintenance/tokens/{id}/", "delete"),
        ("/maintenance/check_health/", "get"),
        ("/maintenance/check_health/", "post"),
        ("/upload", "post"),
        ("/content/{uid}", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
        ("/api/openapi.json", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path}"
        );
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "ErrorBody",
        "TransactionObject",
        "LedgerObject",
        "ListWithMeta",
        "UploadResult",
        "IssuedToken",
        "CheckHealth",
        "GuObject",
    ] {
        assert!(schemas.contains_key(name), "{name}");
    }
    assert!(doc["components"]["securitySchemes"]["basic"].is_object());
}

#[tokio::test]
async fn gu_records_are_listed_with_id_sender_and_message_id() {
    let api = start().await;
    let sender = hop_did(0);
    let payload = json!({"@id": "m1", "no": "17", "date": "01.03.2024", "cargo_name": "Хлопок <b>",
        "depart_station": "Достык", "arrival_station": "Poti", "month": "3", "year": 2024, "decade": "1",
        "tonnage": "60", "shipper": "$(id)",
        "~attach": [{"@id": "document-0", "mime_type": "application/pdf", "filename": "plan.pdf",
                     "data": {"json": {"url": "https://a.example/content/1", "md5": "ab"}}}]});
    assert!(api
        .db
        .insert_gu(GuKind::Gu11, &payload, sender.as_str(), "m1", now_ms())
        .await
        .unwrap());
    assert!(
        !api.db
            .insert_gu(GuKind::Gu11, &payload, sender.as_str(), "m1", now_ms())
            .await
            .unwrap(),
        "duplicate dropped"
    );
    assert!(
        api.db
            .insert_gu(GuKind::Gu11, &payload, hop_did(1).as_str(), "m1", now_ms())
            .await
            .unwrap(),
        "other sender"
    );
    assert!(api
        .db
        .insert_gu(
            GuKind::Gu12,
            &json!({"no": "9"}),
            sender.as_str(),
            "m2",
            now_ms()
        )
        .await
        .unwrap());
    let list = api.get_json("/gu-11/").await;
    assert_eq!(list["count"], 2);
    let first = &list["results"][1];
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "no",
            "date",
            "cargo_name",
            "depart_station",
            "arrival_station",
            "month",
            "year",
            "decade",
            "tonnage",
            "shipper",
            "attachments",
            "sender",
            "@id",
            "received_at",
            "msg~sig"
        ]
    );
    assert_eq!(first["cargo_name"], "Хлопок <b>");
    assert_eq!(first["shipper"], "$(id)");
    assert_eq!(first["year"], "2024");
    assert_eq!(first["sender"], sender.as_str());
    assert_eq!(first["@id"], "m1");
    assert_eq!(
        first["msg~sig"],
        serde_json::Value::Null,
        "an unsigned record"
    );
    assert_eq!(
        first["attachments"],
        json!([{"url": "https://a.example/content/1", "md5": "ab", "filename": "plan.pdf", "mime_type": "application/pdf"}])
    );
    let id = first["id"].as_i64().unwrap();
    assert_eq!(&api.get_json(&format!("/gu-11/{id}/")).await, first);
    assert_eq!(
        api.get(&format!("/gu-12/{id}/")).await.status(),
        404,
        "kinds are separate"
    );
    let gu12 = api.get_json("/gu-12/").await;
    assert_eq!(gu12["count"], 1);
    assert!(gu12["results"][0].get("decade").is_none());
    assert_eq!(gu12["results"][0]["cargo_name"], "");
}

struct FakePinger {
    calls: AtomicUsize,
    silent: Did,
}

impl HealthPinger for FakePinger {
    fn ping<'a>(&'a self, did: &'a Did, _timeout: Duration) -> PingFuture<'a> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            if did == &self.silent {
                Err("timed out after 5s".to_owned())
            } else {
                Ok(Duration::from_millis(12))
            }
        })
    }
}

#[tokio::test]
async fn check_health_pings_the_others_waits_and_caches() {
    let pinger = Arc::new(FakePinger {
        calls: AtomicUsize::new(0),
        silent: hop_did(4),
    });
    let api = start_with(Options {
        pinger: Some(pinger.clone()),
        ..Options::default()
    })
    .await;
    let v = api.get_json("/maintenance/check_health/").await;
    assert_eq!(v["success"], false);
    assert_eq!(v["message"], "1 of 5 participants did not answer");
    assert_eq!(v["ping_id"], "2024-03-20T12:00:00Z");
    let p = v["participants"].as_object().unwrap();
    assert_eq!(p.len(), 5, "every participant but this node");
    assert!(!p.contains_key(hop_did(2).as_str()));
    assert_eq!(
        p[hop_did(0).as_str()],
        json!({"label": "DKR", "ok": true, "rtt_ms": 12})
    );
    assert_eq!(p[hop_did(4).as_str()]["ok"], false);
    assert_eq!(pinger.calls.load(Ordering::SeqCst), 5);
    // Cached: POST within the cache time pings nobody.
    let resp = api
        .client
        .post(api.url("/maintenance/check_health/"))
        .basic_auth(USER.0, Some(USER.1))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap(), v);
    assert_eq!(pinger.calls.load(Ordering::SeqCst), 5);
    // Without a transport: 503.
    let bare = start().await;
    let resp = bare.get("/maintenance/check_health/").await;
    assert_eq!(resp.status(), 503);
}
