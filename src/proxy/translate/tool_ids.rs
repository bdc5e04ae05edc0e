//! Tool-call ids across the two APIs. Anthropic accepts only
//! `^[a-zA-Z0-9_-]+$`; some OpenAI-kind providers make ids outside it (Kimi:
//! `functions.Bash:0`). Claude Code keeps the id in its history and sends it
//! back with the tool's result, possibly to an Anthropic-kind upstream (a
//! slot on another provider) that refuses the whole request over it. So such
//! ids reach the client in a reversible form, and the OpenAI-kind upstream
//! gets its own id back, in the format it accepts (Mistral: nine letters
//! or digits). Pure and stateless: the form depends on the id only.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::config::quirks::ToolIdFormat;

/// Marks an encoded id. An upstream id that happens to start with it is
/// encoded too, so decoding never changes an id the upstream chose.
const PREFIX: &str = "toolu_enc_";

fn valid(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The id to give Claude Code for an upstream's tool-call id.
pub fn to_client(id: &str) -> Cow<'_, str> {
    if valid(id) && !id.starts_with(PREFIX) {
        return Cow::Borrowed(id);
    }
    let mut out = String::with_capacity(PREFIX.len() + id.len() * 2);
    out.push_str(PREFIX);
    for b in id.bytes() {
        let _ = write!(out, "{b:02x}");
    }
    Cow::Owned(out)
}

/// The upstream's own id for an id Claude Code sends back.
pub fn to_upstream(id: &str) -> Cow<'_, str> {
    let decoded = id.strip_prefix(PREFIX).and_then(|hex| {
        if hex.len() % 2 != 0 {
            return None;
        }
        let bytes: Option<Vec<u8>> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect();
        String::from_utf8(bytes?).ok()
    });
    decoded.map_or(Cow::Borrowed(id), Cow::Owned)
}

/// Tool-call id as the upstream must see it. The same input always maps to
/// the same output, so calls and results still pair up.
pub fn upstream_tool_id(id: &str, format: ToolIdFormat) -> String {
    let id = &*to_upstream(id);
    match format {
        ToolIdFormat::Alnum9 => alnum9(id),
        ToolIdFormat::Any => id.to_string(),
    }
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Mistral wants exactly nine letters/digits: FNV-1a of the id in base62.
fn alnum9(id: &str) -> String {
    if id.len() == 9 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return id.to_string();
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut out = [b'0'; 9];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(h % 62) as usize];
        h /= 62;
    }
    out.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alnum9_is_stable_nine_alphanumerics() {
        for id in [
            "toolu_01ABC",
            "",
            "call_ünïcödé",
            "toolu_mock_c5089207f0724b81",
        ] {
            let a = alnum9(id);
            assert_eq!(a.len(), 9, "{id}");
            assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()), "{a}");
            assert_eq!(a, alnum9(id));
        }
        assert_ne!(alnum9("toolu_1"), alnum9("toolu_2"));
        assert_eq!(alnum9("abcDEF123"), "abcDEF123");
        assert_eq!(upstream_tool_id("toolu_1", ToolIdFormat::Any), "toolu_1");
    }

    #[test]
    fn valid_ids_pass_untouched() {
        for id in ["call_abc123", "toolu_01A-b", "x"] {
            assert_eq!(to_client(id), id);
            assert_eq!(to_upstream(id), id);
        }
    }

    #[test]
    fn other_ids_round_trip_in_anthropics_alphabet() {
        for id in ["functions.Bash:0", "call 1", "工具:1", "toolu_enc_41", ""] {
            let c = to_client(id);
            assert!(valid(&c), "{c}");
            assert_eq!(to_upstream(&c), id, "{c}");
        }
        assert_eq!(
            to_client("functions.Bash:0"),
            "toolu_enc_66756e6374696f6e732e426173683a30"
        );
    }

    #[test]
    fn broken_encodings_are_left_alone() {
        for id in ["toolu_enc_4", "toolu_enc_zz", "toolu_enc_ff"] {
            assert_eq!(to_upstream(id), id);
        }
    }
}
