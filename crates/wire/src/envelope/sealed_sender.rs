//! The sealed sender of an authcrypt envelope (§2.3: `sender = crypto_box_seal(base58(S), R_x)`),
//! made and opened through two small process-wide caches, because the seal is the only part
//! of a pack and of an unpack that needs a fresh X25519 agreement (the content key's
//! `crypto_box` is already cached per key pair, `convert.rs`): about 50 µs of the ~60 µs of
//! each, and a node sends to and hears from the same few peers all the time.
//!
//! * **Packing** ([`seal`]): the sealed sender for one (sender, recipient) pair is made once
//!   with a fresh ephemeral key, then reused for [`MAX_USES`] envelopes and made afresh
//!   after that (by count, not by age: this crate has no clock). What a reuse gives away:
//!   envelopes to the same recipient that share a seal can be seen to come from the same
//!   sender — which the connection they travel on (the peer's address) shows anyway. What it
//!   keeps: the sender's verkey stays readable only by the recipient, and authenticity does
//!   not rest on the seal at all but on the per-envelope `crypto_box` of the content key
//!   under the sender's static key, which is unchanged. Python peers open a reused seal like
//!   any other (`crypto_box_seal_open` is stateless). [`super::pack_with`], the path with
//!   given randomness, always seals afresh.
//! * **Unpacking** ([`open`]): a sealed sender that opened once is remembered with the
//!   verkey it opened to, per recipient key. Opening is deterministic, so the remembered
//!   answer is exactly what opening again would give; only successful opens are kept.
//!
//! Both caches are emptied when they reach [`MAX_CACHED`] entries. Neither holds a secret:
//! the ephemeral secret key is dropped right after sealing.

use crypto_box::PublicKey;
use rand_core::CryptoRngCore;

use super::{convert, EnvelopeError};
use crate::keys::{KeyPair, Verkey};
use crate::memo::Memo;

/// Envelopes that may share one sealed sender.
pub const MAX_USES: u32 = 1_000;
/// Most entries of each cache before it is emptied.
const MAX_CACHED: usize = 4096;

struct Made {
    sealed: Vec<u8>,
    uses: u32,
}

/// (sender verkey, recipient verkey) → the pair's current seal.
static MADE: Memo<([u8; 32], [u8; 32]), Made> = Memo::new(MAX_CACHED);
/// (our verkey, the sealed bytes) → the verkey they opened to.
static OPENED: Memo<([u8; 32], Vec<u8>), Verkey> = Memo::new(MAX_CACHED);

/// The sealed base58 text of `sender`'s verkey for `recipient` (whose X25519 key is
/// `recipient_x`): the pair's current seal until it was used [`MAX_USES`] times, then a
/// fresh one.
pub(crate) fn seal(
    sender: &KeyPair,
    recipient: &Verkey,
    recipient_x: &PublicKey,
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, EnvelopeError> {
    let pair = (*sender.verkey().as_bytes(), *recipient.as_bytes());
    let reused = MADE.with(|made| match made.get_mut(&pair) {
        Some(m) if m.uses < MAX_USES => {
            m.uses += 1;
            Some(m.sealed.clone())
        }
        _ => None,
    });
    if let Some(sealed) = reused {
        return Ok(sealed);
    }
    let sealed = seal_fresh(sender, recipient_x, rng)?;
    MADE.insert(
        pair,
        Made {
            sealed: sealed.clone(),
            uses: 1,
        },
    );
    Ok(sealed)
}

/// A seal with a fresh ephemeral key (`crypto_box_seal`), not remembered.
pub(crate) fn seal_fresh(
    sender: &KeyPair,
    recipient_x: &PublicKey,
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, EnvelopeError> {
    recipient_x
        .seal(rng, sender.verkey().to_base58().as_bytes())
        .map_err(|_| EnvelopeError::Encryption)
}

/// Opens a sealed sender addressed to `me`: the verkey whose base58 text it holds.
pub(crate) fn open(me: &KeyPair, sealed: &[u8]) -> Result<Verkey, EnvelopeError> {
    OPENED.get_or_try((*me.verkey().as_bytes(), sealed.to_vec()), || {
        let text = convert::secret_key(me)
            .unseal(sealed)
            .map_err(|_| EnvelopeError::DecryptionFailed("sender"))?;
        let text = std::str::from_utf8(&text)
            .map_err(|_| EnvelopeError::BadSender(crate::keys::KeyError::Base58))?;
        Verkey::from_base58(text).map_err(EnvelopeError::BadSender)
    })
}

#[cfg(test)]
mod tests {
    use rand_core::OsRng;

    use super::*;

    fn keys(seed: u8) -> KeyPair {
        KeyPair::from_seed(&[seed; 32])
    }

    #[test]
    fn a_pair_reuses_its_seal_and_each_pair_has_its_own() {
        let (a, b, c) = (keys(101), keys(102), keys(103));
        let bx = convert::public_key(&b.verkey()).unwrap();
        let cx = convert::public_key(&c.verkey()).unwrap();
        let first = seal(&a, &b.verkey(), &bx, &mut OsRng).unwrap();
        assert_eq!(seal(&a, &b.verkey(), &bx, &mut OsRng).unwrap(), first);
        assert_ne!(seal(&a, &c.verkey(), &cx, &mut OsRng).unwrap(), first);
        assert_ne!(seal_fresh(&a, &bx, &mut OsRng).unwrap(), first);
        assert_eq!(open(&b, &first).unwrap(), a.verkey());
    }

    #[test]
    fn a_worn_out_seal_is_made_afresh() {
        let (a, b) = (keys(111), keys(112));
        let bx = convert::public_key(&b.verkey()).unwrap();
        let first = seal(&a, &b.verkey(), &bx, &mut OsRng).unwrap();
        let pair = (*a.verkey().as_bytes(), *b.verkey().as_bytes());
        MADE.with(|m| m.get_mut(&pair).unwrap().uses = MAX_USES);
        let second = seal(&a, &b.verkey(), &bx, &mut OsRng).unwrap();
        assert_ne!(second, first);
        assert_eq!(MADE.with(|m| m.get(&pair).unwrap().uses), 1);
        assert_eq!(seal(&a, &b.verkey(), &bx, &mut OsRng).unwrap(), second);
        assert_eq!(open(&b, &second).unwrap(), a.verkey());
    }

    #[test]
    fn opening_is_remembered_only_when_it_succeeds_and_per_recipient() {
        let (a, b, c) = (keys(121), keys(122), keys(123));
        let bx = convert::public_key(&b.verkey()).unwrap();
        let sealed = seal_fresh(&a, &bx, &mut OsRng).unwrap();
        // Not addressed to c: refused, and refused again (nothing was remembered for c).
        assert!(matches!(
            open(&c, &sealed),
            Err(EnvelopeError::DecryptionFailed("sender"))
        ));
        assert_eq!(open(&b, &sealed).unwrap(), a.verkey());
        assert_eq!(open(&b, &sealed).unwrap(), a.verkey());
        assert!(open(&c, &sealed).is_err());
        let mut tampered = sealed.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        assert!(open(&b, &tampered).is_err());
    }
}
