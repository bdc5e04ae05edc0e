//! TLS to PostgreSQL with libpq's `sslmode` meanings, on rustls (ring).
//!
//! tokio-postgres only knows `disable`/`prefer`/`require`: whether to
//! speak TLS. What is checked of the server's certificate is decided here,
//! by the verifier the connector gets:
//! - `verify-full`: the chain (to `sslrootcert`, else the OS's roots) and
//!   the host name;
//! - `verify-ca`, and `prefer`/`require` given an `sslrootcert` (as libpq):
//!   the chain only;
//! - `prefer`/`require` without one: nothing but the handshake's
//!   signatures (libpq's behaviour: it keeps eavesdroppers out, not an
//!   impostor).

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::gateway::store::error::StoreError;
use crate::gateway::store::location::{PgRootCert, PgSslMode, PgTlsConfig};

/// The connector for `tls`; a root certificate that cannot be used is an
/// error now, at startup, naming the file. `shown` names the database.
pub(super) fn connector(tls: &PgTlsConfig, shown: &str) -> Result<MakeRustlsConnect, StoreError> {
    let provider = Arc::new(ring::default_provider());
    let root_failed = |path: &str, error: String| StoreError::PgRootCert {
        location: shown.to_owned(),
        path: path.to_owned(),
        error,
    };
    let verifier: Arc<dyn ServerCertVerifier> = match (tls.mode, &tls.root) {
        (PgSslMode::Disable | PgSslMode::Prefer | PgSslMode::Require, None) => {
            Arc::new(Unverified(provider.clone()))
        }
        (mode, root) => {
            let roots = roots(root.as_ref()).map_err(|(path, e)| root_failed(&path, e))?;
            let path = root.as_ref().map_or("system", describe_root);
            let chain =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| root_failed(path, e.to_string()))?;
            if mode == PgSslMode::VerifyFull {
                chain
            } else {
                Arc::new(AnyName(chain))
            }
        }
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::PgTlsFailed {
            location: shown.to_owned(),
            error: e.to_string(),
        })?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

fn describe_root(root: &PgRootCert) -> &str {
    match root {
        PgRootCert::System => "system",
        PgRootCert::File(p) => p.to_str().unwrap_or("?"),
    }
}

/// The trust anchors: the file's certificates, or the OS's (for
/// `sslrootcert=system` and for a verifying mode given none). On failure,
/// what was read and why.
fn roots(root: Option<&PgRootCert>) -> Result<RootCertStore, (String, String)> {
    let mut store = RootCertStore::empty();
    let Some(PgRootCert::File(path)) = root else {
        let native = rustls_native_certs::load_native_certs();
        let (added, _) = store.add_parsable_certificates(native.certs);
        if added == 0 {
            let why = native
                .errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>();
            return Err((
                "system".into(),
                format!(
                    "{}the system has no trusted root certificate ({})",
                    if root.is_none() {
                        "none is given, and "
                    } else {
                        ""
                    },
                    why.join("; ")
                ),
            ));
        }
        return Ok(store);
    };
    let shown = path.display().to_string();
    let pem = std::fs::read(path).map_err(|e| (shown.clone(), e.to_string()))?;
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert =
            cert.map_err(|e| (shown.clone(), format!("not a PEM certificate file ({e})")))?;
        store
            .add(cert)
            .map_err(|e| (shown.clone(), e.to_string()))?;
    }
    if store.is_empty() {
        return Err((shown, "it holds no PEM certificate".into()));
    }
    Ok(store)
}

/// `verify-ca`: the chain must verify, the name in it need not match.
/// rustls checks the name after the chain, so a name mismatch means the
/// chain itself was good.
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `require` (and `prefer`) without `sslrootcert`: libpq accepts any
/// certificate then, and so do we; README says this stops eavesdropping
/// only. The handshake's signatures are still checked against the
/// certificate's key, so the session's keys come from whoever holds it.
#[derive(Debug)]
struct Unverified(Arc<CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
