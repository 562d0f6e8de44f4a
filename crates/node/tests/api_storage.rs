//! The API's tables (migration 0003) on each backend: SQLite always, PostgreSQL too when
//! `TMTM_TEST_DATABASE_URL` is set (a fresh schema per run, dropped afterwards).

mod backends;

use serde_json::json;
use tmtm_node::api::{self, sessions, tokens};
use tmtm_node::secret::Secret;
use tmtm_node::storage::{Database, GuKind, Role, UploadRecord};

async fn exercise(db: &Database) {
    let user = api::users::add_user(db, "Ирина", &Secret::new("long password"), Role::User, 1)
        .await
        .unwrap();
    assert!(api::users::check_password(db, "Ирина", "long password")
        .await
        .is_ok());
    assert!(api::users::check_password(db, "Ирина", "wrong")
        .await
        .is_err());
    // Sessions.
    let (s, _) = sessions::create(db, user.id, 1000, 10).await.unwrap();
    assert_eq!(
        sessions::lookup(db, &s, 500)
            .await
            .unwrap()
            .unwrap()
            .username,
        "Ирина"
    );
    assert!(
        sessions::lookup(db, &s, 1010).await.unwrap().is_none(),
        "expired"
    );
    // Tokens, and disabling a user revokes them and ends the sessions.
    let t = tokens::issue(db, user.id, 1000, 10).await.unwrap();
    assert!(tokens::authenticate_at(db, &t.token, 20).await.is_some());
    api::users::set_disabled(db, "Ирина", true, 30)
        .await
        .unwrap();
    assert!(tokens::authenticate_at(db, &t.token, 40).await.is_none());
    assert!(sessions::lookup(db, &s, 40).await.unwrap().is_none());
    api::users::set_disabled(db, "Ирина", false, 50)
        .await
        .unwrap();
    assert!(
        tokens::authenticate_at(db, &t.token, 60).await.is_none(),
        "revocation stays"
    );
    assert!(db.revoke_token(t.id, 70).await.unwrap());
    assert!(!db.revoke_token(t.id + 1000, 70).await.unwrap());
    // Uploads.
    let up = UploadRecord {
        uid: "0123456789abcdef0123456789abcdef".into(),
        sha256: "a".repeat(64),
        md5: "b".repeat(32),
        filename: "счёт.pdf".into(),
        mime_type: "application/pdf".into(),
        size: 5,
        uploaded_by: Some(user.id),
        created_at_ms: 1,
    };
    db.insert_upload(&up).await.unwrap();
    assert_eq!(db.upload(&up.uid).await.unwrap(), Some(up.clone()));
    assert!(db.insert_upload(&up).await.is_err(), "uid is unique");
    // GU records: de-duplicated by (sender, @id), listed newest first.
    let p = json!({"no": "1", "cargo_name": "Хлопок"});
    assert!(db
        .insert_gu(GuKind::Gu12, &p, "did1", "m", 1)
        .await
        .unwrap());
    assert!(!db
        .insert_gu(GuKind::Gu12, &p, "did1", "m", 2)
        .await
        .unwrap());
    assert!(db
        .insert_gu(GuKind::Gu12, &p, "did2", "m", 3)
        .await
        .unwrap());
    let page = db.list_gu(GuKind::Gu12, 0, 10).await.unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.items[0].sender_did, "did2");
    assert_eq!(page.items[1].payload, p);
    assert!(db
        .list_gu(GuKind::Gu11, 0, 10)
        .await
        .unwrap()
        .items
        .is_empty());
}

#[tokio::test]
async fn api_tables_work_on_every_backend() {
    backends::on_every_backend("api", |db| async move { exercise(&db).await }).await;
}
