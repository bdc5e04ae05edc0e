//! TLS for a proxy reached over the network (a team gateway): a PEM
//! certificate chain and key, read again when either file changes, so a
//! renewed certificate (certbot, a company CA's rotation) is served
//! without a restart. Reading fails loudly at start; a broken file later
//! keeps the certificate that worked, since a gateway that stops serving
//! over a half-written renewal helps no one.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;

use crate::t;

/// How often the files' times are looked at, at most: a handshake costs
/// two `stat`s then.
const CHECK_EVERY: Duration = Duration::from_secs(2);

/// The certificate or key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{}", t!("serve.tls_read", path = path.display(), error = error))]
    Read { path: PathBuf, error: String },
    #[error("{}", t!("serve.tls_no_cert", path = path.display()))]
    NoCert { path: PathBuf },
    #[error("{}", t!("serve.tls_bad_key", path = path.display(), error = error))]
    BadKey { path: PathBuf, error: String },
}

/// Where the certificate chain and its key are.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    fn modified(&self) -> (Option<SystemTime>, Option<SystemTime>) {
        let time = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        (time(&self.cert), time(&self.key))
    }

    fn load(&self) -> Result<Arc<CertifiedKey>, TlsError> {
        let read = |path: &Path, error: String| TlsError::Read {
            path: path.to_path_buf(),
            error,
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&self.cert)
            .map_err(|e| read(&self.cert, e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| read(&self.cert, e.to_string()))?;
        if certs.is_empty() {
            return Err(TlsError::NoCert {
                path: self.cert.clone(),
            });
        }
        let bad_key = |error: String| TlsError::BadKey {
            path: self.key.clone(),
            error,
        };
        let key = PrivateKeyDer::from_pem_file(&self.key).map_err(|e| bad_key(e.to_string()))?;
        let signer = ring::sign::any_supported_type(&key).map_err(|e| bad_key(e.to_string()))?;
        Ok(Arc::new(CertifiedKey::new(certs, signer)))
    }
}

/// The certificate in use, and when the files were last looked at.
struct Current {
    key: Arc<CertifiedKey>,
    modified: (Option<SystemTime>, Option<SystemTime>),
    checked: Instant,
}

/// Hands each handshake the current certificate, reading the files again
/// once they change.
struct Reloading {
    files: TlsFiles,
    current: Mutex<Current>,
}

impl std::fmt::Debug for Reloading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reloading")
            .field("files", &self.files)
            .finish()
    }
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let mut c = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if c.checked.elapsed() >= CHECK_EVERY {
            c.checked = Instant::now();
            let modified = self.files.modified();
            if modified != c.modified {
                c.modified = modified;
                if let Ok(key) = self.files.load() {
                    c.key = key;
                }
            }
        }
        Some(c.key.clone())
    }
}

/// The acceptor for these files; they are read now, so a wrong path or a
/// key that does not load stops the start with a clear error.
pub fn acceptor(files: TlsFiles) -> Result<TlsAcceptor, TlsError> {
    let modified = files.modified();
    let key = files.load()?;
    let resolver = Reloading {
        files,
        current: Mutex::new(Current {
            key,
            modified,
            checked: Instant::now(),
        }),
    };
    let provider = Arc::new(ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::BadKey {
            path: PathBuf::new(),
            error: e.to_string(),
        })?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver));
    // HTTP/2 and HTTP/1.1, as the plain listener serves both.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
