//! AWS credentials for signing, from the AWS SDK's own default chain
//! (`aws-config`): environment, shared config and credentials files with
//! profiles, the SSO cache, web identity, container and instance metadata,
//! `credential_process`. They are cached and fetched again shortly before
//! they expire, so a long session outlives short-lived credentials without
//! a restart.

use std::time::{Duration, SystemTime};

use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_http_client::tls;
use aws_types::region::Region;
use tokio::sync::{Mutex, OnceCell};

use super::chain::error_chain;

/// The sources the chain tries, in its order, for an error that found none.
pub const SOURCES: &str = "environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), \
    the profile in ~/.aws/config and ~/.aws/credentials (AWS_PROFILE or the provider's aws_profile; \
    its credential_process or SSO login), web identity (AWS_WEB_IDENTITY_TOKEN_FILE), \
    container metadata (AWS_CONTAINER_CREDENTIALS_FULL_URI / _RELATIVE_URI), \
    EC2 instance metadata";

/// Credentials this close to expiring are fetched again before use: a
/// request signed now must still be valid when it arrives. Short-lived
/// ones are fetched again once a quarter of their life is left, so they
/// are still cached in between.
const REFRESH_AHEAD: Duration = Duration::from_secs(5 * 60);

/// Whether credentials fetched at `fetched` should be fetched again at
/// `now`.
fn stale(c: &Credentials, fetched: SystemTime, now: SystemTime) -> bool {
    let Some(expiry) = c.expiry() else {
        return false;
    };
    let life = expiry.duration_since(fetched).unwrap_or_default();
    let ahead = REFRESH_AHEAD.min(life / 4);
    now + ahead >= expiry
}

pub struct AwsCredentials {
    region: String,
    profile: Option<String>,
    chain: OnceCell<DefaultCredentialsChain>,
    /// One fetch at a time; requests that find the credentials stale wait
    /// for it instead of starting more.
    cached: Mutex<Option<(Credentials, SystemTime)>>,
}

impl AwsCredentials {
    pub fn new(region: &str, profile: Option<&str>) -> AwsCredentials {
        AwsCredentials {
            region: region.to_string(),
            profile: profile.map(str::to_string),
            chain: OnceCell::new(),
            cached: Mutex::new(None),
        }
    }

    /// Credentials valid for a while after `now`: the cached ones, or new
    /// ones from the chain. A failed fetch keeps ones that have not expired.
    pub async fn get(&self, now: SystemTime) -> Result<Credentials, String> {
        let mut cached = self.cached.lock().await;
        if let Some((c, fetched)) = cached.as_ref()
            && !stale(c, *fetched, now)
        {
            return Ok(c.clone());
        }
        match self.chain().await.provide_credentials().await {
            Ok(fresh) => {
                *cached = Some((fresh.clone(), now));
                Ok(fresh)
            }
            Err(e) => match cached.as_ref() {
                Some((old, _)) if old.expiry().is_none_or(|x| x > now) => Ok(old.clone()),
                _ => Err(error_chain(&e)),
            },
        }
    }

    /// The chain, built on first use (it reads the profile files).
    async fn chain(&self) -> &DefaultCredentialsChain {
        self.chain
            .get_or_init(|| async {
                // The SDK's HTTP client (for metadata, SSO and STS) on
                // rustls with ring, as the rest of ccswitch.
                let http = aws_smithy_http_client::Builder::new()
                    .tls_provider(tls::Provider::Rustls(
                        tls::rustls_provider::CryptoMode::Ring,
                    ))
                    .build_https();
                let region = Region::new(self.region.clone());
                let conf = ProviderConfig::without_region()
                    .with_http_client(http)
                    .with_region(Some(region.clone()));
                let mut b = DefaultCredentialsChain::builder()
                    .configure(conf)
                    .region(region);
                if let Some(p) = &self.profile {
                    b = b.profile_name(p);
                }
                b.build().await
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetched_again_a_quarter_of_their_life_or_five_minutes_before_expiry() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mk = |secs| Credentials::new("a", "s", None, Some(t0 + Duration::from_secs(secs)), "t");
        let hour = mk(3600);
        assert!(!stale(&hour, t0, t0 + Duration::from_secs(3000)));
        assert!(stale(&hour, t0, t0 + Duration::from_secs(3301)));
        let short = mk(8);
        assert!(!stale(&short, t0, t0 + Duration::from_secs(5)));
        assert!(stale(&short, t0, t0 + Duration::from_secs(6)));
        let forever = Credentials::new("a", "s", None, None, "t");
        assert!(!stale(&forever, t0, t0 + Duration::from_secs(1 << 30)));
    }
}
