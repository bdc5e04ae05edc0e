//! Writing roff: pages put together from sections that clap_mangen and
//! the roff crate render one at a time, kept plain ASCII.

use std::fmt::Write as _;
use std::io::{self, Write};

use clap_mangen::roff::{Roff, bold, roman};

/// The page footer's source: ccswitch and its version on every page.
pub(super) fn source() -> String {
    format!("ccswitch {}", env!("CARGO_PKG_VERSION"))
}

/// SEE ALSO: `pages`, each as `name(1)`.
pub(super) fn see_also_section(pages: &[&str]) -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["SEE ALSO"]);
    let mut line = Vec::new();
    for (i, name) in pages.iter().enumerate() {
        if i > 0 {
            line.push(roman(", "));
        }
        line.push(bold(*name));
        line.push(roman("(1)"));
    }
    roff.text(line);
    roff
}

/// Append one rendered section to `page`. Each rendering starts with
/// roff's preamble (the `Aq` string apostrophes use): the page keeps the
/// first.
pub(super) fn section(
    page: &mut String,
    render: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut buf = Vec::new();
    render(&mut buf)?;
    let text = String::from_utf8_lossy(&buf);
    let preamble = Roff::new().render();
    match text.strip_prefix(preamble.as_str()) {
        Some(rest) if !page.is_empty() => page.push_str(rest),
        _ => page.push_str(&text),
    }
    Ok(())
}

/// Stands for roff's `\%` (do not hyphenate this word) in text given to
/// the roff crate, which would escape the backslash; [`ascii`] puts it in.
pub(super) const NO_HYPHEN: char = '\u{E000}';

/// Non-ASCII characters as groff's `\[uXXXX]`: roff input is read as
/// Latin-1 unless the reader runs preconv, and the TUI's keys are arrows.
pub(super) fn ascii(roff: &str) -> String {
    let mut out = String::with_capacity(roff.len());
    for c in roff.chars() {
        if c.is_ascii() {
            out.push(c);
        } else if c == NO_HYPHEN {
            out.push_str("\\%");
        } else {
            let _ = write!(out, "\\[u{:04X}]", u32::from(c));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_plain_ascii() {
        assert_eq!(ascii("a ↑ b · c"), "a \\[u2191] b \\[u00B7] c");
        assert_eq!(ascii("😀"), "\\[u1F600]");
        assert_eq!(ascii(&format!("{NO_HYPHEN}LANG")), "\\%LANG");
    }
}
