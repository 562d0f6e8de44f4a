//! The stage between the transport's inbound queue and the driver that checks the
//! signatures of proposed transactions (`verify.rs`) before the driver sees a message.
//!
//! # Why a stage of its own
//!
//! The check is one Ed25519 verification per proposed transaction, and a proposal that
//! merges waiting commit requests carries up to 256 of them: milliseconds of CPU. In the
//! driver's task it held up every other round of the node for that long, on one core. Here
//! it runs beside the driver, and a large proposal is split into pieces of [`PIECE`]
//! transactions checked at once on the blocking pool, so the node's cores share it.
//!
//! # What stays the same
//!
//! * **Order.** Messages leave the stage in the order they arrived, whatever their checks
//!   cost ([`IN_FLIGHT`] are checked at once; a later one waits for the earlier ones).
//! * **Verdicts.** A message is checked exactly as the driver checked it: only proposals of
//!   consensus members, under the node's policy, and the refusal names the first
//!   transaction (in the proposal's order) that is not signed by the proposer. The driver
//!   still decides what happens to the message (`run.rs`, `inbound_event`): a refused one
//!   never reaches the engine.
//! * **Back-pressure.** The stage holds at most [`IN_FLIGHT`] messages and its output
//!   queue; when the driver is behind, the transport's queue fills and its POSTs wait, as
//!   before.

use std::sync::Arc;

use futures_util::stream::{self, StreamExt};
use serde_json::Value;
use tmtm_consensus::dialect::consensus_name_of_type;
use tokio::sync::mpsc;

use super::verify::{first_unsigned, is_proposal, refusal, refusal_of, transactions};
use crate::config::SignaturePolicy;
use crate::roster::Network;
use crate::transport::Inbound;

/// Messages checked at once.
const IN_FLIGHT: usize = 8;

/// Transactions per piece of a large proposal checked on the blocking pool.
const PIECE: usize = 16;

/// Proposals of at most this many transactions are checked in the stage's own task (about a
/// tenth of a millisecond): handing them to the blocking pool would cost more than it saves.
const INLINE: usize = 2;

/// An inbound message and the verdict of the proposal check.
pub(super) struct Checked {
    pub(super) inbound: Inbound,
    /// The problem report to send back when a proposed transaction is not signed by the
    /// proposer; `None` when the message passed or is not checked.
    pub(super) refusal: Option<Value>,
}

