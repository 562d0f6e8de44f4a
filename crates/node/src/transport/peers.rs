//! The peers the transport talks to: [`Peer`] (DID, verkey, endpoint) and the [`PeerBook`]
//! that maps an envelope's authenticated sender verkey to a peer (§1.3: incoming messages
//! are mapped to a pairwise by the sender verkey of the authcrypt envelope).

use std::collections::HashMap;

use tmtm_wire::keys::{Did, Verkey};

use crate::roster::{Network, Participant};

/// A peer as the transport sees it: who it is and where to POST envelopes for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    pub did: Did,
    pub verkey: Verkey,
    /// The DIDComm endpoint URL (envelopes are POSTed here as they are).
    pub endpoint: String,
}

impl Peer {
    /// A peer from its parts.
    pub fn new(did: Did, verkey: Verkey, endpoint: impl Into<String>) -> Peer {
        Peer {
            did,
            verkey,
            endpoint: endpoint.into(),
        }
    }
}

impl From<&Participant> for Peer {
    fn from(p: &Participant) -> Peer {
        Peer::new(p.did.clone(), p.verkey, p.endpoint.as_str())
    }
}

/// The known peers, indexed by verkey and by DID. Only envelopes authcrypted by one of
/// these verkeys are accepted (anoncrypt trust pings aside).
#[derive(Clone, Debug, Default)]
pub struct PeerBook {
    by_verkey: HashMap<Verkey, Peer>,
    by_did: HashMap<Did, Verkey>,
}

impl PeerBook {
    /// A book of these peers; a later entry with the same verkey or DID replaces an earlier one.
    pub fn new(peers: impl IntoIterator<Item = Peer>) -> PeerBook {
        let mut book = PeerBook::default();
        for peer in peers {
            book.insert(peer);
        }
        book
    }

    /// Every participant of the network file (the node's own entry included: harmless, a
    /// node does not send envelopes to itself).
    pub fn from_network(network: &Network) -> PeerBook {
        PeerBook::new(network.participants().iter().map(Peer::from))
    }

    /// Adds a peer, replacing any entry with the same DID or the same verkey.
    pub fn insert(&mut self, peer: Peer) {
        if let Some(old_verkey) = self.by_did.remove(&peer.did) {
            self.by_verkey.remove(&old_verkey);
        }
        if let Some(old) = self.by_verkey.remove(&peer.verkey) {
            self.by_did.remove(&old.did);
        }
        self.by_did.insert(peer.did.clone(), peer.verkey);
        self.by_verkey.insert(peer.verkey, peer);
    }

    /// The peer that owns this verkey.
    pub fn by_verkey(&self, verkey: &Verkey) -> Option<&Peer> {
        self.by_verkey.get(verkey)
    }

    /// The peer with this DID.
    pub fn by_did(&self, did: &Did) -> Option<&Peer> {
        self.by_did.get(did).and_then(|v| self.by_verkey.get(v))
    }

    /// Number of peers.
    pub fn len(&self) -> usize {
        self.by_verkey.len()
    }

    /// True when no peer is known.
    pub fn is_empty(&self) -> bool {
        self.by_verkey.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tmtm_wire::keys::KeyPair;

    fn peer(seed: u8, endpoint: &str) -> Peer {
        let k = KeyPair::from_seed(&[seed; 32]);
        Peer::new(k.did(), k.verkey(), endpoint)
    }

    #[test]
    fn lookup_by_verkey_and_did_and_replacement() {
        let (a, b) = (peer(1, "http://a/"), peer(2, "http://b/"));
        let mut book = PeerBook::new([a.clone(), b.clone()]);
        assert_eq!(book.len(), 2);
        assert_eq!(book.by_verkey(&a.verkey), Some(&a));
        assert_eq!(book.by_did(&b.did), Some(&b));
        // Same DID, new verkey: the old verkey is no longer accepted.
        let mut rotated = peer(3, "http://a2/");
        rotated.did = a.did.clone();
        book.insert(rotated.clone());
        assert_eq!(book.len(), 2);
        assert_eq!(book.by_verkey(&a.verkey), None);
        assert_eq!(book.by_did(&a.did), Some(&rotated));
        // Same verkey, new endpoint: replaced in place.
        let moved = peer(2, "http://b2/");
        book.insert(moved.clone());
        assert_eq!(book.by_did(&b.did), Some(&moved));
        assert_eq!(book.len(), 2);
    }
}
