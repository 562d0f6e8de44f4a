//! Base64url as Sirius peers write and read it (§1.1): always emitted **with** `=` padding
//! (Python `urlsafe_b64encode`), accepted with or without padding. Like Python's decoder,
//! the standard alphabet's `+` and `/` are also accepted in place of `-` and `_`.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The input was not base64url (with or without padding).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid base64url")]
pub struct B64Error;

/// Base64url with `=` padding.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    ENGINE.encode(bytes)
}

/// Decodes base64url with or without padding (`+` and `/` are accepted as `-` and `_`).
pub fn decode(text: &str) -> Result<Vec<u8>, B64Error> {
    if text.contains(['+', '/']) {
        let fixed: String = text
            .chars()
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                other => other,
            })
            .collect();
        ENGINE.decode(fixed).map_err(|_| B64Error)
    } else {
        ENGINE.decode(text).map_err(|_| B64Error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_with_padding_and_url_alphabet() {
        assert_eq!(encode([0xfbu8, 0xff]), "-_8=");
        assert_eq!(encode(b"a"), "YQ==");
    }

    #[test]
    fn decodes_padded_unpadded_and_standard_alphabet() {
        assert_eq!(decode("YQ==").unwrap(), b"a");
        assert_eq!(decode("YQ").unwrap(), b"a");
        assert_eq!(decode("-_8=").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode("+/8").unwrap(), [0xfb, 0xff]);
        assert!(decode("Y").is_err());
        assert!(decode("Y!==").is_err());
    }
}
