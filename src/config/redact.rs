//! URLs as they may be shown or shared. A URL's user part can hold a
//! password (`http://user:secret@host`, for a proxy or a SearXNG behind
//! basic auth); every place that prints or exports a URL from the config
//! goes through here. The text is kept as written otherwise: no
//! normalising, so what the user sees matches their file.

/// The user part's byte range (`user:secret`) when `text` has one.
fn userinfo(text: &str) -> Option<(usize, usize)> {
    let start = text.find("://").map_or(0, |i| i + 3);
    let rest = &text[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..authority_end].rfind('@')?;
    Some((start, start + at))
}

/// The password's byte range, `:` included.
fn password(text: &str) -> Option<(usize, usize)> {
    let (start, end) = userinfo(text)?;
    let colon = text[start..end].find(':')?;
    Some((start + colon, end))
}

/// `http://user:secret@host:3128` → `http://user@host:3128`: for text that
/// is handed on (an exported profile), where a placeholder would be taken
/// for the password.
pub fn without_password(text: &str) -> String {
    match password(text) {
        Some((from, to)) => format!("{}{}", &text[..from], &text[to..]),
        None => text.to_string(),
    }
}

/// `http://user:secret@host` → `http://user:****@host`: for display, where
/// the reader should see that a password is set.
pub fn masked(text: &str) -> String {
    match password(text) {
        Some((from, to)) => format!("{}:****{}", &text[..from], &text[to..]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_go_and_the_rest_stays_as_written() {
        let cases = [
            // (written, without, masked)
            (
                "http://ana:hunter2@proxy.corp:3128",
                "http://ana@proxy.corp:3128",
                "http://ana:****@proxy.corp:3128",
            ),
            (
                "https://u:p%40ss:w@searx.example/sub/?x=a@b",
                "https://u@searx.example/sub/?x=a@b",
                "https://u:****@searx.example/sub/?x=a@b",
            ),
            (
                "socks5h://:only-secret@127.0.0.1:1080",
                "socks5h://@127.0.0.1:1080",
                "socks5h://:****@127.0.0.1:1080",
            ),
            // No scheme: the user part is still found.
            ("ana:pw@host:3128", "ana@host:3128", "ana:****@host:3128"),
            // Nothing to hide: unchanged, even an `@` or `:` past the host.
            (
                "http://ana@proxy.corp:3128",
                "http://ana@proxy.corp:3128",
                "http://ana@proxy.corp:3128",
            ),
            (
                "http://127.0.0.1:8888/search?q=a:b@c",
                "http://127.0.0.1:8888/search?q=a:b@c",
                "http://127.0.0.1:8888/search?q=a:b@c",
            ),
            ("HTTP://Host/", "HTTP://Host/", "HTTP://Host/"),
        ];
        for (written, without, shown) in cases {
            assert_eq!(without_password(written), without, "{written}");
            assert_eq!(masked(written), shown, "{written}");
        }
    }
}
