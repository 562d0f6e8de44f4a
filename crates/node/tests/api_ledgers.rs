//! REST reads over real HTTP: ledgers and transactions (pagination, order, exact content,
//! signature verification), list_with_meta's route figures with a fixed "now", and bad
//! input (ids, pages, methods) getting documented 4xx answers.

mod api_support;

use api_support::*;
use serde_json::{json, Value};
use tmtm_node::config::SignaturePolicy;

const NASTY: &str =
    "$(rm -rf /) `id` \"; DROP TABLE ledgers; -- <script>alert(1)</script> & 'контейнер' №5";

#[tokio::test]
async fn ledgers_are_listed_newest_first_with_exact_names_and_metadata() {
    let api = start().await;
    let a = create_ledger(
        &api.db,
        "TGHU1234567",
        vec![signed(doc("1", "10.03.2024", "x"), &hop_keys(0))],
        1000,
    )
    .await;
    let b = create_ledger(
        &api.db,
        NASTY,
        vec![signed(doc("2", "11.03.2024", NASTY), &hop_keys(0))],
        2000,
    )
    .await;
    let list = api.get_json("/ledgers/").await;
    assert_eq!(list["count"], 2);
    assert_eq!(list["next"], Value::Null);
    assert_eq!(list["previous"], Value::Null);
    assert_eq!(list["results"][0]["id"], b);
    assert_eq!(list["results"][0]["name"], NASTY);
    assert_eq!(list["results"][1]["id"], a);
    assert_eq!(list["results"][1]["metadata"]["actor"]["label"], "SELF");
    let one = api.get_json(&format!("/ledgers/{b}/")).await;
    assert_eq!(one, list["results"][0]);
    let txns = api.get_json(&format!("/ledgers/{b}/transactions/")).await;
    let txn = &txns["results"][0]["txn"];
    assert_eq!(txn["ledger"]["name"], NASTY);
    assert_eq!(txn["departure_station"], "Достык");
    assert!(txn.get("txnMetadata").is_none());
    assert_eq!(txns["results"][0]["metadata"]["seqNo"], 1);
}

