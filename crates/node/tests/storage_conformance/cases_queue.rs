//! Cases for the durable outbox and the inbound de-duplication record.

use tmtm_node::ports::{InboxDedup, NewOutgoing, OutboxStore};

use crate::support::Target;

fn message(tag: &str, not_before_ms: i64, expires_at_ms: i64) -> NewOutgoing {
    NewOutgoing {
        recipient_did: format!("did:sov:{tag}"),
        endpoint: format!("https://{tag}.example/agent?x=<y>&z='1'"),
        body: [tag.as_bytes(), &[0x00, 0xff, 0xfe, 0x80]].concat(),
        expires_at_ms,
        not_before_ms,
    }
}

pub async fn outbox_lifecycle(t: Target) {
    let db = &t.db;
    assert!(db.enqueue(Vec::new()).await.unwrap().is_empty());
    let input = vec![
        message("a", 100, 1000),
        message("b", 50, 1000),
        message("c", 500, 2000),
    ];
    let ids = db.enqueue(input.clone()).await.unwrap();
    assert_eq!(ids.len(), 3);
    assert!(ids[0] < ids[1] && ids[1] < ids[2], "{ids:?}");
    assert_eq!(db.depth().await.unwrap(), 3);

    let due = db.due(100, 10).await.unwrap();
    assert_eq!(
        due.iter().map(|e| e.id).collect::<Vec<_>>(),
        [ids[0], ids[1]],
        "oldest first"
    );
    let a = &due[0];
    assert_eq!(
        (
            &a.recipient_did,
            &a.endpoint,
            &a.body,
            a.attempts,
            a.next_attempt_at_ms,
            a.expires_at_ms
        ),
        (
            &input[0].recipient_did,
            &input[0].endpoint,
            &input[0].body,
            0,
            100,
            1000
        )
    );
    assert_eq!(db.due(100, 1).await.unwrap().len(), 1);
    assert!(db.due(49, 10).await.unwrap().is_empty());

    db.retry_later(ids[0], 1, 600, "connection refused\0 — <html>")
        .await
        .unwrap();
    let due: Vec<i64> = db
        .due(100, 10)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(due, [ids[1]]);
    let due = db.due(600, 10).await.unwrap();
    assert_eq!(due.iter().map(|e| e.id).collect::<Vec<_>>(), ids);
    assert_eq!((due[0].attempts, due[0].next_attempt_at_ms), (1, 600));

    db.delivered(ids[1]).await.unwrap();
    db.delivered(ids[1]).await.unwrap();
    assert_eq!(db.depth().await.unwrap(), 2);

    // At 1500, `a` (expires 1000) is no longer due and is dropped by expire.
    let due: Vec<i64> = db
        .due(1500, 10)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(due, [ids[2]]);
    assert_eq!(db.expire(1500).await.unwrap(), 1);
    assert_eq!(db.expire(1500).await.unwrap(), 0);
    assert_eq!(db.depth().await.unwrap(), 1);
    // Ids are never reused.
    let next = db.enqueue(vec![message("d", 0, 5000)]).await.unwrap();
    assert!(next[0] > ids[2]);
}

pub async fn inbox_dedup(t: Target) {
    let db = &t.db;
    assert!(db.first_seen("vk1", "m1", 100).await.unwrap());
    assert!(!db.first_seen("vk1", "m1", 101).await.unwrap());
    assert!(db.first_seen("vk2", "m1", 100).await.unwrap(), "per sender");
    assert!(db.first_seen("vk1", "m2", 200).await.unwrap());
    assert_eq!(db.prune(150).await.unwrap(), 2);
    assert_eq!(db.prune(150).await.unwrap(), 0);
    assert!(
        db.first_seen("vk1", "m1", 300).await.unwrap(),
        "forgotten by prune"
    );
    assert!(
        !db.first_seen("vk1", "m2", 300).await.unwrap(),
        "kept by prune"
    );

    // New records wait for a unit of work; once stored, a new connection (a restarted node)
    // knows them from its first message on, and records never stored are new to it.
    assert!(db.first_seen("vk3", "stored", 400).await.unwrap());
    let pending = db.take_pending_seen();
    assert!(pending.iter().any(|r| r.message_id == "stored"));
    assert!(db.take_pending_seen().is_empty(), "handed over once");
    let mut tx = db.begin().await.unwrap();
    tx.record_seen(&pending).await.unwrap();
    tx.commit().await.unwrap();
    assert!(db.first_seen("vk3", "lost", 401).await.unwrap());
    let _ = db.take_pending_seen();
    let restarted = t.reconnect().await;
    assert!(!restarted.first_seen("vk3", "stored", 500).await.unwrap());
    assert!(restarted.first_seen("vk3", "lost", 500).await.unwrap());
    // A failed unit gives its records back; the periodic prune stores them.
    let again = restarted.take_pending_seen();
    restarted.restore_pending_seen(again);
    restarted.prune(0).await.unwrap();
    assert!(restarted.stored_seen("vk3", "lost").await.unwrap());
}

/// Deletions of delivered entries wait for the next write (`storage/delivered.rs`): a read
/// of due entries never returns them, a unit of work takes them along, a failed unit gives
/// them back, and 128 waiting ones are deleted at once.
pub async fn delivered_entries_leave_with_the_next_write(t: Target) {
    let db = &t.db;
    let ids = db
        .enqueue((0..4).map(|i| message(&format!("d{i}"), 0, 1000)).collect())
        .await
        .unwrap();
    db.delivered(ids[0]).await.unwrap();
    let other = t.reconnect().await;
    assert_eq!(
        other.depth().await.unwrap(),
        4,
        "not deleted yet: it waits for the next write"
    );
    let due: Vec<i64> = db.due(10, 10).await.unwrap().iter().map(|e| e.id).collect();
    assert_eq!(
        due,
        ids[1..].to_vec(),
        "the read wrote the waiting deletion first"
    );
    assert_eq!(other.depth().await.unwrap(), 3);

    // A unit of work takes the waiting ids; while it runs they are not due either.
    db.delivered_many(&ids[1..3]).await.unwrap();
    let taken = db.take_delivered();
    assert_eq!(taken, ids[1..3].to_vec());
    let due: Vec<i64> = db.due(10, 10).await.unwrap().iter().map(|e| e.id).collect();
    assert_eq!(due, vec![ids[3]]);
    assert_eq!(other.depth().await.unwrap(), 3, "still stored while taken");
    // The unit failed: they wait again, and the next write deletes them.
    db.end_delivered(taken, false);
    assert_eq!(db.depth().await.unwrap(), 1);
    assert!(db.take_delivered().is_empty());

    // 128 waiting deliveries are deleted without waiting for another write.
    let many = db
        .enqueue(
            (0..128)
                .map(|i| message(&format!("m{i}"), 0, 1000))
                .collect(),
        )
        .await
        .unwrap();
    db.delivered_many(&many).await.unwrap();
    assert_eq!(other.depth().await.unwrap(), 1);
    other.close().await;
}
