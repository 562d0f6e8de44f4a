//! The inbound endpoint over real HTTP: delivery, de-duplication and every refusal.

mod transport_common;

use std::time::Duration;

use tmtm_node::transport::TransportConfig;
use tmtm_wire::message::{self, Message};
use transport_common::*;

/// B serving with A (and the given extra config) in its roster; A not serving.
async fn pair(config: TransportConfig) -> (Node, Node) {
    let (ka, kb) = (keys('A'), keys('B'));
    let (pa, pb) = (free_port().await, free_port().await);
    let peers = [peer_for(&ka, pa), peer_for(&kb, pb)];
    let a = Node::new(ka, pa, &peers, fast_config());
    let mut b = Node::new(kb, pb, &peers, config);
    b.serve().await;
    (a, b)
}

#[tokio::test]
async fn message_sent_by_a_arrives_once_at_b() {
    let (mut a, mut b) = pair(fast_config()).await;
    a.start_worker();
    let msg = basic("hello B");
    a.transport.send(&b.peer, &msg).await.unwrap();
    let got = b.recv(Duration::from_secs(10)).await.expect("delivered");
    assert_eq!(got.sender_did, a.keys.did());
    assert_eq!(got.sender_verkey, a.keys.verkey());
    assert_eq!(got.message, msg);
    let outbox = a.outbox.clone();
    wait_until("A's outbox empties", || {
        let o = outbox.clone();
        async move { o.snapshot().is_empty() }
    })
    .await;
    // Delivery is acknowledged only after the hand-off, so nothing else can still arrive.
    assert!(b.rx.try_recv().is_err(), "delivered more than once");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn duplicate_envelope_and_repacked_duplicate_are_dropped() {
    let (a, mut b) = pair(fast_config()).await;
    let msg = basic("once");
    let envelope = pack(&msg, Some(&a.keys), &b.keys.verkey());
    assert_eq!(
        post_raw(&b.url(), Some(WIRE), envelope.clone()).await.0,
        202
    );
    assert_eq!(post_raw(&b.url(), Some(WIRE), envelope).await.0, 202);
    // Same @id in a fresh envelope: still a duplicate.
    let again = pack(&msg, Some(&a.keys), &b.keys.verkey());
    assert_eq!(post_raw(&b.url(), Some(WIRE), again).await.0, 202);
    assert_eq!(b.rx.try_recv().unwrap().message, msg);
    assert!(b.rx.try_recv().is_err(), "duplicate delivered");
    assert_eq!(b.dedup.len(), 1);
    // A different message from the same sender is new.
    let other = basic("twice");
    let env = pack(&other, Some(&a.keys), &b.keys.verkey());
    assert_eq!(post_raw(&b.url(), Some(WIRE), env).await.0, 202);
    assert_eq!(b.rx.try_recv().unwrap().message, other);
    b.stop().await;
}

#[tokio::test]
async fn unknown_sender_is_refused_with_403() {
    let (_a, mut b) = pair(fast_config()).await;
    let stranger = keys('X');
    let env = pack(&basic("hi"), Some(&stranger), &b.keys.verkey());
    let (status, body) = post_raw(&b.url(), Some(WIRE), env).await;
    assert_eq!(status, 403);
    assert_eq!(error_code(&body), "unknown_sender");
    // A ping from a stranger is refused too (and so never answered).
    let ping = message::ping("ping-from-x", None, Some(true));
    let env = pack(&ping, Some(&stranger), &b.keys.verkey());
    assert_eq!(post_raw(&b.url(), Some(WIRE), env).await.0, 403);
    assert!(b.rx.try_recv().is_err());
    assert!(b.dedup.is_empty());
    b.stop().await;
}

#[tokio::test]
async fn anoncrypt_is_refused_except_for_trust_ping() {
    let (_a, mut b) = pair(fast_config()).await;
    let env = pack(&basic("who am I"), None, &b.keys.verkey());
    let (status, body) = post_raw(&b.url(), Some(WIRE), env).await;
    assert_eq!(status, 403);
    assert_eq!(error_code(&body), "anoncrypt_not_allowed");
    let ping = message::ping("anon-ping", None, Some(true));
    let env = pack(&ping, None, &b.keys.verkey());
    assert_eq!(post_raw(&b.url(), Some(WIRE), env).await.0, 202);
    assert!(b.rx.try_recv().is_err(), "anoncrypt reached the handler");
    b.stop().await;
}

#[tokio::test]
async fn malformed_input_gets_400_with_a_json_error() {
    let (a, mut b) = pair(fast_config()).await;
    let (status, body) = post_raw(&b.url(), Some(WIRE), b"not an envelope".to_vec()).await;
    assert_eq!((status, error_code(&body).as_str()), (400, "bad_envelope"));

    let (status, body) = post_raw(&b.url(), Some(WIRE), b"{\"protected\":1}".to_vec()).await;
    assert_eq!((status, error_code(&body).as_str()), (400, "bad_envelope"));

    // Authcrypt to somebody else.
    let env = pack(&basic("not for B"), Some(&a.keys), &keys('Z').verkey());
    let (status, body) = post_raw(&b.url(), Some(WIRE), env).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (400, "unknown_recipient")
    );

    // Tampered ciphertext: does not decrypt.
    let env = pack(&basic("tamper"), Some(&a.keys), &b.keys.verkey());
    let mut v: serde_json::Value = serde_json::from_slice(&env).unwrap();
    v["tag"] = serde_json::Value::from("AAAAAAAAAAAAAAAAAAAAAA==");
    let (status, body) = post_raw(&b.url(), Some(WIRE), serde_json::to_vec(&v).unwrap()).await;
    assert_eq!((status, error_code(&body).as_str()), (400, "bad_envelope"));

    // Decrypts, but the plaintext is not a message.
    let env = pack_bytes(b"{not json", Some(&a.keys), &b.keys.verkey());
    let (status, body) = post_raw(&b.url(), Some(WIRE), env).await;
    assert_eq!((status, error_code(&body).as_str()), (400, "bad_message"));

    let env = pack_bytes(b"{\"@id\": \"x\"}", Some(&a.keys), &b.keys.verkey());
    let (status, body) = post_raw(&b.url(), Some(WIRE), env).await;
    assert_eq!((status, error_code(&body).as_str()), (400, "bad_message"));

    // A message without @id cannot be de-duplicated.
    let mut no_id = basic("no id").into_map();
    no_id.remove("@id");
    let no_id = Message::from_map(no_id).unwrap();
    let env = pack(&no_id, Some(&a.keys), &b.keys.verkey());
    let (status, body) = post_raw(&b.url(), Some(WIRE), env).await;
    assert_eq!((status, error_code(&body).as_str()), (400, "missing_id"));

    assert!(b.rx.try_recv().is_err());
    b.stop().await;
}

