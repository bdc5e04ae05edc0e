//! Reading key characters forwards and backwards over raw or JSON-escaped
//! text: the steps after a match, each a bounded walk that never goes back
//! over text already passed.

pub(super) fn token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Key characters in the wider sense: base64 (`/+=`), dotted ids and JWTs.
pub(super) fn wide_char(b: u8) -> bool {
    token_char(b) || matches!(b, b'.' | b'/' | b'+' | b'=' | b'~')
}

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// The character a JSON escape at `i` stands for and the escape's length,
/// for `\/` and `\u00xx`.
fn escape_at(text: &[u8], i: usize) -> Option<(u8, usize)> {
    match text.get(i..)? {
        [b'\\', b'/', ..] => Some((b'/', 2)),
        [b'\\', b'u', b'0', b'0', h, l, ..] => Some((hex(*h)? << 4 | hex(*l)?, 6)),
        _ => None,
    }
}

/// The end of the key characters (and escapes of them) from `i`, and how
/// many characters that was.
pub(super) fn extend(text: &[u8], mut i: usize, key: fn(u8) -> bool) -> (usize, usize) {
    let start = i;
    let mut n = 0;
    while let Some(&b) = text.get(i) {
        let step = if key(b) {
            1
        } else {
            match escape_at(text, i) {
                Some((c, len)) if key(c) => len,
                _ => break,
            }
        };
        i += step;
        n += 1;
    }
    work(i - start);
    (i, n)
}

/// A sentence's full stop after a key is not part of it.
pub(super) fn trim_dots(text: &[u8], from: usize, mut end: usize) -> usize {
    while end > from && text[end - 1] == b'.' {
        end -= 1;
    }
    end
}

pub(super) fn wide_end(text: &[u8], i: usize) -> usize {
    trim_dots(text, i, extend(text, i, wide_char).0)
}

/// Where the key characters (and escapes of them) before `i` begin, not
/// before `floor`; never inside an escape.
pub(super) fn back(text: &[u8], mut i: usize, floor: usize) -> usize {
    let from = i;
    while i > floor {
        if i >= floor + 6 && escape_at(text, i - 6).is_some_and(|(c, n)| n == 6 && wide_char(c)) {
            i -= 6;
        } else if i >= floor + 2 && text[i - 2] == b'\\' && text[i - 1] == b'/' {
            i -= 2;
        } else if wide_char(text[i - 1]) {
            i -= 1;
        } else {
            break;
        }
    }
    work(from - i);
    // Stopped on the letter of an escape (`\n`, `\u00e9`): leave it whole.
    if i > floor && odd_backslashes(text, i) {
        i += if text.get(i) == Some(&b'u') { 5 } else { 1 };
    }
    i.min(from)
}

/// Whether the backslashes just before `i` end in one that escapes `text[i]`.
fn odd_backslashes(text: &[u8], i: usize) -> bool {
    text[..i].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

/// Whether a word starts at `i`: no key character before it, or only a
/// JSON escape (`\n`, `\u0022`) that ends there.
pub(super) fn starts_word(text: &[u8], i: usize) -> bool {
    let Some(&prev) = i.checked_sub(1).and_then(|p| text.get(p)) else {
        return true;
    };
    if !token_char(prev) {
        return true;
    }
    let escaped_letter = i >= 2 && matches!(prev, b'n' | b't' | b'r' | b'b' | b'f');
    if escaped_letter && odd_backslashes(text, i - 1) {
        return true;
    }
    i >= 6 && text[i - 6] == b'\\' && text[i - 5] == b'u' && odd_backslashes(text, i - 5)
}

/// After a credential's name: the quotes, colon, equals sign and spaces
/// before its value (JSON-escaped quotes too).
pub(super) fn skip_separators(text: &[u8], mut i: usize) -> usize {
    let limit = i + 8;
    while i < limit {
        match text.get(i..) {
            Some([b' ' | b'\t' | b'"' | b'\'' | b':' | b'=', ..]) => i += 1,
            Some([b'\\', b'"', ..]) => i += 2,
            _ => break,
        }
    }
    i
}

#[cfg(test)]
thread_local! {
    /// Bytes looked at, for the test that proves the pass linear.
    pub(super) static WORK: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
pub(super) fn work(n: usize) {
    WORK.with(|w| w.set(w.get() + n));
}

#[cfg(not(test))]
pub(super) fn work(_: usize) {}
