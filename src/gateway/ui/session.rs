//! Signing in to the usage page. A browser cannot send the serve token as
//! a header, so it is posted once from a form, and the browser keeps a
//! cookie instead: a SHA-256 of the token with a salt drawn per process,
//! never the token. Knowing the cookie does not give the token, and it
//! stops working when the gateway restarts.

use http::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The cookie's name. Its `Path=/ui` keeps it off the API routes.
pub const COOKIE: &str = "ccswitch_ui";

/// Longest sign-in form body read: a token and its field name fit well.
pub const MAX_FORM: usize = 4096;

/// The cookie value for `token` under `salt`.
pub fn cookie_value(token: &str, salt: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"ccswitch usage page\0");
    h.update(salt.as_bytes());
    h.update(b"\0");
    h.update(token.as_bytes());
    crate::random::hex(&h.finalize())
}

/// The `Set-Cookie` value that signs a browser in: script cannot read it
/// (`HttpOnly`), no other site's page sends it (`SameSite=Strict`), and
/// over TLS it never goes out in clear (`Secure`).
pub fn set_cookie(value: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={value}; Path=/ui; HttpOnly; SameSite=Strict{secure}")
}

/// The `Set-Cookie` value that signs a browser out.
pub fn clear_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}=; Path=/ui; Max-Age=0; HttpOnly; SameSite=Strict{secure}")
}

/// Whether the request carries the cookie `want` (compared in constant
/// time, like the token).
pub fn signed_in(headers: &HeaderMap, want: &str) -> bool {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(name, value)| name == COOKIE && bool::from(value.as_bytes().ct_eq(want.as_bytes())))
}

/// The `token` field of a posted form (`application/x-www-form-urlencoded`).
pub fn form_token(body: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.trim().to_string())
}

/// The ranges the page offers, in days; the first one is the default
/// when the query asks for none of them.
pub const RANGES: [u32; 3] = [30, 7, 90];

/// The range `?days=` asks for, if it is one the page offers.
pub fn days(query: Option<&str>) -> u32 {
    query
        .map(|q| url::form_urlencoded::parse(q.as_bytes()))
        .and_then(|mut pairs| pairs.find(|(k, _)| k == "days"))
        .and_then(|(_, v)| v.parse().ok())
        .filter(|d| RANGES.contains(d))
        .unwrap_or(RANGES[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_derived_and_checked() {
        let v = cookie_value("ccsw-secret", "salt1");
        assert_eq!(v.len(), 64);
        assert!(!v.contains("secret"));
        assert_ne!(v, cookie_value("ccsw-secret", "salt2"));
        let set = set_cookie(&v, false);
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"));
        assert!(set.contains("Path=/ui") && !set.contains("Secure"));
        assert!(set_cookie(&v, true).ends_with("; Secure"));
        let mut h = HeaderMap::new();
        assert!(!signed_in(&h, &v));
        h.insert(
            http::header::COOKIE,
            format!("other=1; {COOKIE}={v}").parse().expect("header"),
        );
        assert!(signed_in(&h, &v));
        assert!(!signed_in(&h, &cookie_value("x", "salt1")));
    }

    #[test]
    fn forms_and_ranges() {
        assert_eq!(form_token(b"token=ccsw-a%2Bb").as_deref(), Some("ccsw-a+b"));
        assert_eq!(form_token(b"x=1"), None);
        assert_eq!(days(None), 30);
        assert_eq!(days(Some("days=7")), 7);
        assert_eq!(days(Some("days=90&x=1")), 90);
        assert_eq!(days(Some("days=1000")), 30);
        assert_eq!(days(Some("days=abc")), 30);
    }
}
