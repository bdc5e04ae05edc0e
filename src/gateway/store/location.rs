//! Where a store is, as `--store` names it: a SQLite file, or a PostgreSQL
//! database URL. A URL may hold a password, so it is kept where `Debug`
//! cannot print it, and every message shows it with the password
//! replaced ([`PgUrl::shown`]).

use std::path::PathBuf;

use super::error::{StoreError, chain};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreLocation {
    Sqlite(PathBuf),
    Postgres(PgUrl),
}

impl StoreLocation {
    /// A file path (or `file://`), or a `postgres://` / `postgresql://`
    /// URL; any other scheme is refused by name rather than becoming a
    /// file called `mysql:…`.
    pub fn parse(given: &str) -> Result<StoreLocation, StoreError> {
        let scheme = given.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            None | Some("file") => Ok(StoreLocation::Sqlite(PathBuf::from(
                given.strip_prefix("file://").unwrap_or(given),
            ))),
            Some("postgres" | "postgresql") => Ok(StoreLocation::Postgres(PgUrl::parse(given)?)),
            Some(_) => Err(StoreError::Unsupported {
                // Only the scheme: the rest may hold a password.
                location: format!("{}://…", scheme.unwrap_or_default()),
            }),
        }
    }

    /// Where it is, for messages: never a password.
    pub fn describe(&self) -> String {
        match self {
            StoreLocation::Sqlite(path) => path.display().to_string(),
            StoreLocation::Postgres(url) => url.shown().to_owned(),
        }
    }
}

/// What a password is shown as.
const HIDDEN: &str = "***";

/// A PostgreSQL connection URL, checked: the driver reads it, and its
/// `sslmode` is one this build can honour.
#[derive(Clone, PartialEq, Eq)]
pub struct PgUrl {
    given: String,
    shown: String,
}

impl std::fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PgUrl").field(&self.shown).finish()
    }
}

impl PgUrl {
    pub fn parse(given: &str) -> Result<PgUrl, StoreError> {
        let shown = redacted(given);
        let url = PgUrl {
            given: given.to_owned(),
            shown,
        };
        // TLS to PostgreSQL needs a TLS connector for the driver; until
        // then a URL that asks for TLS is refused, never quietly served in
        // clear text (`prefer` means "plain will do", as in libpq).
        if let Some(mode) = url.ssl_mode()
            && matches!(mode.as_str(), "require" | "verify-ca" | "verify-full")
        {
            return Err(StoreError::PgTls {
                location: url.shown.clone(),
                mode,
            });
        }
        url.config()?;
        Ok(url)
    }

    /// The URL with any password replaced: for messages and logs.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The driver's configuration, from the URL as given.
    pub fn config(&self) -> Result<tokio_postgres::Config, StoreError> {
        self.given
            .parse::<tokio_postgres::Config>()
            .map_err(|e| StoreError::BadUrl {
                location: self.shown.clone(),
                error: chain(&e),
            })
    }

    fn ssl_mode(&self) -> Option<String> {
        let url = url::Url::parse(&self.given).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == "sslmode")
            .map(|(_, v)| v.to_ascii_lowercase())
    }
}

/// `given` with its password (in the user part or a `password=` query
/// parameter) replaced; a URL that does not parse shows its scheme only.
fn redacted(given: &str) -> String {
    let scheme = given.split_once("://").map_or("postgres", |(s, _)| s);
    let Ok(mut url) = url::Url::parse(given) else {
        return format!("{scheme}://…");
    };
    if url.password().is_some() && url.set_password(Some(HIDDEN)).is_err() {
        return format!("{scheme}://…");
    }
    if url.query_pairs().any(|(k, _)| k == "password") {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "password" { HIDDEN.into() } else { v };
                (k.into_owned(), v.into_owned())
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_location_is_a_path_or_a_postgres_url() {
        assert_eq!(
            StoreLocation::parse("/srv/gw.db").unwrap(),
            StoreLocation::Sqlite("/srv/gw.db".into())
        );
        assert_eq!(
            StoreLocation::parse("file:///srv/gw.db").unwrap(),
            StoreLocation::Sqlite("/srv/gw.db".into())
        );
        for given in [
            "postgres://gw:hunter2@db/gw",
            "postgresql://gw:hunter2@db:5433/gw?sslmode=prefer",
            "postgres://gw@db/gw?password=hunter2&application_name=x",
        ] {
            let loc = StoreLocation::parse(given).unwrap();
            assert!(matches!(loc, StoreLocation::Postgres(_)), "{given}");
            let shown = loc.describe();
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(!format!("{loc:?}").contains("hunter2"), "{loc:?}");
            assert!(shown.contains("db") && shown.contains("/gw"), "{shown}");
        }
        assert_eq!(
            StoreLocation::parse("postgres://gw:hunter2@db/gw")
                .unwrap()
                .describe(),
            "postgres://gw:***@db/gw"
        );
        let err = StoreLocation::parse("mysql://gw:hunter2@db/gw")
            .err()
            .unwrap();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(err.to_string().contains("mysql://"), "{err}");
    }

    #[test]
    fn a_postgres_url_that_asks_for_tls_or_does_not_parse_is_refused_without_its_password() {
        for mode in ["require", "verify-ca", "verify-full"] {
            let err = StoreLocation::parse(&format!("postgres://gw:hunter2@db/gw?sslmode={mode}"))
                .err()
                .unwrap();
            assert!(matches!(err, StoreError::PgTls { .. }), "{err:?}");
            let s = err.to_string();
            assert!(s.contains(mode) && s.contains("not supported yet"), "{s}");
            assert!(!s.contains("hunter2"), "{s}");
        }
        let err = StoreLocation::parse("postgres://gw:hunter2@db/gw?nonsense=1")
            .err()
            .unwrap();
        assert!(matches!(err, StoreError::BadUrl { .. }), "{err:?}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
