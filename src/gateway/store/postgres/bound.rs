//! How long a PostgreSQL store call may take: while the server is down or
//! restarting, a call fails within its bound instead of hanging a request.

use std::future::Future;
use std::time::Duration;

use super::fail::Fail;

/// How long a call waits for a connection: for a free one of the pool,
/// and for the server to accept a new one.
pub const CONNECT_BOUND: Duration = Duration::from_secs(5);
/// How long a whole call may take, connecting included.
pub const CALL_BOUND: Duration = Duration::from_secs(10);

/// `call`, or an unreachable-server failure once [`CALL_BOUND`] has
/// passed: a server that stopped answering mid-query (a network cut
/// keeps the socket open) must not hold a request forever.
pub async fn bounded<T>(call: impl Future<Output = Result<T, Fail>>) -> Result<T, Fail> {
    match tokio::time::timeout(CALL_BOUND, call).await {
        Ok(r) => r,
        Err(_) => Err(Fail::NoAnswer(CALL_BOUND)),
    }
}
