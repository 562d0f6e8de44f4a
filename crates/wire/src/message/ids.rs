//! Message and thread id generators (§1.1): `str(uuid4())` for `@id`, `uuid4().hex` for
//! thread ids. Randomness is passed in.

use rand_core::CryptoRngCore;

fn uuid4_bytes(rng: &mut impl CryptoRngCore) -> [u8; 16] {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    b
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// A random uuid4 with dashes (36 characters), like Python's `str(uuid4())`.
pub fn new_message_id(rng: &mut impl CryptoRngCore) -> String {
    let h = hex(&uuid4_bytes(rng));
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A random uuid4 as 32 lowercase hex digits, like Python's `uuid4().hex`.
pub fn new_hex_id(rng: &mut impl CryptoRngCore) -> String {
    hex(&uuid4_bytes(rng))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn shapes() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        for _ in 0..50 {
            let id = new_message_id(&mut rng);
            assert_eq!(id.len(), 36);
            let parts: Vec<&str> = id.split('-').collect();
            assert_eq!(
                parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12]
            );
            assert!(parts[2].starts_with('4'));
            assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
            let hex_id = new_hex_id(&mut rng);
            assert_eq!(hex_id.len(), 32);
            assert!(hex_id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            assert_eq!(&hex_id[12..13], "4");
        }
        assert_ne!(new_hex_id(&mut rng), new_hex_id(&mut rng));
    }
}
