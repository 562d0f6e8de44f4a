//! The network page (health results, the check button, the participant card), the admin
//! page's actions (generated password shown once and usable, tokens shown once and revoked),
//! the GU register's filter, the wizard's parallel flow pre-filled from the list, and the
//! wizard's document types (the node's own set first, with its default).

mod api_support;
mod web_support;

use std::sync::Arc;
use std::time::Duration;

use api_support::{
    create_ledger, doc, hop_did, hop_keys, now_ms, signed, start, start_with, Options, ADMIN, USER,
};
use serde_json::json;
use tmtm_node::api::health::PingFuture;
use tmtm_node::api::HealthPinger;
use tmtm_node::config::DocumentSet;
use tmtm_node::storage::GuKind;
use tmtm_wire::keys::Did;
use web_support::{csrf_in, Browser};

/// Answers every ping in 12 ms except hop 4's.
struct FakePinger;

impl HealthPinger for FakePinger {
    fn ping<'a>(&'a self, did: &'a Did, _timeout: Duration) -> PingFuture<'a> {
        Box::pin(async move {
            if did == &hop_did(4) {
                Err("timed out".to_owned())
            } else {
                Ok(Duration::from_millis(12))
            }
        })
    }
}

fn participant_row(html: &str, did: &Did) -> String {
    let at = html.find(&format!("data-did=\"{did}\"")).unwrap();
    html[at..at + html[at..].find("</tr>").unwrap()].to_owned()
}

#[tokio::test]
async fn network_page_shows_the_last_check_and_runs_one() {
    let api = start_with(Options {
        pinger: Some(Arc::new(FakePinger)),
        ..Options::default()
    })
    .await;
    let b = Browser::new(&api.base);
    b.login(USER.0, USER.1).await;
    let html = b.html("/ui/network").await;
    assert_eq!(html.matches("class=\"participant\"").count(), 6);
    assert!(participant_row(&html, &hop_did(0)).contains("data-health=\"never\""));
    assert!(participant_row(&html, &hop_did(2)).contains("data-health=\"self\""));
    // The card of this node, as `tmtm init` prints it.
    assert!(html.contains(&format!("DID:      {}", hop_did(2))));
    assert!(html.contains("[[participants]]"));
    assert_eq!(b.post("/ui/network/check", &[]).await.status, 403);
    let r = b
        .post("/ui/network/check", &[("csrf", &csrf_in(&html))])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/ui/network");
    let html = b.html("/ui/network").await;
    let ok = participant_row(&html, &hop_did(0));
    assert!(
        ok.contains("data-health=\"ok\"") && ok.contains("<td class=\"rtt\">12</td>"),
        "{ok}"
    );
    assert!(participant_row(&html, &hop_did(4)).contains("data-health=\"fail\""));
}

#[tokio::test]
async fn admin_resets_passwords_and_manages_tokens() {
    let api = start().await;
    let admin = Browser::new(&api.base);
    admin.login(ADMIN.0, ADMIN.1).await;
    let csrf = csrf_in(&admin.html("/ui/admin").await);
    let r = admin
        .post(
            "/ui/admin/users/reset",
            &[("csrf", &csrf), ("username", USER.0), ("password", "")],
        )
        .await;
    assert_eq!(r.status, 200);
    let at = r
        .body
        .find("id=\"shown-secret\" class=\"secret\">")
        .unwrap()
        + 33;
    let password = r.body[at..at + r.body[at..].find('<').unwrap()].to_owned();
    assert_eq!(password.len(), 20);
    assert!(
        !admin.html("/ui/admin").await.contains(&password),
        "shown once"
    );
    Browser::new(&api.base).login(USER.0, &password).await;

    let r = admin
        .post("/ui/admin/tokens", &[("csrf", &csrf), ("username", USER.0)])
        .await;
    let at = r
        .body
        .find("id=\"shown-secret\" class=\"secret\">")
        .unwrap()
        + 33;
    let token = r.body[at..at + 64].to_owned();
    assert!(
        tmtm_node::api::tokens::authenticate_at(&api.db, &token, now_ms())
            .await
            .is_some()
    );
    let listed = admin.html("/ui/admin").await;
    assert!(!listed.contains(&token));
    let id_at = listed.find("class=\"token-row\" data-id=\"").unwrap() + 27;
    let id = listed[id_at..id_at + listed[id_at..].find('"').unwrap()].to_owned();
    let r = admin
        .post("/ui/admin/tokens/revoke", &[("csrf", &csrf), ("id", &id)])
        .await;
    assert_eq!(r.status, 200);
    assert!(
        tmtm_node::api::tokens::authenticate_at(&api.db, &token, now_ms())
            .await
            .is_none()
    );

    let r = admin
        .post(
            "/ui/admin/users/disable",
            &[("csrf", &csrf), ("username", USER.0), ("disabled", "1")],
        )
        .await;
    assert!(r.body.contains(&format!(
        "data-username=\"{}\" data-disabled=\"true\"",
        USER.0
    )));
    assert!(api.db.user_by_name(USER.0).await.unwrap().unwrap().disabled);
}

