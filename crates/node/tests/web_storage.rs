//! The dashboard's reads (`storage/dashboard_reads.rs`) on SQLite and, when
//! `TMTM_TEST_DATABASE_URL` is set, on PostgreSQL; and the container list over 5,000
//! ledgers (works and counts right; not timed — speed belongs to benchmarks).

mod api_support;
mod backends;
mod web_support;

use api_support::{doc, hop_keys, now_ms, signed, start, ADMIN};
use serde_json::{Map, Value};
use tmtm_microledger::{Microledger, Transaction};
use tmtm_node::storage::{Database, LoadedLedger};
use web_support::Browser;

/// Creates ledgers `(name, genesis)` in one database transaction; returns their ids.
async fn bulk(
    db: &Database,
    ledgers: Vec<(String, Vec<Map<String, Value>>)>,
    now: i64,
) -> Vec<i64> {
    let mut tx = db.begin().await.unwrap();
    let mut ids = Vec::new();
    for (i, (name, txns)) in ledgers.into_iter().enumerate() {
        let genesis = txns
            .into_iter()
            .map(|m| Transaction::from_map(m).unwrap())
            .collect();
        let (ledger, _) = Microledger::create(&name, genesis, LoadedLedger::default()).unwrap();
        let batches = ledger.store().take_applied();
        ids.push(
            tx.apply_ledger_batch(&batches[0], now + i as i64)
                .await
                .unwrap(),
        );
    }
    tx.commit().await.unwrap();
    ids
}

async fn exercise(db: &Database) {
    assert!(db.all_ledger_ends().await.unwrap().is_empty());
    let ids = bulk(
        db,
        vec![
            ("ONE".into(), vec![doc("1", "01.01.2024", "ONE")]),
            (
                "THREE".into(),
                vec![
                    doc("a", "02.01.2024", "THREE"),
                    doc("b", "03.01.2024", "THREE"),
                    doc("c", "04.01.2024", "THREE"),
                ],
            ),
        ],
        1000,
    )
    .await;
    let all = db.all_ledger_ends().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].name, "THREE", "newest first");
    assert_eq!(all[0].size, 3);
    let date = |t: &Option<Transaction>| t.as_ref().unwrap().as_map()["date"].clone();
    assert_eq!(date(&all[0].first), "02.01.2024");
    assert_eq!(date(&all[0].last), "04.01.2024");
    assert_eq!(date(&all[1].first), date(&all[1].last));
    assert_eq!(
        db.ledger_sizes().await.unwrap(),
        vec![(ids[1], 3), (ids[0], 1)]
    );
    assert_eq!(db.ledger_ends(ids[1]).await.unwrap().unwrap(), all[0]);
    assert!(db.ledger_ends(-1).await.unwrap().is_none());

    let user = db
        .insert_user("tok-owner", "x", tmtm_node::storage::Role::User, 1)
        .await
        .unwrap();
    let t1 = db.insert_token(&[1; 32], user, 10, 100).await.unwrap();
    let t2 = db.insert_token(&[2; 32], user, 20, 200).await.unwrap();
    db.revoke_token(t1, 50).await.unwrap();
    let tokens = db.list_tokens().await.unwrap();
    assert_eq!(
        tokens.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![t2, t1]
    );
    assert_eq!(tokens[1].revoked_at_ms, Some(50));
    assert_eq!(tokens[0].username, "tok-owner");
}

#[tokio::test]
async fn dashboard_reads_work_on_every_backend() {
    backends::on_every_backend("web", |db| async move { exercise(&db).await }).await;
}

#[tokio::test]
async fn the_list_works_over_five_thousand_containers() {
    let api = start().await;
    let ledgers = (0..5000)
        .map(|i| {
            let name = format!("BULK{i:05}");
            let signer = hop_keys(i % 5);
            let t = signed(doc(&format!("N{i}"), "20.03.2024", &name), &signer);
            (name, vec![t])
        })
        .collect();
    bulk(&api.db, ledgers, now_ms()).await;
    let b = Browser::new(&api.base);
    b.login(ADMIN.0, ADMIN.1).await;
    let html = b.html("/ui/containers").await;
    assert!(html.contains("id=\"tab-all\" href=\"/ui/containers?tab=all\" class=\"active\">"));
    for (tab, n) in [("tab-all", 5000), ("tab-approaching", 2000)] {
        assert!(
            html.contains(&format!("id=\"{tab}\""))
                && html.contains(&format!("<span class=\"count\">{n}</span>")),
            "{tab} {n}"
        );
    }
    assert_eq!(html.matches("class=\"container-row\"").count(), 50);
    let last = b.html("/ui/containers?page=100").await;
    assert!(last.contains("data-ledger=\"BULK00000\""));
    // Served from the summary cache the second time.
    let finished = b.html("/ui/containers?status=finished&q=BULK0000").await;
    assert_eq!(
        finished.matches("class=\"container-row\"").count(),
        2,
        "BULK00004, BULK00009"
    );

    // A new transaction (signed by the last hop) changes the ledger's size: its summary is
    // recomputed and BULK00001 is now finished.
    let mut ledger = Microledger::open(
        "BULK00001",
        api.db.load_ledger("BULK00001").await.unwrap().unwrap(),
    )
    .unwrap();
    let t = signed(doc("late", "20.03.2024", "BULK00001"), &hop_keys(4));
    ledger
        .append(vec![Transaction::from_map(t).unwrap()], None)
        .unwrap();
    let batch = ledger.prepare_commit(1).unwrap();
    let mut tx = api.db.begin().await.unwrap();
    tx.apply_ledger_batch(&batch, now_ms() + 10_000)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let finished = b.html("/ui/containers?status=finished&q=BULK0000").await;
    assert_eq!(finished.matches("class=\"container-row\"").count(), 3);
    assert!(finished.contains("data-ledger=\"BULK00001\""));
}
