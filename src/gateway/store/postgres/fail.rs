//! What a PostgreSQL call can fail with before it knows which database it
//! was about, and how each becomes a [`StoreError`]: a server that did not
//! answer is told apart from one that answered with an error.

use std::time::Duration;

use deadpool_postgres::PoolError;

use crate::gateway::store::error::{StoreError, chain};

pub(super) enum Fail {
    Pg(tokio_postgres::Error),
    /// No connection from the pool, which waits as long as the bound.
    Pool(PoolError, Duration),
    /// The call took longer than its bound.
    NoAnswer(Duration),
    NotOurs,
    Newer {
        found: i64,
        known: i64,
    },
    Store(StoreError),
}

impl From<tokio_postgres::Error> for Fail {
    fn from(e: tokio_postgres::Error) -> Fail {
        Fail::Pg(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Fail {
        Fail::Store(e)
    }
}

impl Fail {
    /// As the store's error, `shown` naming the database.
    pub(super) fn at(self, shown: &str) -> StoreError {
        let location = shown.to_owned();
        if let Fail::Pg(e) | Fail::Pool(PoolError::Backend(e), _) = &self
            && tls_refused(e)
        {
            return StoreError::PgTlsFailed {
                location,
                error: describe(e),
            };
        }
        let (unreachable, error) = match self {
            Fail::Pg(e) => (unreachable(&e), describe(&e)),
            Fail::Pool(e, bound) => pool_failure(&e, bound),
            Fail::NoAnswer(bound) => (
                true,
                crate::t!("gateway.pg_no_answer", secs = bound.as_secs()),
            ),
            Fail::NotOurs => return StoreError::PgNotOurs { location },
            Fail::Newer { found, known } => {
                return StoreError::Newer {
                    path: location.into(),
                    found,
                    known,
                };
            }
            Fail::Store(e) => return e,
        };
        StoreError::Postgres {
            location,
            unreachable,
            error,
        }
    }
}

/// A driver error as one line: the server's own message and SQLSTATE, or
/// the driver's words and their causes (its `Display` alone says only "db
/// error" or "error connecting to server").
pub(super) fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => chain(e),
    }
}

/// Whether a driver error means the server did not answer (as opposed to
/// answering with an error): the connection failed or closed, or the
/// server said it is shutting down or starting up (SQLSTATE classes 08
/// and 57P).
fn unreachable(e: &tokio_postgres::Error) -> bool {
    match e.code() {
        Some(code) => {
            let code = code.code();
            code.starts_with("08") || code.starts_with("57P")
        }
        None => {
            e.is_closed()
                || std::iter::successors(std::error::Error::source(e), |c| c.source())
                    .any(<dyn std::error::Error>::is::<std::io::Error>)
        }
    }
}

/// Whether the TLS handshake failed for a reason a retry will not mend: a
/// certificate rustls refused, or a server that does not offer TLS. The
/// driver's error kind is private; its `Display` for that kind is this
/// fixed text, and a lost connection mid-handshake has an I/O error
/// under it that is not rustls's (that one stays "unreachable").
fn tls_refused(e: &tokio_postgres::Error) -> bool {
    let mut io_cut = false;
    for cause in std::iter::successors(std::error::Error::source(e), |c| c.source()) {
        if cause.is::<rustls::Error>() {
            return true;
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if io
                .get_ref()
                .is_some_and(<dyn std::error::Error + Send + Sync>::is::<rustls::Error>)
            {
                return true;
            }
            io_cut = true;
        }
    }
    !io_cut && e.to_string() == "error performing TLS handshake"
}

/// A pool's failure to give a connection.
fn pool_failure(e: &PoolError, bound: Duration) -> (bool, String) {
    match e {
        // The server refusing us (a wrong password or database) is its
        // answer; anything else while connecting is no answer.
        PoolError::Backend(e) => (e.as_db_error().is_none() || unreachable(e), describe(e)),
        PoolError::Timeout(_) => (
            true,
            crate::t!("gateway.pg_no_connection", secs = bound.as_secs()),
        ),
        other => (false, other.to_string()),
    }
}
