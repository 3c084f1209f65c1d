//! Chunk data in JSON: standard base64 with padding (RFC 4648), by the `base64` crate.

use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Writes padded standard base64. Reads only that (the length a multiple of 4, `=` only at the
/// end), and, like the codec this replaced, takes a last symbol whose unused low bits are set:
/// files written before read as they did.
const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

pub fn serialize<S: serde::Serializer>(data: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&ENGINE.encode(data))
}

pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(d)?;
    ENGINE
        .decode(text)
        .map_err(|_| serde::de::Error::custom("chunk data is not base64"))
}

#[cfg(test)]
mod tests {
    use super::ENGINE;
    use base64::Engine;

    fn decode(text: &str) -> Option<Vec<u8>> {
        ENGINE.decode(text).ok()
    }

    /// The bytes export files hold, pinned: every length's padding, and every symbol.
    #[test]
    fn writes_padded_standard_base64() {
        let data: Vec<u8> = (0..=255u8).collect();
        let short = [
            "", "AA==", "AAE=", "AAEC", "AAECAw==", "AAECAwQ=", "AAECAwQF",
        ];
        for (n, want) in short.iter().enumerate() {
            assert_eq!(ENGINE.encode(&data[..n]), *want, "{n} bytes");
        }
        assert_eq!(
            ENGINE.encode(&data),
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w=="
        );
        for (plain, coded) in [
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(ENGINE.encode(plain), coded);
        }
        for n in 0..=300 {
            let bytes: Vec<u8> = data.iter().cycle().skip(n).take(n).copied().collect();
            let text = ENGINE.encode(&bytes);
            assert_eq!(text.len(), n.div_ceil(3) * 4, "{n} bytes");
            let pad = text.bytes().rev().take_while(|b| *b == b'=').count();
            assert_eq!(pad, (3 - n % 3) % 3, "{n} bytes");
            assert_eq!(decode(&text).unwrap(), bytes, "{n} bytes");
        }
    }

    #[test]
    fn reads_what_it_read_before_and_refuses_the_rest() {
        assert_eq!(decode("").unwrap(), b"");
        assert_eq!(decode("Zg==").unwrap(), b"f");
        // Unused low bits set in the last symbol were ignored, and still are.
        assert_eq!(decode("Zh==").unwrap(), b"f");
        assert_eq!(decode("Zm9=").unwrap(), b"fo");
        for bad in [
            "Zg=",
            "Z===",
            "====",
            "Zg==Zg==",
            "Zm9v!mFy",
            "A=B=",
            "Zg",
            "Zm9vYmE",
            "Zm9v\nYmFy",
            "Zm9v YmFy",
            "Zm9v-mFy",
            "Zm9v_mFy",
            "=Zg=",
        ] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }
}
