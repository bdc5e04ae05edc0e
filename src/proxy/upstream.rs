//! The upstream side: one pooled HTTP client per provider (its proxy and CA
//! applied), URL joining and auth headers.

use std::time::Duration;

use http::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use super::StartError;
use crate::config::{AuthStyle, Provider};

pub struct Upstream {
    pub provider: Provider,
    key: Option<SecretString>,
    pub client: reqwest::Client,
}

impl Upstream {
    pub fn new(provider: Provider, key: Option<SecretString>) -> Result<Upstream, StartError> {
        let t = provider.timeouts;
        let mut b = reqwest::Client::builder()
            .connect_timeout(t.connect)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .user_agent(concat!("ccswitch/", env!("CARGO_PKG_VERSION")));
        if let Some(proxy) = &provider.proxy {
            let p = reqwest::Proxy::all(proxy.as_str()).map_err(|e| StartError::Proxy {
                provider: provider.name.clone(),
                error: e.to_string(),
            })?;
            b = b.proxy(p);
        } else if provider.local || is_loopback(&provider) {
            // A corporate HTTPS_PROXY must never capture a local server.
            b = b.no_proxy();
        }
        if let Some(path) = &provider.ca_file {
            let pem = std::fs::read(path).map_err(|e| StartError::Ca {
                path: path.clone(),
                error: e.to_string(),
            })?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| StartError::Ca {
                    path: path.clone(),
                    error: e.to_string(),
                })?;
            if certs.is_empty() {
                return Err(StartError::Ca {
                    path: path.clone(),
                    error: "no PEM certificate in the file".into(),
                });
            }
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        let client = b.build().map_err(|e| StartError::Client(e.to_string()))?;
        Ok(Upstream {
            provider,
            key,
            client,
        })
    }

    /// `base_url` + `path`, without doubling or losing a slash.
    pub fn url(&self, path: &str) -> String {
        let base = self
            .provider
            .base_url
            .as_ref()
            .map_or("", |u| u.as_str())
            .trim_end_matches('/');
        format!("{base}{path}")
    }

    /// A POST with the provider's auth and extra headers.
    pub fn post(&self, url: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, url)
    }

    /// A GET with the provider's auth and extra headers.
    pub fn get(&self, url: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::GET, url)
    }

    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let mut rb = self.client.request(method, url);
        if let Some(key) = &self.key {
            let k = key.expose_secret();
            rb = match self.provider.auth {
                AuthStyle::Bearer => rb.bearer_auth(k),
                AuthStyle::XApiKey => rb.header("x-api-key", k),
                AuthStyle::ApiKey => rb.header("api-key", k),
                AuthStyle::None => rb,
            };
        }
        for (k, v) in &self.provider.headers {
            if let Ok(v) = HeaderValue::from_str(v) {
                rb = rb.header(k.as_str(), v);
            }
        }
        rb
    }
}

fn is_loopback(p: &Provider) -> bool {
    p.base_url
        .as_ref()
        .and_then(|u| u.host())
        .is_some_and(|h| match h {
            url::Host::Domain(d) => d == "localhost",
            url::Host::Ipv4(ip) => ip.is_loopback(),
            url::Host::Ipv6(ip) => ip.is_loopback(),
        })
}
