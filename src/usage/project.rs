//! The project a request was made for: a short label `ccswitch run` sends
//! on every request (`x-ccswitch-project`), which the proxy (a team
//! gateway above all) records with it.
//!
//! Claude Code (Node) refuses a header value outside Latin-1, which would
//! fail every request of a session in a folder named in Chinese: the
//! header carries the label percent-encoded beyond printable ASCII, and
//! the proxy decodes it.

use std::fmt::Write as _;

/// The header that carries the label.
pub const HEADER: &str = "x-ccswitch-project";

/// Longer labels are cut: the label keys usage sums, it is not a path.
const MAX_CHARS: usize = 64;

/// The label as recorded: control characters gone, runs of white space one
/// space, trimmed, at most 64 characters. `None` when nothing is left.
pub fn sanitize(raw: &str) -> Option<String> {
    let mut out = String::new();
    let mut space = false;
    for c in raw.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
        } else if !c.is_control() {
            if out.chars().count() >= MAX_CHARS {
                break;
            }
            if std::mem::take(&mut space) {
                out.push(' ');
            }
            out.push(c);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The label as a header value: printable ASCII as is, every other byte
/// (and `%`) as `%XX`.
pub fn to_header(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    for b in label.bytes() {
        if (b' '..=b'~').contains(&b) && b != b'%' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The label a client sent: percent-decoded (a `%` not followed by two hex
/// digits is kept as it is), then sanitized.
pub fn from_header(value: &[u8]) -> Option<String> {
    let hex = |b: u8| {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let mut bytes = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        let pair = value
            .get(i + 1)
            .copied()
            .and_then(hex)
            .zip(value.get(i + 2).copied().and_then(hex));
        match (value[i], pair) {
            (b'%', Some((hi, lo))) => {
                bytes.push(hi << 4 | lo);
                i += 3;
            }
            (b, _) => {
                bytes.push(b);
                i += 1;
            }
        }
    }
    sanitize(&String::from_utf8_lossy(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_short_printable_and_trimmed() {
        assert_eq!(sanitize("  web  app\n"), Some("web app".into()));
        assert_eq!(sanitize("a\u{7}b\u{1b}[31mc"), Some("ab[31mc".into()));
        assert_eq!(sanitize(" \t\r\n"), None);
        assert_eq!(sanitize(&"x".repeat(200)).map(|s| s.len()), Some(64));
        assert_eq!(sanitize("项目 一"), Some("项目 一".into()));
    }

    #[test]
    fn the_header_carries_any_label_and_back() {
        for label in ["web", "my app", "项目", "100%", "a:b"] {
            let h = to_header(label);
            assert!(h.bytes().all(|b| (b' '..=b'~').contains(&b)), "{h}");
            assert_eq!(from_header(h.as_bytes()).as_deref(), Some(label));
        }
        // Other clients' plain values, and stray percent signs.
        assert_eq!(from_header(b"web%").as_deref(), Some("web%"));
        assert_eq!(from_header(b"50%zz").as_deref(), Some("50%zz"));
        assert_eq!(from_header(b"%0A").as_deref(), None);
    }
}