/// Starts the stage: reads `inbound`, returns the checked messages in the same order.
/// `policy: None` checks nothing. The stage ends when `inbound` closes (its output then
/// closes after the last message) or when the driver drops the output (then `inbound` is
/// dropped, closed for its senders).
pub(super) fn spawn(
    inbound: mpsc::Receiver<Inbound>,
    policy: Option<SignaturePolicy>,
    network: Network,
    capacity: usize,
) -> mpsc::Receiver<Checked> {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let network = Arc::new(network);
    tokio::spawn(async move {
        let messages = stream::unfold(inbound, |mut inbound| async move {
            inbound.recv().await.map(|message| (message, inbound))
        });
        let checked = messages
            .map(|message| check(message, policy, Arc::clone(&network)))
            .buffered(IN_FLIGHT);
        let mut checked = std::pin::pin!(checked);
        // Once the driver is gone the transport's queue closes too (its POSTs get 503), as
        // when the driver read that queue itself.
        loop {
            tokio::select! {
                () = tx.closed() => break,
                next = checked.next() => {
                    let Some(checked) = next else { break };
                    if tx.send(checked).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

/// Checks one message (module docs).
pub(super) async fn check(
    inbound: Inbound,
    policy: Option<SignaturePolicy>,
    network: Arc<Network>,
) -> Checked {
    let checked = policy.filter(|_| {
        network.is_consensus_member(&inbound.sender_did)
            && consensus_name_of_type(inbound.message.type_str()).is_some_and(is_proposal)
    });
    let Some(policy) = checked else {
        return Checked {
            inbound,
            refusal: None,
        };
    };
    let count = transactions(inbound.message.as_map()).len();
    if count <= INLINE {
        let refusal = refusal_of(inbound.message.as_map(), &inbound.sender_verkey, policy);
        return Checked { inbound, refusal };
    }
    let shared = Arc::new(inbound);
    let pieces: Vec<_> = (0..count)
        .step_by(PIECE)
        .map(|start| {
            let inbound = Arc::clone(&shared);
            let task = tokio::task::spawn_blocking(move || {
                let txns = transactions(inbound.message.as_map());
                let piece = txns.get(start..(start + PIECE).min(txns.len()))?;
                first_unsigned(piece, &inbound.sender_verkey, policy).map(|i| start + i)
            });
            (start, task)
        })
        .collect();
    let mut bad: Option<usize> = None;
    for (start, task) in pieces {
        let found = task.await.unwrap_or_else(|e| {
            // A verification that panicked proves nothing: the piece counts as unsigned.
            tracing::error!(error = %e, "a signature check failed to run");
            Some(start)
        });
        if let Some(index) = found {
            bad = Some(bad.map_or(index, |b| b.min(index)));
        }
    }
    let inbound = Arc::try_unwrap(shared).unwrap_or_else(|shared| (*shared).clone());
    let refusal = bad.map(|index| refusal(inbound.message.as_map(), index));
    Checked { inbound, refusal }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Map};
    use tmtm_wire::keys::KeyPair;
    use tmtm_wire::message::Message;
    use tmtm_wire::signature::sign;

    use super::*;
    use crate::api::view::MSG_SIG;

    const PROPOSE: &str = "https://didcomm.org/simple-consensus/1.0/stage-propose";
    const COMMIT: &str = "https://didcomm.org/simple-consensus/1.0/stage-commit";

    fn txn(keys: &KeyPair, n: usize) -> Value {
        let Value::Object(mut t) = json!({"no": format!("WB-{n}"), "cargo": "уголь"}) else {
            unreachable!()
        };
        let d = sign(keys, &Value::Object(t.clone()), 1_700_000_000).unwrap();
        t.insert(MSG_SIG.into(), serde_json::to_value(d).unwrap());
        Value::Object(t)
    }

    fn network(members: &[&KeyPair]) -> Network {
        let mut text = String::new();
        for (i, k) in members.iter().enumerate() {
            text.push_str(&format!(
                "[[participants]]\ndid = \"{}\"\nverkey = \"{}\"\n\
                 endpoint = \"http://127.0.0.1:{}/agent\"\nlabel = \"L{i}\"\norganization = \"Org {i}\"\n",
                k.did(),
                k.verkey(),
                9000 + i
            ));
        }
        Network::parse(&text, "t").unwrap()
    }

    fn inbound(from: &KeyPair, ty: &str, n: usize, txns: Vec<Value>) -> Inbound {
        let Value::Object(m) = json!({"@type": ty, "@id": format!("m-{n}"),
                                      "~thread": {"thid": format!("th-{n}")},
                                      "transactions": txns})
        else {
            unreachable!()
        };
        Inbound {
            sender_did: from.did(),
            sender_verkey: from.verkey(),
            message: Message::from_map(m).unwrap(),
        }
    }

    async fn run(
        policy: Option<SignaturePolicy>,
        net: Network,
        messages: Vec<Inbound>,
    ) -> Vec<Checked> {
        let (tx, rx) = mpsc::channel(4);
        let mut out = spawn(rx, policy, net, 2);
        let feed = tokio::spawn(async move {
            for m in messages {
                tx.send(m).await.unwrap();
            }
        });
        let mut got = Vec::new();
        while let Some(c) = out.recv().await {
            got.push(c);
        }
        feed.await.unwrap();
        got
    }

    fn thid(c: &Checked) -> String {
        c.inbound.message.thread_id().unwrap_or_default().to_owned()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn order_is_kept_and_the_first_bad_transaction_of_a_large_proposal_is_named() {
        let a = KeyPair::from_seed(&[1; 32]);
        let b = KeyPair::from_seed(&[2; 32]);
        let net = network(&[&a, &b]);
        // 3 pieces of 16 and a rest; the bad ones are in the second and third piece.
        let mut large: Vec<Value> = (0..53).map(|n| txn(&a, n)).collect();
        large[40] = txn(&b, 40);
        large[20] = txn(&b, 20);
        let good_large: Vec<Value> = (0..40).map(|n| txn(&a, n)).collect();
        let messages = vec![
            inbound(&a, PROPOSE, 0, large),
            inbound(&a, COMMIT, 1, vec![]),
            inbound(&a, PROPOSE, 2, vec![txn(&a, 1)]),
            inbound(&a, PROPOSE, 3, vec![txn(&b, 1)]),
            inbound(&a, PROPOSE, 4, good_large),
        ];
        let got = run(Some(SignaturePolicy::Strict), net, messages).await;
        let order: Vec<String> = got.iter().map(thid).collect();
        assert_eq!(order, ["th-0", "th-1", "th-2", "th-3", "th-4"]);
        let explain = |c: &Checked| {
            c.refusal.as_ref().map(|r| {
                assert_eq!(r["problem-code"], json!("request_not_accepted"));
                r["explain"].as_str().unwrap().to_owned()
            })
        };
        assert!(explain(&got[0]).unwrap().contains("transaction 20 "));
        assert!(got[1].refusal.is_none());
        assert!(got[2].refusal.is_none());
        assert!(explain(&got[3]).unwrap().contains("transaction 0 "));
        assert!(got[4].refusal.is_none());
        // The message itself passes through unchanged.
        assert_eq!(
            got[0].inbound.message.as_map()["transactions"]
                .as_array()
                .unwrap()
                .len(),
            53
        );
    }

    #[tokio::test]
    async fn the_transport_s_queue_closes_when_the_driver_is_gone() {
        let a = KeyPair::from_seed(&[1; 32]);
        let (tx, rx) = mpsc::channel(4);
        let out = spawn(rx, Some(SignaturePolicy::Strict), network(&[&a]), 2);
        assert!(!tx.is_closed());
        drop(out);
        tokio::time::timeout(std::time::Duration::from_secs(5), tx.closed())
            .await
            .expect("the stage let go of the transport's queue");
    }

    #[tokio::test]
    async fn nothing_is_checked_without_a_policy_or_from_a_non_member() {
        let a = KeyPair::from_seed(&[1; 32]);
        let b = KeyPair::from_seed(&[2; 32]);
        let c = KeyPair::from_seed(&[3; 32]);
        let unsigned = || vec![Value::Object(Map::new())];
        let got = run(
            None,
            network(&[&a, &b]),
            vec![inbound(&a, PROPOSE, 0, unsigned())],
        )
        .await;
        assert!(got[0].refusal.is_none());
        let got = run(
            Some(SignaturePolicy::Strict),
            network(&[&a, &b]),
            vec![
                inbound(&c, PROPOSE, 0, unsigned()),
                inbound(&a, PROPOSE, 1, unsigned()),
            ],
        )
        .await;
        // A non-member's message is left to the driver, which drops it.
        assert!(got[0].refusal.is_none());
        assert_eq!(got[0].inbound.sender_did, c.did());
        assert!(got[1].refusal.is_some());
    }
}
