//! Text from files ccswitch did not write, made safe to show or to put in
//! a comment: one line, no terminal escapes, no passwords. Every printed
//! value an import (or export) read from elsewhere goes through these.

/// `s` as one line without control characters: newlines, tabs and the
/// like become a space, escapes (ESC, BEL, C1 controls, bidi overrides)
/// are dropped, so a value can neither start a new line of a config file
/// nor drive the terminal it is printed on.
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}' | '\u{85}') {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else if !c.is_control() && !is_bidi_control(c) {
            out.push(c);
        }
    }
    out
}

/// Characters that reorder what follows them on screen (Trojan Source).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// A `# ...` comment line for a TOML document: `text` on one line.
pub fn comment(text: &str) -> String {
    format!("# {}\n", one_line(text).trim())
}

pub use super::redact::without_password;

/// A URL from elsewhere as it may be printed: one line, no password. A
/// URL holds no whitespace or control character of its own, so they go
/// rather than become spaces.
pub fn shown_url(u: &str) -> String {
    without_password(u)
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_drops_escapes_and_breaks() {
        assert_eq!(
            one_line("a\n[search]\r\n\tb\u{1b}[2J\u{7}\u{9b}c\u{202e}d"),
            "a [search] b[2Jcd"
        );
        assert_eq!(
            comment("key: <from x\n[s]\nk = 1\n#>"),
            "# key: <from x [s] k = 1 #>\n"
        );
    }

    #[test]
    fn passwords_never_shown() {
        for (from, to) in [
            ("http://u:pw@proxy:3128", "http://u@proxy:3128"),
            ("https://u:pw@gw.example/v1/", "https://u@gw.example/v1/"),
            ("https://gw.example/v1", "https://gw.example/v1"),
            ("http://u:p w@proxy:3128/x", "http://u@proxy:3128/x"),
            ("not a url", "not a url"),
        ] {
            assert_eq!(without_password(from), to, "{from}");
        }
        assert_eq!(shown_url("http://u:pw@h\n:1"), "http://u@h:1");
        assert_eq!(shown_url("http://u:p w@h/\u{1b}[2J"), "http://u@h/[2J");
    }
}
