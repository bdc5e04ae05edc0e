//! Google access tokens for Vertex, from Application Default Credentials
//! through Google's own `google-cloud-auth`: a service-account key or a
//! workload identity (external_account) file in
//! GOOGLE_APPLICATION_CREDENTIALS, gcloud's user login (the
//! application_default_credentials.json it writes), else the metadata
//! server. The crate caches each token and fetches the next one in the
//! background before it expires, so a long session needs no restart.

use google_cloud_auth::credentials::{AccessTokenCredentials, Builder};
use tokio::sync::OnceCell;

use super::chain::error_chain;

/// The sources ADC tries, in its order, for an error that found none.
pub const SOURCES: &str = "GOOGLE_APPLICATION_CREDENTIALS (a service-account key, \
    workload identity or authorized-user file), gcloud's application-default login \
    (~/.config/gcloud/application_default_credentials.json), \
    the metadata server (GCE_METADATA_HOST, or metadata.google.internal)";

/// The only scope Vertex needs.
const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

#[derive(Default)]
pub struct GoogleCredentials {
    /// Set once ADC finds a source; a failure is not kept, so a key file
    /// or login fixed mid-session is found on the next request.
    creds: OnceCell<AccessTokenCredentials>,
}

impl GoogleCredentials {
    /// A bearer token for Vertex: the cached one, or a new one.
    pub async fn token(&self) -> Result<String, String> {
        let creds = self.creds.get_or_try_init(|| async { build() }).await?;
        creds
            .access_token()
            .await
            .map(|t| t.token)
            .map_err(|e| error_chain(&e))
    }
}

/// The credentials ADC finds, built on first use: the crate starts its
/// refresh task then, which needs the runtime.
fn build() -> Result<AccessTokenCredentials, String> {
    // google-cloud-auth is built without its aws-lc-rs default; it signs
    // service-account JWTs with rustls's process-wide provider, ring here
    // as everywhere else in ccswitch. Already installed is fine.
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    Builder::default()
        .with_scopes([SCOPE])
        .build_access_token_credentials()
        .map_err(|e| error_chain(&e))
}
