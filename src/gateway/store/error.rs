//! What can go wrong with the gateway's store, each said with what to do.

use std::path::PathBuf;

use crate::t;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}", t!("gateway.db_error", path = path.display(), error = source))]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{}", t!("gateway.db_io", path = path.display(), error = source))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `path` is the file, or for PostgreSQL the URL as shown (no
    /// password).
    #[error("{}", t!("gateway.db_newer", path = path.display(), found = found, known = known))]
    Newer {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    /// A file that is not a gateway store: left alone, never migrated or
    /// moved (it may be someone's keys).
    #[error("{}", t!("gateway.db_not_ours", path = path.display()))]
    NotOurs { path: PathBuf },
    #[error("{}", t!("gateway.store_unsupported", location = location))]
    Unsupported { location: String },
    /// The PostgreSQL server or its driver failed. `unreachable`: it did
    /// not answer (down, restarting, a network between), which passes; a
    /// gateway answers 503 meanwhile and reconnects by itself.
    #[error("{}", pg_failed(location, *unreachable, error))]
    Postgres {
        location: String,
        unreachable: bool,
        error: String,
    },
    /// A PostgreSQL database that holds another program's tables.
    #[error("{}", t!("gateway.pg_not_ours", location = location))]
    PgNotOurs { location: String },
    /// `sslrootcert=system` with a mode that does not check host names.
    #[error("{}", t!("gateway.pg_tls", location = location, mode = mode))]
    PgTls { location: String, mode: String },
    /// The URL's `sslrootcert` could not be read or holds no certificate.
    #[error("{}", t!("gateway.pg_root_cert", location = location, path = path, error = error))]
    PgRootCert {
        location: String,
        path: String,
        error: String,
    },
    /// The TLS handshake failed (a certificate that does not verify, or a
    /// server without TLS): an answer, not a server that is down, so it is
    /// never retried as one.
    #[error("{}", t!("gateway.pg_tls_failed", location = location, error = error))]
    PgTlsFailed { location: String, error: String },
    #[error("{}", t!("gateway.pg_bad_url", location = location, error = error))]
    BadUrl { location: String, error: String },
    /// The blocking task that ran the query was lost (it panicked).
    #[error("{}", t!("gateway.db_task", error = error))]
    Task { error: String },
    #[error("{}", t!("gateway.team_exists", name = name))]
    TeamExists { name: String },
    #[error("{}", t!("gateway.member_exists", name = name, team = team))]
    MemberExists { name: String, team: String },
    #[error("{}", unknown_team(name, known))]
    UnknownTeam { name: String, known: Vec<String> },
    #[error("{}", unknown_member(name, known))]
    UnknownMember { name: String, known: Vec<String> },
    #[error("{}", unknown_key(prefix, known))]
    UnknownKey { prefix: String, known: Vec<String> },
    #[error("{}", t!("gateway.bad_name", name = shown(name), why = why))]
    BadName { name: String, why: String },
    #[error("{}", t!("gateway.bad_setting", what = what, value = value))]
    BadSetting { what: &'static str, value: String },
    #[error("{}", t!("gateway.key_revoked", prefix = prefix))]
    Revoked { prefix: String },
    /// Two keys minted with the same display prefix (one in four billion a
    /// pair): the caller mints another.
    #[error("{}", t!("gateway.prefix_taken", prefix = prefix))]
    PrefixTaken { prefix: String },
}

impl StoreError {
    /// The person's mistake (a name that does not exist, or exists
    /// already): exit 2, as for bad arguments. The store failing: 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            StoreError::Sqlite { .. }
            | StoreError::Io { .. }
            | StoreError::Newer { .. }
            | StoreError::NotOurs { .. }
            | StoreError::Task { .. }
            | StoreError::Postgres { .. }
            | StoreError::PgNotOurs { .. }
            | StoreError::PgTlsFailed { .. }
            | StoreError::PrefixTaken { .. } => 1,
            _ => 2,
        }
    }
}

impl StoreError {
    /// The store did not answer at all (as opposed to answering no).
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            StoreError::Postgres {
                unreachable: true,
                ..
            }
        )
    }
}

fn pg_failed(location: &str, unreachable: bool, error: &str) -> String {
    if unreachable {
        t!("gateway.pg_unreachable", location = location, error = error)
    } else {
        t!("gateway.pg_error", location = location, error = error)
    }
}

/// How many known names an error lists before it says how many more.
const LISTED: usize = 10;

fn unknown_team(name: &str, known: &[String]) -> String {
    let (name, quoted) = (shown(name), quoted(name));
    match listed(known) {
        Some(known) => t!(
            "gateway.unknown_team",
            name = name,
            known = known,
            quoted = quoted
        ),
        None => t!("gateway.unknown_team_none", name = name, quoted = quoted),
    }
}

fn unknown_member(name: &str, known: &[String]) -> String {
    let (name, quoted) = (shown(name), quoted(name));
    match listed(known) {
        Some(known) => t!(
            "gateway.unknown_member",
            name = name,
            known = known,
            quoted = quoted
        ),
        None => t!("gateway.unknown_member_none", name = name, quoted = quoted),
    }
}

fn unknown_key(prefix: &str, known: &[String]) -> String {
    let prefix = shown(prefix);
    match listed(known) {
        Some(known) => t!("gateway.unknown_key", prefix = prefix, known = known),
        None => t!("gateway.unknown_key_none", prefix = prefix),
    }
}

/// The names that exist, the first [`LISTED`] of them and a count of the
/// rest; `None` when there are none.
fn listed(known: &[String]) -> Option<String> {
    let shown: Vec<String> = known.iter().take(LISTED).map(|n| shown(n)).collect();
    match known.len() {
        0 => None,
        n if n > LISTED => Some(t!(
            "gateway.known_more",
            names = shown.join(", "),
            more = n - LISTED
        )),
        _ => Some(shown.join(", ")),
    }
}

/// A name as a command to paste takes it: quoted for the shell.
fn quoted(name: &str) -> String {
    shown(&shlex::try_quote(name).map_or_else(|_| name.into(), std::borrow::Cow::into_owned))
}

/// An error and its causes, as one line.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

/// A name as an error shows it: control characters escaped, so a name
/// cannot move the cursor or forge a line of the message.
pub fn shown(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_list_what_exists_and_the_fix() {
        let e = StoreError::UnknownTeam {
            name: "core team".into(),
            known: vec!["infra".into(), "web".into()],
        };
        let s = e.to_string();
        assert!(s.contains("`core team`") && s.contains("infra, web"), "{s}");
        assert!(s.contains("ccswitch gateway team add 'core team'"), "{s}");
        assert_eq!(e.exit_code(), 2);
        let many: Vec<String> = (0..12).map(|i| format!("ccsk_{i:08}")).collect();
        let s = StoreError::UnknownKey {
            prefix: "ccsk_x".into(),
            known: many,
        }
        .to_string();
        assert!(
            s.contains("ccsk_00000009") && !s.contains("ccsk_00000010"),
            "{s}"
        );
        assert!(s.contains('2'), "{s}");
        let s = StoreError::UnknownMember {
            name: "a\nb".into(),
            known: vec![],
        }
        .to_string();
        assert!(!s.contains('\n') && s.contains("a\\nb"), "{s}");
    }
}
