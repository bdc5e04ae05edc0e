//! The session token: minted per run, checked on every route.

use http::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use crate::random::random_hex;

/// A fresh random session token for the client side of the proxy.
pub fn new_token() -> SecretString {
    SecretString::from(format!("ccsw-{}", random_hex(24)))
}

/// The credentials a request carries: `Authorization: Bearer` (Claude
/// Code's AUTH_TOKEN) first, then `x-api-key` (API_KEY), trimmed.
pub fn presented(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    let bearer = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    let api_key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    [bearer, api_key].into_iter().flatten().map(str::trim)
}

/// Claude Code sends the token as `Authorization: Bearer` (AUTH_TOKEN) or
/// `x-api-key` (API_KEY); either may carry it. Compared in constant time.
pub fn authorized(token: &SecretString, headers: &HeaderMap) -> bool {
    let want = token.expose_secret().as_bytes();
    presented(headers).any(|given| bool::from(given.as_bytes().ct_eq(want)))
}
