//! Trust ping over real HTTP: sender (rtt, refused, unreachable, timeout) and responder.

mod transport_common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use serde_json::json;
use tmtm_node::transport::PingError;
use tmtm_wire::envelope;
use tmtm_wire::keys::KeyPair;
use tmtm_wire::message::{self, Message};
use tokio::net::TcpListener;
use transport_common::*;

const LONG: Duration = Duration::from_secs(10);

/// A bare HTTP peer that answers 202 and records every body (never answers pings).
async fn recorder(port: u16) -> Arc<Mutex<Vec<Vec<u8>>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let store = Arc::clone(&seen);
    let app = Router::new().route(
        "/agent",
        post(move |body: Bytes| {
            let store = Arc::clone(&store);
            async move {
                store.lock().unwrap().push(body.to_vec());
                StatusCode::ACCEPTED
            }
        }),
    );
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    seen
}

#[tokio::test]
async fn ping_between_two_nodes_returns_an_rtt() {
    let (ka, kb) = (keys('A'), keys('B'));
    let (pa, pb) = (free_port().await, free_port().await);
    let peers = [peer_for(&ka, pa), peer_for(&kb, pb)];
    let mut a = Node::new(ka, pa, &peers, fast_config());
    let mut b = Node::new(kb, pb, &peers, fast_config());
    a.serve().await;
    b.serve().await;
    for _ in 0..2 {
        let rtt = a.transport.ping(&b.peer, LONG).await.unwrap();
        assert!(rtt < LONG);
    }
    let rtt = b.transport.ping(&a.peer, LONG).await.unwrap();
    assert!(rtt < LONG);
    // Pings are the transport's business, not the node's.
    assert!(a.rx.try_recv().is_err());
    assert!(b.rx.try_recv().is_err());
    // No outbox involved.
    assert!(a.outbox.snapshot().is_empty() && b.outbox.snapshot().is_empty());
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn ping_to_a_dead_peer_fails_cleanly() {
    let (ka, kb) = (keys('A'), keys('B'));
    let (pa, pb) = (free_port().await, free_port().await);
    let peers = [peer_for(&ka, pa), peer_for(&kb, pb)];
    let a = Node::new(ka, pa, &peers, fast_config());
    let peer_b = peer_for(&kb, pb);
    let result = tokio::time::timeout(LONG, a.transport.ping(&peer_b, Duration::from_millis(500)))
        .await
        .expect("ping returns within its timeout");
    assert!(
        matches!(
            result,
            Err(PingError::Unreachable(_) | PingError::Timeout(_))
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn ping_to_a_silent_peer_times_out() {
    let (ka, kb) = (keys('A'), keys('B'));
    let (pa, pb) = (free_port().await, free_port().await);
    let peers = [peer_for(&ka, pa), peer_for(&kb, pb)];
    let mut a = Node::new(ka, pa, &peers, fast_config());
    a.serve().await;
    let seen = recorder(pb).await;
    let result = a
        .transport
        .ping(&peer_for(&kb, pb), Duration::from_millis(300))
        .await;
    assert!(matches!(result, Err(PingError::Timeout(_))), "{result:?}");
    // The silent peer did get exactly one authcrypted ping from A.
    let bodies = seen.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1);
    let opened = envelope::unpack(&bodies[0], &kb).unwrap();
    assert_eq!(opened.sender, Some(a.keys.verkey()));
    let ping = Message::from_slice(&opened.plaintext).unwrap();
    assert!(ping.is("trust_ping", "ping"));
    assert_eq!(ping.get("response_requested"), Some(&json!(true)));
    a.stop().await;
}

#[tokio::test]
async fn ping_refused_by_a_peer_that_does_not_know_us() {
    let (ka, kb) = (keys('A'), keys('B'));
    let (pa, pb) = (free_port().await, free_port().await);
    let mut a = Node::new(ka.clone(), pa, &[peer_for(&kb, pb)], fast_config());
    let mut b = Node::new(kb.clone(), pb, &[], fast_config());
    a.serve().await;
    b.serve().await;
    let result = a.transport.ping(&b.peer, LONG).await;
    assert!(matches!(result, Err(PingError::Refused(403))), "{result:?}");
    a.stop().await;
    b.stop().await;
}

/// S is a bare recorder in B's roster; it pings B by raw POSTs.
#[tokio::test]
async fn responder_answers_authcrypt_threaded_to_the_ping() {
    let (kb, ks): (KeyPair, KeyPair) = (keys('B'), keys('S'));
    let (pb, ps) = (free_port().await, free_port().await);
    let peers = [peer_for(&kb, pb), peer_for(&ks, ps)];
    let mut b = Node::new(kb.clone(), pb, &peers, fast_config());
    b.serve().await;
    let seen = recorder(ps).await;

    let quiet = message::ping("quiet-ping", None, Some(false));
    let env = pack(&quiet, Some(&ks), &kb.verkey());
    assert_eq!(post_raw(&b.url(), Some(WIRE), env).await.0, 202);

    // A 2.x-style ping: ~thread.thid equal to its own @id, plus ~please_ack; no
    // response_requested (absent means "yes").
    let mut loud = message::ping("loud-ping", Some("hello"), None);
    loud.set_thread("loud-ping", Some(0));
    loud.set_please_ack();
    let env = pack(&loud, Some(&ks), &kb.verkey());
    assert_eq!(post_raw(&b.url(), Some(WIRE), env).await.0, 202);

    let probe = Arc::clone(&seen);
    wait_until("S receives a pong", || {
        let p = Arc::clone(&probe);
        async move { !p.lock().unwrap().is_empty() }
    })
    .await;
    let bodies = seen.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1, "the quiet ping must not be answered");
    let opened = envelope::unpack(&bodies[0], &ks).unwrap();
    assert_eq!(opened.sender, Some(kb.verkey()), "authcrypt from B");
    let pong = Message::from_slice(&opened.plaintext).unwrap();
    assert!(pong.is("trust_ping", "ping_response"));
    assert_eq!(pong.thread_id(), Some("loud-ping"));
    assert_ne!(pong.id(), Some("loud-ping"));
    assert!(b.rx.try_recv().is_err());
    b.stop().await;
}
