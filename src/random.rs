//! Random tokens from the OS: session tokens, request ids, gateway keys.
//! The lowest layer, so the proxy and the gateway share one source.

use std::fmt::Write as _;

/// `bytes` random bytes from the OS, in hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The OS RNG failing is not something to limp on from.
    getrandom::fill(&mut buf).expect("the OS random number generator works");
    hex(&buf)
}

/// Bytes as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_lowercase_hex_of_the_length_asked_and_differ() {
        let a = random_hex(24);
        assert_eq!(a.len(), 48);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        );
        assert_ne!(a, random_hex(24));
        assert_eq!(hex(&[0, 0xab, 0x0f]), "00ab0f");
    }
}
