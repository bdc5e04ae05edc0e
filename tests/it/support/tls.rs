//! TLS for upstream tests: a private CA (rcgen) with a server certificate
//! for 127.0.0.1 and localhost, and a TLS front on 127.0.0.1 that terminates
//! TLS and forwards the plain bytes to another address (a `Mock`).
//! Uses rustls with the ring provider, as reqwest in the crate does.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types};

/// A CA and one server certificate it signed.
pub struct TestCa {
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// The server certificate followed by the CA.
    chain: Vec<pki_types::CertificateDer<'static>>,
    key: Vec<u8>,
    /// The server certificate then the CA, PEM; and the key, PEM.
    chain_pem: String,
    key_pem: String,
}

impl TestCa {
    /// A fresh CA and a server certificate for `names` (IP addresses become
    /// IP SANs, the rest DNS SANs).
    pub fn new(names: &[&str]) -> TestCa {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "ccswitch test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);

        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(std::string::ToString::to_string).collect();
        let mut leaf = CertificateParams::new(names).unwrap();
        leaf.distinguished_name
            .push(DnType::CommonName, "ccswitch test upstream");
        let leaf_cert = leaf.signed_by(&key, &issuer).unwrap();
        TestCa {
            ca_pem: ca_cert.pem(),
            chain: vec![leaf_cert.der().clone(), ca_cert.der().clone()],
            key: key.serialize_der(),
            chain_pem: format!("{}{}", leaf_cert.pem(), ca_cert.pem()),
            key_pem: key.serialize_pem(),
        }
    }

    /// Write the server's certificate chain and key as PEM files into
    /// `dir` (over any there): their paths.
    pub fn write_server(&self, dir: &Path) -> (PathBuf, PathBuf) {
        let (cert, key) = (dir.join("server.pem"), dir.join("server-key.pem"));
        std::fs::write(&cert, &self.chain_pem).unwrap();
        std::fs::write(&key, &self.key_pem).unwrap();
        (cert, key)
    }

    /// The server's certificate chain and its key, PEM (for a server that
    /// reads them itself, as PostgreSQL does).
    pub fn server_pems(&self) -> (&str, &str) {
        (&self.chain_pem, &self.key_pem)
    }

    /// Write the CA certificate as PEM into `dir`; the file's path.
    pub fn write_ca(&self, dir: &Path) -> PathBuf {
        let path = dir.join("test-ca.pem");
        std::fs::write(&path, &self.ca_pem).unwrap();
        path
    }

    fn server_config(&self) -> rustls::ServerConfig {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = pki_types::PrivateKeyDer::Pkcs8(self.key.clone().into());
        let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), key)
            .unwrap();
        // What real providers offer; the Mock behind speaks both.
        cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        cfg
    }
}

/// One TLS handshake as the front saw it.
#[derive(Clone, Debug)]
pub enum Handshake {
    Done {
        sni: Option<String>,
        alpn: Option<String>,
    },
    Failed(String),
}

/// Terminates TLS on 127.0.0.1 and forwards the bytes to `target`.
#[derive(Clone)]
pub struct TlsFront {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Handshake>>>,
}

impl TlsFront {
    /// Start on a free port, on the current tokio runtime.
    pub async fn start(ca: &TestCa, target: SocketAddr) -> TlsFront {
        let acceptor = TlsAcceptor::from(Arc::new(ca.server_config()));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let seen = s.clone();
                tokio::spawn(async move {
                    let shake =
                        tokio::time::timeout(Duration::from_secs(5), acceptor.accept(stream)).await;
                    let mut tls = match shake {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(e)) => {
                            seen.lock().unwrap().push(Handshake::Failed(e.to_string()));
                            return;
                        }
                        Err(_) => {
                            seen.lock()
                                .unwrap()
                                .push(Handshake::Failed("handshake timed out".into()));
                            return;
                        }
                    };
                    let conn = tls.get_ref().1;
                    seen.lock().unwrap().push(Handshake::Done {
                        sni: conn.server_name().map(str::to_string),
                        alpn: conn
                            .alpn_protocol()
                            .map(|p| String::from_utf8_lossy(p).into_owned()),
                    });
                    if let Ok(mut plain) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                    }
                });
            }
        });
        TlsFront { addr, seen }
    }

    /// `https://HOST:PORT{path}`.
    pub fn url(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.addr.port())
    }

    pub fn handshakes(&self) -> Vec<Handshake> {
        self.seen.lock().unwrap().clone()
    }
}
