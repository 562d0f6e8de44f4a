//! Arbitrary bytes to `envelope::unpack` with a fixed key (the recipient of the spec's §2.6
//! vector, so the seed corpus reaches the cryptographic paths). Must never panic; anything
//! that opens must have been addressed to that key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tmtm_wire::envelope::unpack;
use tmtm_wire::keys::KeyPair;

fn me() -> &'static KeyPair {
    static ME: OnceLock<KeyPair> = OnceLock::new();
    ME.get_or_init(|| KeyPair::from_seed(b"000000000000000000000000000SEED1"))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(out) = unpack(data, me()) {
        assert_eq!(out.recipient, me().verkey());
    }
});
