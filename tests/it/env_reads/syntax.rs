//! Reading Rust source just enough for the scan: string literals by
//! offset, and the statement, block and brackets around a position in
//! blanked code (`architecture::code_only`, where brackets in strings and
//! comments are gone).

use crate::architecture::is_ident;

/// The identifiers (and numbers) in `code`.
pub fn words(code: &str) -> impl Iterator<Item = &str> {
    code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}

pub fn has_word(code: &str, word: &str) -> bool {
    words(code).any(|w| w == word)
}

/// The `)` matching the `(` at `open`.
pub fn matching(code: &str, open: usize) -> usize {
    let mut depth = 0;
    for (i, c) in code.bytes().enumerate().skip(open) {
        match c {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    code.len()
}

/// The statement around `at`: from after the `;`, `{` or finished block
/// before it to the `;`, `}` or finished block after it. Brackets between
/// are skipped whole; an unmatched `(` or `[` is crossed, since the call
/// may sit in an argument list or an array.
pub fn statement(code: &str, at: usize) -> (usize, usize) {
    let b = code.as_bytes();
    // A block that goes on: `} else`, `}.map(…)`, `})`, `}?`.
    let goes_on = |rest: &str| {
        let rest = rest.trim_start();
        rest.starts_with("else") || rest.starts_with(['.', '?', ')', ',', ';', ']'])
    };
    let (mut depth, mut start) = (0usize, 0);
    let mut i = at;
    while i > 0 {
        i -= 1;
        match b[i] {
            b'}' if depth == 0 && !goes_on(&code[i + 1..]) => {
                start = i + 1;
                break;
            }
            b')' | b']' | b'}' => depth += 1,
            b'(' | b'[' => depth = depth.saturating_sub(1),
            b'{' if depth == 0 => {
                start = i + 1;
                break;
            }
            b'{' => depth -= 1,
            b';' if depth == 0 => {
                start = i + 1;
                break;
            }
            _ => {}
        }
    }
    let (mut depth, mut end) = (0usize, code.len());
    for (i, c) in b.iter().enumerate().skip(at) {
        match c {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'}' if depth == 0 => {
                end = i;
                break;
            }
            b'}' => {
                depth -= 1;
                if depth == 0 && !goes_on(&code[i + 1..]) {
                    end = i + 1;
                    break;
                }
            }
            b';' if depth == 0 => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    (start, end)
}

/// The unmatched `{` before `at`: the block the statement is in.
pub fn enclosing_open(code: &str, at: usize) -> Option<usize> {
    let mut depth = 0usize;
    for i in (0..at).rev() {
        match code.as_bytes()[i] {
            b'}' => depth += 1,
            b'{' if depth == 0 => return Some(i),
            b'{' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// String literals (plain and raw) by the offset of their contents, with
/// comments and char literals skipped.
pub fn literals(text: &str) -> Vec<(usize, String)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(b.len(), |n| i + n);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = text[i..].find("*/").map_or(b.len(), |n| i + n + 2);
            }
            b'\'' if b.get(i + 1) == Some(&b'\\') => {
                i = text[i + 3..].find('\'').map_or(b.len(), |n| i + 3 + n + 1);
            }
            b'\'' => {
                let c = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                i += if b.get(i + 1 + c) == Some(&b'\'') {
                    c + 2
                } else {
                    1
                };
            }
            b'r' if (i == 0 || !is_ident(b[i - 1]) || b[i - 1] == b'b')
                && matches!(b.get(i + 1), Some(b'"' | b'#')) =>
            {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                let start = i + 2 + hashes;
                if b.get(start - 1) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let end = text[start..].find(&close).map_or(b.len(), |n| start + n);
                out.push((start, text[start..end].to_string()));
                i = end + close.len();
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                out.push((i + 1, text[i + 1..j.min(b.len())].to_string()));
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    out
}