#[tokio::test]
async fn gu_filter_and_parallel_wizard() {
    let api = start().await;
    for (i, cargo) in ["Cotton", "Wheat", "Copper"].iter().enumerate() {
        let gu = json!({"no": format!("G{i}"), "date": "20.03.2024", "cargo_name": cargo,
            "depart_station": "A", "arrival_station": "B", "month": "3", "year": "2024",
            "tonnage": "1", "shipper": "S"});
        api.db
            .insert_gu(
                GuKind::Gu12,
                &gu,
                hop_did(0).as_str(),
                &format!("m{i}"),
                now_ms(),
            )
            .await
            .unwrap();
    }
    let b = Browser::new(&api.base);
    b.login(USER.0, USER.1).await;
    let all = b.html("/ui/gu12").await;
    assert_eq!(all.matches("class=\"gu-row\"").count(), 3);
    assert!(all.contains(">KTZ Express<"));
    let some = b.html("/ui/gu12?q=wheat").await;
    assert_eq!(some.matches("class=\"gu-row\"").count(), 1);
    assert!(b.html("/ui/gu11").await.contains("id=\"gu-empty\""));
    assert!(b.html("/ui/gu11/new").await.contains("name=\"decade\""));
    assert!(!b.html("/ui/gu12/new").await.contains("name=\"decade\""));

    for name in ["P1", "P2"] {
        create_ledger(
            &api.db,
            name,
            vec![signed(doc("1", "20.03.2024", name), &hop_keys(1))],
            now_ms(),
        )
        .await;
    }
    let list = b.html("/ui/containers").await;
    assert!(list.contains("class=\"select-ledger\" name=\"ledger\" value=\"P1\""));
    let w = b.html("/ui/wizard?ledger=P1&ledger=P2").await;
    assert!(w.contains("name=\"ledgers\" value=\"P1, P2\" readonly"));
    assert!(w.contains("data-mode=\"add\""));
    assert!(
        w.contains("name=\"cargo_name\" value=\"Cotton\""),
        "pre-filled from the first document"
    );
    assert!(w.contains("value=\"\u{0421}onnaissement\""));
    let n = b.html("/ui/wizard?new=1").await;
    assert!(n.contains("data-mode=\"new\"") && n.contains("name=\"date\" value=\"20.03.2024\""));
}

/// The `value` of the `selected` option and the `data-set` of the option groups, in order.
fn doc_type_choice(html: &str) -> (String, Vec<String>) {
    let selected = html
        .split("<option value=\"")
        .skip(1)
        .find(|o| o[..o.find('>').unwrap()].contains(" selected"))
        .map(|o| o[..o.find('"').unwrap()].to_owned())
        .unwrap_or_default();
    let sets = html
        .split("<optgroup ")
        .skip(1)
        .map(|g| {
            let at = g.find("data-set=\"").unwrap() + "data-set=\"".len();
            g[at..at + g[at..].find('"').unwrap()].to_owned()
        })
        .collect();
    (selected, sets)
}

#[tokio::test]
async fn the_wizard_offers_the_nodes_document_set_first() {
    let rail = start().await;
    let b = Browser::new(&rail.base);
    b.login(USER.0, USER.1).await;
    let (selected, sets) = doc_type_choice(&b.html("/ui/wizard?new=1").await);
    assert_eq!(selected, "WayBill");
    assert_eq!(sets, ["rail", "sea"]);

    let sea = start_with(Options {
        document_set: DocumentSet::Sea,
        ..Options::default()
    })
    .await;
    let b = Browser::new(&sea.base);
    b.login(USER.0, USER.1).await;
    let (selected, sets) = doc_type_choice(&b.html("/ui/wizard?new=1").await);
    assert_eq!(selected, "\u{0421}onnaissement", "Cyrillic С (U+0421)");
    assert_eq!(sets, ["sea", "rail"]);
}
