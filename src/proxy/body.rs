//! Response bodies and the few response shapes every handler uses.

use std::convert::Infallible;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;

use super::error::ProxyError;

pub type Body = UnsyncBoxBody<Bytes, Infallible>;

/// A request body the proxy can read: hyper's, from a socket, or any other
/// (a test calling the proxy without one).
pub trait InBody:
    hyper::body::Body<Data = Bytes, Error: Into<Box<dyn std::error::Error + Send + Sync>>>
    + Send
    + 'static
{
}

impl<T> InBody for T where
    T: hyper::body::Body<Data = Bytes, Error: Into<Box<dyn std::error::Error + Send + Sync>>>
        + Send
        + 'static
{
}

/// Largest body read whole, either way: Anthropic's own request limit, and
/// the cap on a whole (non-streamed) upstream reply.
pub const MAX_BODY: usize = 32 * 1024 * 1024;

/// How much of an upstream error body is read: the message is at the start,
/// and a huge one must not be held in memory.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

pub fn full(bytes: impl Into<Bytes>) -> Body {
    http_body_util::Full::new(bytes.into()).boxed_unsync()
}

/// An Anthropic-shaped error with the status Claude Code retries by, its
/// message masked by the proxy run's redactor.
pub fn error_response(e: ProxyError, r: &crate::secrets::Redactor) -> Response<Body> {
    e.into_response(r).map(full)
}

pub fn json_response(status: StatusCode, bytes: Bytes) -> Response<Body> {
    let mut r = Response::new(full(bytes));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

pub fn sse_response(body: Body) -> Response<Body> {
    let mut r = Response::new(body);
    let h = r.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    r
}
