//! Tool-call ids across the two APIs. Anthropic accepts only
//! `^[a-zA-Z0-9_-]+$`; some OpenAI-kind providers make ids outside it (Kimi:
//! `functions.Bash:0`). Claude Code keeps the id in its history and sends it
//! back with the tool's result, possibly to an Anthropic-kind upstream (a
//! slot on another provider) that refuses the whole request over it. So such
//! ids reach the client in a reversible form, and the OpenAI-kind upstream
//! gets its own id back. Pure and stateless: the form depends on the id only.

use std::borrow::Cow;

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
    let hex: String = id.bytes().map(|b| format!("{b:02x}")).collect();
    Cow::Owned(format!("{PREFIX}{hex}"))
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

#[cfg(test)]
mod tests {
    use super::*;

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
