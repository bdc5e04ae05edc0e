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

/// A PostgreSQL connection URL, checked: the driver reads it, and its TLS
/// settings are ones this build honours.
#[derive(Clone, PartialEq, Eq)]
pub struct PgUrl {
    /// The URL for the driver: `sslrootcert` taken out and the verifying
    /// `sslmode`s said as `require`, since tokio-postgres knows neither
    /// (the verification is ours, in the TLS connector).
    given: String,
    shown: String,
    tls: PgTlsConfig,
}

/// What the URL asks of TLS, with libpq's meanings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgTlsConfig {
    pub mode: PgSslMode,
    pub root: Option<PgRootCert>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PgSslMode {
    Disable,
    /// TLS if the server offers it, else plain (libpq's default).
    Prefer,
    /// TLS; the certificate checked only against a given `sslrootcert`.
    Require,
    /// TLS, the chain checked, not the host name.
    VerifyCa,
    /// TLS, the chain and the host name checked.
    VerifyFull,
}

/// Whom the server's certificate must chain to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PgRootCert {
    /// `sslrootcert=system`: the OS's trusted roots.
    System,
    /// A PEM file of CA certificates.
    File(PathBuf),
}

impl std::fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PgUrl").field(&self.shown).finish()
    }
}

impl PgUrl {
    pub fn parse(given: &str) -> Result<PgUrl, StoreError> {
        let shown = redacted(given);
        let tls = tls_of(given, &shown)?;
        let url = PgUrl {
            given: for_driver(given),
            shown,
            tls,
        };
        url.config()?;
        Ok(url)
    }

    /// The URL with any password replaced: for messages and logs.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    pub fn tls(&self) -> &PgTlsConfig {
        &self.tls
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
}

/// The URL's `sslmode` and `sslrootcert`. Like libpq, `sslrootcert=system`
/// is refused with a mode that would not check the host name: the OS
/// trusts every public CA, so any site's certificate would pass.
fn tls_of(given: &str, shown: &str) -> Result<PgTlsConfig, StoreError> {
    let Ok(url) = url::Url::parse(given) else {
        // The driver says what is wrong with it.
        return Ok(PgTlsConfig {
            mode: PgSslMode::Prefer,
            root: None,
        });
    };
    let param = |name: &str| {
        url.query_pairs()
            .filter(|(k, _)| k == name)
            .last()
            .map(|(_, v)| v.into_owned())
    };
    let mode = match param("sslmode").map(|m| m.to_ascii_lowercase()).as_deref() {
        Some("verify-full") => PgSslMode::VerifyFull,
        Some("verify-ca") => PgSslMode::VerifyCa,
        Some("require") => PgSslMode::Require,
        Some("disable") => PgSslMode::Disable,
        // `prefer`, none, or one the driver will refuse by name.
        _ => PgSslMode::Prefer,
    };
    let root = param("sslrootcert").map(|r| match r.as_str() {
        "system" => PgRootCert::System,
        path => PgRootCert::File(PathBuf::from(path)),
    });
    if root == Some(PgRootCert::System) && mode != PgSslMode::VerifyFull {
        return Err(StoreError::PgTls {
            location: shown.to_owned(),
            mode: param("sslmode").unwrap_or_else(|| "prefer".into()),
        });
    }
    Ok(PgTlsConfig { mode, root })
}

/// `given` as tokio-postgres takes it. The query is edited as text, pair
/// by pair, so the other parameters keep their exact encoding (a
/// re-serialized query would turn `%20` into `+`, which the driver reads
/// as a plus).
fn for_driver(given: &str) -> String {
    let Some((base, query)) = given.split_once('?') else {
        return given.to_owned();
    };
    let pairs: Vec<&str> = query
        .split('&')
        .filter(|p| !p.starts_with("sslrootcert="))
        .map(|p| match p.split_once('=') {
            Some(("sslmode", m))
                if m.eq_ignore_ascii_case("verify-ca") || m.eq_ignore_ascii_case("verify-full") =>
            {
                "sslmode=require"
            }
            _ => p,
        })
        .collect();
    if pairs.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", pairs.join("&"))
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

    fn tls_of_url(given: &str) -> (PgTlsConfig, String) {
        match StoreLocation::parse(given).unwrap() {
            StoreLocation::Postgres(url) => (url.tls().clone(), url.given.clone()),
            StoreLocation::Sqlite(_) => unreachable!(),
        }
    }

    #[test]
    fn sslmode_and_sslrootcert_are_read_and_kept_from_the_driver() {
        let (tls, driver) = tls_of_url(
            "postgres://gw:hunter2@db/gw?sslmode=verify-full&sslrootcert=%2Fetc%2Fca%20x.pem&options=-c%20a%3Db",
        );
        assert_eq!(tls.mode, PgSslMode::VerifyFull);
        assert_eq!(tls.root, Some(PgRootCert::File("/etc/ca x.pem".into())));
        assert_eq!(
            driver,
            "postgres://gw:hunter2@db/gw?sslmode=require&options=-c%20a%3Db"
        );
        let (tls, driver) =
            tls_of_url("postgres://gw@db/gw?sslmode=verify-full&sslrootcert=system");
        assert!(tls.mode == PgSslMode::VerifyFull && tls.root == Some(PgRootCert::System));
        assert_eq!(driver, "postgres://gw@db/gw?sslmode=require");
        let (tls, _) = tls_of_url("postgres://gw@db/gw");
        assert_eq!((tls.mode, tls.root), (PgSslMode::Prefer, None));
        let (tls, driver) = tls_of_url("postgres://gw@db/gw?sslmode=disable");
        assert_eq!(tls.mode, PgSslMode::Disable);
        assert_eq!(driver, "postgres://gw@db/gw?sslmode=disable");
    }

    #[test]
    fn a_postgres_url_that_trusts_the_system_without_checking_names_or_does_not_parse_is_refused() {
        for mode in ["require", "prefer"] {
            let err = StoreLocation::parse(&format!(
                "postgres://gw:hunter2@db/gw?sslmode={mode}&sslrootcert=system"
            ))
            .err()
            .unwrap();
            assert!(matches!(err, StoreError::PgTls { .. }), "{err:?}");
            let s = err.to_string();
            assert!(s.contains(mode) && s.contains("verify-full"), "{s}");
            assert!(!s.contains("hunter2"), "{s}");
        }
        let err = StoreLocation::parse("postgres://gw:hunter2@db/gw?nonsense=1")
            .err()
            .unwrap();
        assert!(matches!(err, StoreError::BadUrl { .. }), "{err:?}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
