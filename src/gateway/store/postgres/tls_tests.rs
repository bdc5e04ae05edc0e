//! TLS to a real PostgreSQL server with `ssl = on` and a certificate from
//! a private CA (rcgen), for `db.test` only: reached as `db.test` (with
//! `hostaddr=127.0.0.1`) its name matches, reached as `127.0.0.1` it does
//! not.

// The test server runs under a Unix shell; CI runs the tests on Linux.
#![cfg(unix)]

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

use super::testdb::{self, PASSWORD, PgServer};
use crate::gateway::store::{Store, StoreError, StoreLocation};

/// A CA's certificate (PEM) and a server certificate chain and key it
/// signed for `names`.
struct Pki {
    ca_pem: String,
    chain_pem: String,
    key_pem: String,
}

fn pki(ca_name: &str, names: &[&str]) -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, ca_name);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(ToString::to_string).collect();
    let leaf = CertificateParams::new(names).unwrap();
    let leaf_cert = leaf.signed_by(&key, &issuer).unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        chain_pem: format!("{}{}", leaf_cert.pem(), ca_cert.pem()),
        key_pem: key.serialize_pem(),
    }
}

struct TlsServer {
    server: PgServer,
    /// The CA that signed the server's certificate, and one that did not.
    ca: std::path::PathBuf,
    other_ca: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

fn tls_server() -> &'static TlsServer {
    static SERVER: OnceLock<TlsServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let pki = pki("ccswitch test PostgreSQL CA", &["db.test"]);
        let dir = tempfile::tempdir().unwrap();
        let (ca, other_ca) = (dir.path().join("ca.pem"), dir.path().join("other-ca.pem"));
        std::fs::write(&ca, &pki.ca_pem).unwrap();
        std::fs::write(&other_ca, self::pki("another CA", &["db.test"]).ca_pem).unwrap();
        TlsServer {
            server: PgServer::start_tls(&pki.chain_pem, &pki.key_pem),
            ca,
            other_ca,
            _dir: dir,
        }
    })
}

/// A fresh database on the TLS server, reached as `host` (`db.test` goes
/// to 127.0.0.1), with `params` added: its URL and name.
fn tls_url(host: &str, params: &str) -> (String, String) {
    let s = tls_server();
    let plain = s.server.fresh_db();
    let db = plain.rsplit('/').next().unwrap().to_owned();
    let hostaddr = if host == "db.test" {
        "&hostaddr=127.0.0.1"
    } else {
        ""
    };
    let url = format!(
        "postgres://{}:{PASSWORD}@{host}:{}/{db}?{params}{hostaddr}",
        testdb::USER,
        s.server.port
    );
    (url, db)
}

async fn open(url: &str) -> Result<Store, StoreError> {
    Store::open(&StoreLocation::parse(url).unwrap(), UNIX_EPOCH).await
}

/// Whether the store's sessions in `db` are encrypted, as the server sees
/// them (`t`, `f`, one a session).
fn server_sees_ssl(db: &str) -> String {
    tls_server().server.sql(
        db,
        "SELECT DISTINCT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
         WHERE a.application_name = 'ccswitch-gateway' AND a.datname = current_database()",
    )
}

/// A TLS failure: said as one, at once (never an "unreachable" server
/// retried for the call's bound), and without the password.
fn assert_tls_failed(r: Result<Store, StoreError>, t0: Instant, says: &str) {
    let err = r.err().expect("the connection must be refused");
    assert!(matches!(err, StoreError::PgTlsFailed { .. }), "{err:?}");
    assert!(!err.is_unreachable(), "{err:?}");
    let s = err.to_string();
    assert!(s.contains(says) && !s.contains(PASSWORD), "{s}");
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
}

#[tokio::test]
async fn verify_full_with_the_right_ca_and_name_connects_encrypted() {
    let ca = tls_server().ca.display().to_string();
    let (url, db) = tls_url("db.test", &format!("sslmode=verify-full&sslrootcert={ca}"));
    let store = open(&url).await.unwrap();
    store.add_team("core", SystemTime::now()).await.unwrap();
    assert_eq!(store.teams().await.unwrap().len(), 1);
    assert_eq!(server_sees_ssl(&db), "t");
}

#[tokio::test]
async fn verify_full_refuses_a_certificate_for_another_name() {
    let ca = tls_server().ca.display().to_string();
    let (url, _) = tls_url(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    assert_tls_failed(open(&url).await, Instant::now(), "not valid for name");
}

#[tokio::test]
async fn verify_ca_checks_the_chain_but_not_the_name() {
    let s = tls_server();
    let (url, db) = tls_url(
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={}", s.ca.display()),
    );
    let store = open(&url).await.unwrap();
    store.add_team("core", SystemTime::now()).await.unwrap();
    assert_eq!(server_sees_ssl(&db), "t");
    let (url, _) = tls_url(
        "db.test",
        &format!("sslmode=verify-ca&sslrootcert={}", s.other_ca.display()),
    );
    assert_tls_failed(open(&url).await, Instant::now(), "UnknownIssuer");
}

#[tokio::test]
async fn require_without_a_root_encrypts_and_prefer_and_disable_still_work() {
    for (params, ssl) in [
        ("sslmode=require", "t"),
        ("sslmode=prefer", "t"),
        ("", "t"),
        ("sslmode=disable", "f"),
    ] {
        let (url, db) = tls_url("127.0.0.1", params);
        let store = open(&url).await.unwrap();
        store.add_team("core", SystemTime::now()).await.unwrap();
        assert_eq!(server_sees_ssl(&db), ssl, "{params}");
    }
    // `require` given a root checks the chain, as in libpq.
    let other = tls_server().other_ca.display().to_string();
    let (url, _) = tls_url("127.0.0.1", &format!("sslmode=require&sslrootcert={other}"));
    assert_tls_failed(open(&url).await, Instant::now(), "UnknownIssuer");
}

#[tokio::test]
async fn require_against_a_server_without_tls_fails_clearly() {
    let url = format!("{}?sslmode=require", testdb::fresh_db());
    assert_tls_failed(open(&url).await, Instant::now(), "does not support TLS");
}

#[tokio::test]
async fn an_unusable_sslrootcert_is_named_with_the_fix_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("not-a-cert.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let missing = dir.path().join("missing.pem");
    for path in [&missing, &not_pem] {
        // Port 9: nothing is asked of any server.
        let url = format!(
            "postgres://gw:{PASSWORD}@127.0.0.1:9/gw?sslmode=verify-full&sslrootcert={}",
            path.display()
        );
        let err = open(&url).await.err().unwrap();
        assert!(matches!(err, StoreError::PgRootCert { .. }), "{err:?}");
        let s = err.to_string();
        assert!(s.contains(&path.display().to_string()), "{s}");
        assert!(s.contains("PEM file") && !s.contains(PASSWORD), "{s}");
    }
}
