//! Rules a value must follow, shared by config loading and the TUI form.

use url::Url;

/// Names are used as keyring accounts and command-line arguments.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with(['-', '.'])
}

pub fn valid_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Why a text cannot be a provider's base URL (config loading and the TUI
/// form check the same rules).
pub enum UrlProblem {
    Unparsable(url::ParseError),
    NotHttp,
    /// Paths are appended to the base URL; a query would end up in the
    /// middle of them (and a secret in it in error messages).
    HasQuery,
}

pub fn check_base_url(text: &str) -> Result<Url, UrlProblem> {
    let url = Url::parse(text).map_err(UrlProblem::Unparsable)?;
    if url.query().is_some() || url.fragment().is_some() {
        Err(UrlProblem::HasQuery)
    } else if matches!(url.scheme(), "http" | "https") && url.has_host() {
        Ok(url)
    } else {
        Err(UrlProblem::NotHttp)
    }
}

/// An upstream proxy URL ccswitch can use, if the text is one.
pub fn proxy_url(text: &str) -> Option<Url> {
    Url::parse(text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https" | "socks5" | "socks5h") && u.has_host())
}

/// A key command splits into a program and its arguments (no shell).
pub fn valid_key_command(cmd: &str) -> bool {
    shlex::split(cmd).is_some_and(|argv| !argv.is_empty())
}