#[tokio::test]
async fn transactions_page_newest_first_with_public_links() {
    let api = start().await;
    let txns = (1..=5)
        .map(|i| signed(doc(&i.to_string(), "10.03.2024", "L"), &hop_keys(0)))
        .collect();
    let id = create_ledger(&api.db, "L", txns, 1).await;
    let path = format!("/ledgers/{id}/transactions/");
    let page1 = api.get_json(&format!("{path}?page_size=2")).await;
    assert_eq!(page1["count"], 5);
    let seqs = |v: &Value| {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["seq_no"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(seqs(&page1), [5, 4]);
    assert_eq!(
        page1["next"],
        format!("{PUBLIC_URL}{path}?page=2&page_size=2")
    );
    assert_eq!(page1["previous"], Value::Null);
    let page3 = api.get_json(&format!("{path}?page=3&page_size=2")).await;
    assert_eq!(seqs(&page3), [1]);
    assert_eq!(page3["next"], Value::Null);
    assert_eq!(
        page3["previous"],
        format!("{PUBLIC_URL}{path}?page=2&page_size=2")
    );
    assert_eq!(
        seqs(&api.get_json(&format!("{path}?page=last&page_size=2")).await),
        [1]
    );
    assert_eq!(seqs(&api.get_json(&path).await), [5, 4, 3, 2, 1]);
    let one = api.get_json(&format!("{path}3/")).await;
    assert_eq!(one["seq_no"], 3);
    assert_eq!(one["txn"]["no"], "3");
    // The Host header never leaks into links.
    let resp = api
        .client
        .get(api.url(&format!("{path}?page_size=1")))
        .header("Host", "evil.example")
        .basic_auth(USER.0, Some(USER.1))
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert!(body["next"].as_str().unwrap().starts_with(PUBLIC_URL));
}

#[tokio::test]
async fn bad_ids_pages_and_methods_get_json_4xx() {
    let api = start().await;
    let id = create_ledger(&api.db, "L", vec![doc("1", "1.1.24", "L")], 1).await;
    for (path, status, code) in [
        ("/ledgers/999/".to_owned(), 404, "not_found"),
        ("/ledgers/abc/".to_owned(), 404, "not_found"),
        ("/ledgers/-1/".to_owned(), 404, "not_found"),
        ("/ledgers/0/".to_owned(), 404, "not_found"),
        (
            "/ledgers/99999999999999999999999/".to_owned(),
            404,
            "not_found",
        ),
        (format!("/ledgers/{id}/transactions/2/"), 404, "not_found"),
        (format!("/ledgers/{id}/transactions/x/"), 404, "not_found"),
        (
            format!("/ledgers/{id}/transactions/18446744073709551616/"),
            404,
            "not_found",
        ),
        (
            "/ledgers/999/transactions/list_with_meta/".to_owned(),
            404,
            "not_found",
        ),
        ("/ledgers/?page=0".to_owned(), 404, "invalid_page"),
        ("/ledgers/?page=-3".to_owned(), 404, "invalid_page"),
        ("/ledgers/?page=two".to_owned(), 404, "invalid_page"),
        ("/ledgers/?page=2".to_owned(), 404, "invalid_page"),
        (
            "/ledgers/?page=99999999999999999999999".to_owned(),
            404,
            "invalid_page",
        ),
        ("/ledgers/?page_size=0".to_owned(), 400, "invalid_parameter"),
        (
            "/ledgers/?page_size=1001".to_owned(),
            400,
            "invalid_parameter",
        ),
        ("/ledgers/?page=%ZZ".to_owned(), 404, "invalid_page"),
        ("/no/such/route".to_owned(), 404, "not_found"),
    ] {
        let resp = api.get(&path).await;
        assert_eq!(resp.status(), status, "{path}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], code, "{path}");
    }
    let resp = api
        .client
        .delete(api.url("/ledgers/"))
        .basic_auth(USER.0, Some(USER.1))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "method_not_allowed"
    );
    // A JSON body on list_with_meta is ignored, malformed or not.
    let resp = api
        .client
        .post(api.url(&format!("/ledgers/{id}/transactions/list_with_meta/")))
        .basic_auth(USER.0, Some(USER.1))
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn signatures_are_verified_against_the_roster() {
    let api = start().await;
    let good = signed(doc("1", "10.03.2024", "L"), &hop_keys(1));
    // Claims Port Aktau's key but is signed by someone else.
    let mut forged = signed(doc("2", "10.03.2024", "L"), &off_route_keys());
    forged["msg~sig"]["signer"] = json!(hop_keys(1).verkey().to_base58());
    // Signed by Port Aktau, then the content changed.
    let mut altered = signed(doc("3", "10.03.2024", "L"), &hop_keys(1));
    altered.insert("cargo".into(), json!("Gold"));
    // The original's detached form: no sig_data.
    let mut detached = signed(doc("4", "10.03.2024", "L"), &hop_keys(1));
    detached["msg~sig"]
        .as_object_mut()
        .unwrap()
        .shift_remove("sig_data");
    let mut no_attach = signed(doc("5", "10.03.2024", "L"), &off_route_keys());
    no_attach.shift_remove("~attach");
    let no_attach = signed(no_attach, &off_route_keys());
    let id = create_ledger(
        &api.db,
        "L",
        vec![
            good,
            forged,
            altered,
            detached.clone(),
            no_attach,
            doc("6", "x", "L"),
        ],
        1,
    )
    .await;
    let list = api.get_json(&format!("/ledgers/{id}/transactions/")).await;
    let by_seq = |n: u64| {
        list["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["seq_no"] == n)
            .unwrap()
            .clone()
    };
    let t1 = by_seq(1);
    assert_eq!(
        (t1["signature_verified"].clone(), t1["status"].clone()),
        (json!(true), json!("in_way"))
    );
    assert_eq!(t1["signer_label"], "Port Aktau");
    assert_eq!(t1["signer_icon"], "/static/logos/port-aktau.png");
    assert_eq!(t1["date"], "10.03.2024");
    assert_eq!(t1["attachments"][0]["filename"], "waybill.pdf");
    for n in [2, 3, 4, 6] {
        let t = by_seq(n);
        assert_eq!(t["signature_verified"], false, "seq {n}");
        assert_eq!(t["status"], Value::Null, "seq {n}");
        assert_eq!(t["signer_label"], Value::Null, "seq {n}");
    }
    let t5 = by_seq(5);
    assert_eq!(t5["signature_verified"], true);
    assert_eq!(t5["status"], "in_way", "an off-route participant is in way");
    assert_eq!(t5["attachments"], json!([]));
    // With the legacy policy the detached signature's roster signer is accepted, unverified.
    let legacy = start_with(Options {
        policy: SignaturePolicy::Legacy,
        ..Options::default()
    })
    .await;
    let id = create_ledger(&legacy.db, "L", vec![detached], 1).await;
    let t = legacy
        .get_json(&format!("/ledgers/{id}/transactions/1/"))
        .await;
    assert_eq!(
        (t["signature_verified"].clone(), t["status"].clone()),
        (json!(false), json!("in_way"))
    );
    assert_eq!(t["signer_label"], "Port Aktau");
}

async fn meta(api: &TestApi, name: &str, txns: Vec<(usize, &str)>) -> Value {
    let docs = txns.into_iter().enumerate().map(|(i, (hop, date))| {
        let keys = if hop == 9 {
            off_route_keys()
        } else {
            hop_keys(hop)
        };
        signed(doc(&i.to_string(), date, name), &keys)
    });
    let id = create_ledger(&api.db, name, docs.collect(), 1).await;
    api.get_json(&format!("/ledgers/{id}/transactions/list_with_meta/"))
        .await
}

fn figures(v: &Value) -> (Value, Value, Value, Value) {
    (
        v["status"].clone(),
        v["approaching"].clone(),
        v["days_in_way"].clone(),
        v["approaching_days"].clone(),
    )
}

#[tokio::test]
async fn list_with_meta_route_figures_at_port_of_baku() {
    // This node is Port of Baku (hop 2, leg of 3 days); now = 2024-03-20.
    let api = start().await;
    let v = meta(&api, "A", vec![(0, "10.03.2024"), (1, "18.03.24")]).await;
    assert_eq!(
        figures(&v),
        (json!("in_way"), json!(true), json!(10), json!(1))
    );
    assert_eq!(v["results"][0]["seq_no"], 2, "newest first");
    // Started today at KTZ Express: 0 days (not null), approaching by the Baku rule.
    let v = meta(&api, "B", vec![(0, "20.03.2024")]).await;
    assert_eq!(
        figures(&v),
        (json!("started"), json!(true), json!(0), Value::Null)
    );
    // Arrived in Georgia.
    let v = meta(
        &api,
        "C",
        vec![(0, "01.03.2024"), (1, "5.3.2024"), (4, "15.03.2024")],
    )
    .await;
    assert_eq!(
        figures(&v),
        (json!("finished"), json!(false), json!(-1), Value::Null)
    );
    // Overdue: the previous hop signed 10 days ago, the leg takes 3.
    let v = meta(&api, "D", vec![(0, "01.03.2024"), (1, "2024-03-10")]).await;
    assert_eq!(
        figures(&v),
        (json!("in_way"), json!(true), json!(19), json!(-7))
    );
    // Past this node: not approaching.
    let v = meta(&api, "E", vec![(0, "01.03.2024"), (3, "19.03.2024")]).await;
    assert_eq!(
        figures(&v),
        (json!("in_way"), json!(false), json!(19), Value::Null)
    );
    // Unparsable dates give null days; a future date counts as 0.
    let v = meta(&api, "F", vec![(0, "March 1st"), (1, "19.03.2024")]).await;
    assert_eq!(v["days_in_way"], Value::Null);
    let v = meta(&api, "G", vec![(0, "25.03.2024"), (1, "31.02.2024")]).await;
    assert_eq!(
        (v["days_in_way"].clone(), v["approaching_days"].clone()),
        (Value::Null, Value::Null)
    );
    let v = meta(&api, "H", vec![(0, "25.03.2024"), (1, "25.03.2024")]).await;
    assert_eq!(
        (v["days_in_way"].clone(), v["approaching_days"].clone()),
        (json!(0), json!(3))
    );
}

#[tokio::test]
async fn list_with_meta_has_no_wrap_around_at_the_first_hop() {
    // This node is KTZ Express (hop 0): nothing approaches it, even from the last hop.
    let api = start_with(Options {
        own_hop: Some(0),
        ..Options::default()
    })
    .await;
    let v = meta(&api, "A", vec![(0, "01.03.2024"), (4, "10.03.2024")]).await;
    assert_eq!(
        figures(&v),
        (json!("finished"), json!(false), json!(-1), Value::Null)
    );
    let v = meta(&api, "B", vec![(3, "01.03.2024")]).await;
    assert_eq!(
        figures(&v),
        (json!("in_way"), json!(false), json!(19), Value::Null)
    );
    // Port Aktau (hop 1) sees containers KTZ Express signed, with its 5-day leg.
    let api = start_with(Options {
        own_hop: Some(1),
        ..Options::default()
    })
    .await;
    let v = meta(&api, "A", vec![(0, "18.03.2024")]).await;
    assert_eq!(
        figures(&v),
        (json!("started"), json!(true), json!(2), json!(3))
    );
    // An empty result list is not an error.
    let id = create_ledger(&api.db, "empty", vec![], 1).await;
    let v = api
        .get_json(&format!("/ledgers/{id}/transactions/list_with_meta/"))
        .await;
    assert_eq!(v["results"], json!([]));
    assert_eq!(
        figures(&v),
        (Value::Null, json!(false), Value::Null, Value::Null)
    );
}
