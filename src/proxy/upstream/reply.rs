//! An upstream's reply, whichever client sent the request: the lean hyper
//! client (local plain-HTTP upstreams) or reqwest (everything that needs a
//! proxy or TLS). The handlers and streams read it one way.

use std::error::Error as StdError;
use std::fmt;
use std::pin::Pin;

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt, TryStreamExt};
use http::{HeaderMap, StatusCode};
use http_body_util::BodyDataStream;
use hyper::body::Incoming;

/// The body as a stream of chunks, as it arrives.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, SendError>> + Send>>;

/// Why sending, or reading the body, failed.
#[derive(Debug)]
pub struct SendError {
    /// The whole cause chain (DNS, refused, TLS, proxy). The key travels in
    /// a header, so it is never part of it.
    pub cause: String,
    pub timeout: bool,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cause)
    }
}

impl SendError {
    fn from_chain(e: &(dyn StdError + 'static), timeout: bool) -> SendError {
        let mut cause = e.to_string();
        let mut timeout = timeout;
        let mut src = e.source();
        while let Some(s) = src {
            let text = s.to_string();
            // hyper wraps an io error and repeats its text.
            if !cause.ends_with(&text) {
                cause.push_str(": ");
                cause.push_str(&text);
            }
            if s.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
            {
                timeout = true;
            }
            src = s.source();
        }
        SendError { cause, timeout }
    }
}

impl From<reqwest::Error> for SendError {
    fn from(e: reqwest::Error) -> SendError {
        SendError::from_chain(&e, e.is_timeout())
    }
}

impl From<hyper_util::client::legacy::Error> for SendError {
    fn from(e: hyper_util::client::legacy::Error) -> SendError {
        SendError::from_chain(&e, false)
    }
}

impl From<hyper::Error> for SendError {
    fn from(e: hyper::Error) -> SendError {
        SendError::from_chain(&e, e.is_timeout())
    }
}

/// Why a capped read gave up.
#[derive(Debug)]
pub enum ReadError {
    Failed(SendError),
    /// Nothing arrived for the idle time.
    Idle,
    /// Longer than the cap.
    TooLarge,
}

pub struct Reply(Inner);

enum Inner {
    Reqwest(reqwest::Response),
    Lean(http::Response<Incoming>),
    /// A reply partly read already: its head, and the chunks read followed
    /// by the rest.
    Held {
        status: StatusCode,
        headers: HeaderMap,
        body: ByteStream,
    },
}

impl From<reqwest::Response> for Reply {
    fn from(r: reqwest::Response) -> Reply {
        Reply(Inner::Reqwest(r))
    }
}

impl From<http::Response<Incoming>> for Reply {
    fn from(r: http::Response<Incoming>) -> Reply {
        Reply(Inner::Lean(r))
    }
}

impl Reply {
    /// A reply whose body is `body` (chunks already read, then the rest).
    pub fn held(status: StatusCode, headers: HeaderMap, body: ByteStream) -> Reply {
        Reply(Inner::Held {
            status,
            headers,
            body,
        })
    }

    pub fn status(&self) -> StatusCode {
        match &self.0 {
            Inner::Reqwest(r) => r.status(),
            Inner::Lean(r) => r.status(),
            Inner::Held { status, .. } => *status,
        }
    }

    pub fn headers(&self) -> &HeaderMap {
        match &self.0 {
            Inner::Reqwest(r) => r.headers(),
            Inner::Lean(r) => r.headers(),
            Inner::Held { headers, .. } => headers,
        }
    }

    /// The whole body, with no chunk more than `idle` after the one before,
    /// and failing as soon as it passes `limit` bytes (before reading
    /// anything, when the length is announced).
    pub async fn read_capped(self, limit: usize, idle: Duration) -> Result<Bytes, ReadError> {
        let announced = self
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if announced.is_some_and(|n| n > limit as u64) {
            return Err(ReadError::TooLarge);
        }
        let mut stream = self.into_stream();
        let mut out: Vec<u8> = Vec::new();
        loop {
            match tokio::time::timeout(idle, stream.next()).await {
                Err(_) => return Err(ReadError::Idle),
                Ok(None) => return Ok(Bytes::from(out)),
                Ok(Some(Err(e))) => return Err(ReadError::Failed(e)),
                Ok(Some(Ok(chunk))) => {
                    let need = out.len() + chunk.len();
                    if need > limit {
                        return Err(ReadError::TooLarge);
                    }
                    // A body read in one chunk is kept as it came, uncopied.
                    if out.is_empty() && announced == Some(chunk.len() as u64) {
                        return Ok(chunk);
                    }
                    // Doubling, but never past the cap: a reply just under
                    // 32 MiB must not hold 64.
                    if need > out.capacity() {
                        let want = (out.capacity() * 2).max(need).min(limit);
                        out.reserve_exact(want - out.len());
                    }
                    out.extend_from_slice(&chunk);
                }
            }
        }
    }

    /// At most the first `limit` bytes of the body, read within `within`
    /// altogether; whatever fails or comes later is left unread (an error
    /// body: its message is at the start).
    pub async fn prefix(self, limit: usize, within: Duration) -> Bytes {
        let mut stream = self.into_stream();
        let mut out = BytesMut::new();
        let read = async {
            while let Some(Ok(chunk)) = stream.next().await {
                let room = limit - out.len();
                out.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if out.len() >= limit {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(within, read).await;
        out.freeze()
    }

    /// The body chunk by chunk. Dropping the stream drops the connection's
    /// body, which closes it: that is how a client's disconnect reaches the
    /// upstream.
    pub fn into_stream(self) -> ByteStream {
        match self.0 {
            Inner::Reqwest(r) => Box::pin(r.bytes_stream().map_err(SendError::from)),
            Inner::Lean(r) => Box::pin(BodyDataStream::new(r.into_body()).map_err(SendError::from)),
            Inner::Held { body, .. } => body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(std::io::Error);
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "client error (Connect): {}", self.0)
        }
    }
    impl StdError for Outer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn chain_is_joined_without_repeats_and_io_timeouts_count() {
        let e = Outer(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "connect timed out",
        ));
        let s = SendError::from_chain(&e, false);
        assert_eq!(s.cause, "client error (Connect): connect timed out");
        assert!(s.timeout);
        let e = Outer(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(!SendError::from_chain(&e, false).timeout);
    }
}
