//! The container list over a seeded database (250 containers): search by name, station and
//! date prefix, the status filter, the tab counts, the menu's approaching counter and paging; the container page's route
//! picture (reached/current/overdue hops) and timeline marks.

mod api_support;
mod web_support;

use api_support::{create_ledger, doc, hop_keys, now_ms, signed, start, USER};
use tmtm_node::demo::TMTM_DEMO;
use web_support::Browser;

/// Rows of the list page, in order.
fn rows(html: &str) -> Vec<String> {
    html.split("class=\"container-row\" data-ledger=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_owned())
        .collect()
}

/// The number in a tab's `span.count`.
fn count(html: &str, tab: &str) -> usize {
    let at = html.find(&format!("id=\"{tab}\"")).unwrap();
    let rest = &html[at..];
    let c = rest.find("<span class=\"count\">").unwrap() + "<span class=\"count\">".len();
    rest[c..rest[c..].find('<').unwrap() + c].parse().unwrap()
}

/// 250 containers: container i is last signed by hop i % 5; ten leave from Алматы; every
/// 50th is dated 01.02.2024.
async fn seed(db: &tmtm_node::storage::Database) {
    for i in 0..250 {
        let name = format!("CONT{i:04}");
        let date = if i % 50 == 0 {
            "01.02.2024"
        } else {
            "20.03.2024"
        };
        let mut first = doc(&format!("A{i}"), date, &name);
        if i < 10 {
            first.insert("departure_station".into(), "Алматы-1".into());
        }
        let mut txns = vec![signed(first, &hop_keys(0))];
        if i % 5 != 0 {
            txns.push(signed(doc(&format!("B{i}"), date, &name), &hop_keys(i % 5)));
        }
        create_ledger(db, &name, txns, now_ms() + i as i64).await;
    }
}

#[tokio::test]
async fn search_filters_tabs_and_paging() {
    let api = start().await;
    seed(&api.db).await;
    let b = Browser::new(&api.base);
    b.login(USER.0, USER.1).await;

    let html = b.html("/ui/containers").await;
    assert_eq!(count(&html, "tab-all"), 250);
    // This node is hop 2: hop 1 and (compatibility rule) hop 0 approach it.
    assert_eq!(count(&html, "tab-approaching"), 100);
    let page1 = rows(&html);
    assert_eq!(page1.len(), 50);
    assert_eq!(page1[0], "CONT0249", "newest first");
    assert!(html.contains("class=\"page-next\""));
    assert!(!html.contains("class=\"page-prev\""));
    assert!(html.contains("class=\"container-link\" href=\"/ui/containers/CONT0249\""));

    let last = b.html("/ui/containers?page=5").await;
    assert_eq!(rows(&last).len(), 50);
    assert_eq!(rows(&last)[49], "CONT0000");
    assert!(last.contains("class=\"page-prev\"") && !last.contains("class=\"page-next\""));
    assert_eq!(rows(&b.html("/ui/containers?page=99").await), rows(&last));
    let mut seen: Vec<String> = Vec::new();
    for p in 1..=5 {
        seen.extend(rows(&b.html(&format!("/ui/containers?page={p}")).await));
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 250, "every container on exactly one page");

    let finished = b.html("/ui/containers?status=finished").await;
    assert_eq!(count(&finished, "tab-all"), 50);
    assert_eq!(count(&finished, "tab-approaching"), 0);
    // The menu's counter ignores the page's filters and is on every page.
    assert_eq!(count(&finished, "nav-approaching"), 100);
    assert_eq!(count(&b.html("/ui/gu11").await, "nav-approaching"), 100);
    assert_eq!(count(&b.html("/ui/network").await, "nav-approaching"), 100);
    assert!(finished.matches("data-status=\"finished\"").count() == 50);
    let started = b
        .html("/ui/containers?status=started&tab=approaching")
        .await;
    assert_eq!(count(&started, "tab-approaching"), 50);
    assert_eq!(rows(&started).len(), 50);
    let in_way = b.html("/ui/containers?status=in_way").await;
    assert_eq!(count(&in_way, "tab-all"), 150);

    let station = b
        .html("/ui/containers?q=%D0%B0%D0%BB%D0%BC%D0%B0%D1%82%D1%8B")
        .await; // "алматы"
    assert_eq!(count(&station, "tab-all"), 10);
    let by_name = b.html("/ui/containers?q=cont012").await;
    assert_eq!(rows(&by_name).len(), 10);
    let by_date = b.html("/ui/containers?q=01.02").await;
    assert_eq!(count(&by_date, "tab-all"), 5);
    let none = b.html("/ui/containers?q=nothing-matches").await;
    assert!(none.contains("id=\"no-containers\""));
    assert_eq!(count(&none, "tab-all"), 0);
    let approaching = b.html("/ui/containers?tab=approaching&page=2").await;
    assert_eq!(rows(&approaching).len(), 50);
    assert!(!approaching.contains("class=\"page-next\""));
}

#[tokio::test]
async fn route_picture_marks_the_hop_and_the_overdue_leg() {
    let api = start().await;
    let name = "ROUTE1";
    let txns = vec![
        signed(doc("1", "01.01.2024", name), &hop_keys(0)),
        signed(doc("2", "01.01.2024", name), &hop_keys(3)),
        // Unsigned: shown, marked unverified, moves nothing.
        doc("3", "01.01.2024", name),
    ];
    create_ledger(&api.db, name, txns, now_ms()).await;
    let b = Browser::new(&api.base);
    b.login(USER.0, USER.1).await;
    let html = b.html("/ui/containers/ROUTE1").await;
    assert!(html.contains("<h1 id=\"container-name\">ROUTE1</h1>"));
    // The last transaction has no accepted signer: no hop is current.
    assert!(!html.contains(" current\""));
    assert_eq!(html.matches("class=\"txn-row\"").count(), 3);
    assert_eq!(html.matches("class=\"sig-verified\"").count(), 2);
    assert_eq!(html.matches("class=\"sig-unverified\"").count(), 1);

    let name = "ROUTE2";
    let txns = vec![
        signed(doc("1", "01.01.2024", name), &hop_keys(0)),
        signed(doc("2", "01.01.2024", name), &hop_keys(3)),
    ];
    create_ledger(&api.db, name, txns, now_ms()).await;
    let html = b.html("/ui/containers/ROUTE2").await;
    let org = |i: usize| TMTM_DEMO[i].organization;
    for i in 0..3 {
        assert!(
            html.contains(&format!("class=\"hop reached\" data-org=\"{}\"", org(i))),
            "hop {i}"
        );
    }
    assert!(html.contains(&format!(
        "class=\"hop reached current\" data-org=\"{}\"",
        org(3)
    )));
    // 01.01.2024 + the last leg's days is long before "now" (20.03.2024).
    assert!(html.contains(&format!("class=\"hop overdue\" data-org=\"{}\"", org(4))));
    assert!(html.contains("id=\"expected-arrival\" class=\"overdue\""));
    assert!(html.contains("id=\"days-in-way\">79 "), "days in way");
    assert!(html.contains("href=\"/ui/wizard?ledger=ROUTE2\""));
    // A document uploaded elsewhere: size and SHA-256 as the signed attachment declares.
    assert!(html.contains("<span class=\"doc-meta\">MD5 00</span>"));
    let mut t = doc("1", "01.01.2024", "ROUTE3");
    let sha = "ab".repeat(32);
    t.insert(
        "~attach".into(),
        serde_json::json!([{"@id": "document-0", "mime_type": "application/pdf", "filename": "w.pdf",
            "data": {"json": {"url": "https://peer.example/content/u1", "md5": "00", "size": 605, "sha256": sha}}}]),
    );
    create_ledger(&api.db, "ROUTE3", vec![signed(t, &hop_keys(0))], now_ms()).await;
    let html = b.html("/ui/containers/ROUTE3").await;
    assert!(html.contains(&format!(
        "<span class=\"doc-meta\">605 B · SHA-256 {sha}</span>"
    )));
}