#[tokio::test]
async fn content_type_is_checked() {
    let (a, mut b) = pair(fast_config()).await;
    let env = || pack(&basic("ct"), Some(&a.keys), &b.keys.verkey());
    for bad in [Some("text/plain"), Some("application/octet-stream"), None] {
        let (status, body) = post_raw(&b.url(), bad, env()).await;
        assert_eq!(status, 415, "{bad:?}");
        assert_eq!(error_code(&body), "unsupported_media_type");
    }
    for good in [
        "application/ssi-agent-wire",
        "Application/SSI-Agent-Wire; charset=utf-8",
        "application/didcomm-envelope-enc",
        "application/json",
    ] {
        assert_eq!(post_raw(&b.url(), Some(good), env()).await.0, 202, "{good}");
    }
    let mut delivered = 0;
    while b.rx.try_recv().is_ok() {
        delivered += 1;
    }
    assert_eq!(delivered, 4);
    b.stop().await;
}

#[tokio::test]
async fn oversize_body_gets_413() {
    let config = TransportConfig {
        max_body_bytes: 16 * 1024,
        ..fast_config()
    };
    let (a, mut b) = pair(config).await;
    let big = basic(&"x".repeat(20 * 1024));
    let env = pack(&big, Some(&a.keys), &b.keys.verkey());
    let (status, body) = post_raw(&b.url(), Some(WIRE), env).await;
    assert_eq!(status, 413);
    assert_eq!(error_code(&body), "payload_too_large");
    // Just under the limit is fine.
    let small = basic(&"x".repeat(8 * 1024));
    let env = pack(&small, Some(&a.keys), &b.keys.verkey());
    assert_eq!(post_raw(&b.url(), Some(WIRE), env).await.0, 202);
    assert_eq!(b.rx.try_recv().unwrap().message, small);
    b.stop().await;
}

#[tokio::test]
async fn custom_inbound_path_is_served() {
    let kb = keys('B');
    let ka = keys('A');
    let port = free_port().await;
    let config = TransportConfig {
        inbound_path: "/".to_owned(),
        ..fast_config()
    };
    let peers = [peer_for(&ka, 1), peer_for(&kb, port)];
    let mut b = Node::new(kb, port, &peers, config);
    b.serve().await;
    let env = pack(&basic("root"), Some(&ka), &b.keys.verkey());
    let root = format!("http://127.0.0.1:{port}/");
    assert_eq!(post_raw(&root, Some(WIRE), env.clone()).await.0, 202);
    assert_eq!(post_raw(&b.url(), Some(WIRE), env).await.0, 404);
    assert!(b.rx.try_recv().is_ok());
    b.stop().await;
}
