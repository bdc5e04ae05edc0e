//! One upstream: a pooled HTTP client per provider (its proxy and CA
//! applied), URL joining, auth headers and the hot-path POST.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use http_body_util::Full;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use reqwest::{IntoUrl, Url};
use secrecy::{ExposeSecret, SecretString};

use super::refresh::auth_header;
use super::reply::{Reply, SendError};
use crate::config::{AuthStyle, Provider, Quirks};
use crate::t;

/// Why a provider's client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{}", t!("proxy.bad_proxy", provider = provider, error = error))]
    Proxy { provider: String, error: String },
    #[error("{}", t!("proxy.bad_ca", path = path.display(), error = error))]
    Ca { path: PathBuf, error: String },
    #[error("{}", t!("proxy.client", error = .0))]
    Client(String),
}

type Lean = HyperClient<HttpConnector, Full<Bytes>>;

/// Where a pool's key rotations are logged (the proxy's log line sink).
pub type KeyLog = Arc<dyn Fn(&str) + Send + Sync>;

const USER_AGENT: &str = concat!("ccswitch/", env!("CARGO_PKG_VERSION"));

pub struct Upstream {
    pub provider: Provider,
    /// The provider's quirks, shared with the streams that read them.
    pub quirks: Arc<Quirks>,
    /// The same for its models the config marks `vision = false`: they get
    /// a notice in an image's place, whatever the endpoint accepts.
    pub text_only: Arc<Quirks>,
    /// For everything but the hot path, and for the hot path of upstreams
    /// that need TLS or a proxy.
    pub client: reqwest::Client,
    /// A bare hyper client for local plain-HTTP upstreams (Ollama, LM
    /// Studio, vLLM, a LiteLLM on this machine): no proxy or TLS applies
    /// there, and reqwest's per-request layers (redirect bookkeeping that
    /// re-parses the URL, connector clones) were a fifth of the proxy's
    /// own CPU time under load.
    lean: Option<Lean>,
    /// Header names the provider's config sets.
    configured: Vec<HeaderName>,
    /// Auth (the key marked sensitive) and the provider's extra headers,
    /// built once: formatting and validating them per request showed up in
    /// profiles.
    headers: HeaderMap,
    /// The two hot endpoints, parsed once for the same reason.
    pub chat_url: Option<Url>,
    pub messages_url: Option<Url>,
    /// A key pool: the auth header's name and, after the provider's own key
    /// (in `headers`), a value per extra key.
    auth_name: Option<HeaderName>,
    pool: Vec<HeaderValue>,
    keys: std::sync::Mutex<KeyState>,
    /// Where key rotations are logged (the proxy's log).
    pub log: Option<KeyLog>,
    /// The provider's own key, when it is a command's with a TTL.
    pub refresh: Option<super::refresh::Refresh>,
    /// The key is a ccswitch team gateway's virtual key (`ccsk_…`): the
    /// gateway is told the session's project, no other provider is.
    pub ccswitch_gateway: bool,
}

/// Which key of the pool is in use, and until when each is cooling down.
#[derive(Debug, Default)]
struct KeyState {
    current: usize,
    until: Vec<Option<std::time::Instant>>,
}

impl KeyState {
    fn cooling(&self, i: usize, now: std::time::Instant) -> bool {
        self.until
            .get(i)
            .copied()
            .flatten()
            .is_some_and(|t| now < t)
    }

    /// The first key from `current` on (cyclically) that is not cooling.
    fn usable(&self, n: usize, now: std::time::Instant) -> Option<usize> {
        (0..n)
            .map(|k| (self.current + k) % n)
            .find(|&i| !self.cooling(i, now))
    }
}

impl Upstream {
    /// The key as sent (the values of the sensitive headers, without a
    /// `Bearer ` prefix): for the audit log to redact.
    pub fn secret_values(&self) -> Vec<String> {
        self.headers
            .values()
            .chain(&self.pool)
            .filter(|v| v.is_sensitive())
            .filter_map(|v| v.to_str().ok())
            .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).to_string())
            .collect()
    }

    pub fn new(provider: Provider, key: Option<SecretString>) -> Result<Upstream, ClientError> {
        let t = provider.timeouts;
        let mut b = reqwest::Client::builder()
            .connect_timeout(t.connect)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            // An API never redirects a POST on purpose (following one would
            // turn it into a GET), and the redirect layer parsed every
            // request's URL again.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(USER_AGENT);
        if let Some(proxy) = &provider.proxy {
            let p = reqwest::Proxy::all(proxy.as_str()).map_err(|e| ClientError::Proxy {
                provider: provider.name.clone(),
                error: e.to_string(),
            })?;
            b = b.proxy(p);
        } else if provider.local || is_loopback(&provider) {
            // A corporate HTTPS_PROXY must never capture a local server.
            b = b.no_proxy();
        }
        if let Some(path) = &provider.ca_file {
            let pem = std::fs::read(path).map_err(|e| ClientError::Ca {
                path: path.clone(),
                error: e.to_string(),
            })?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ClientError::Ca {
                    path: path.clone(),
                    error: e.to_string(),
                })?;
            if certs.is_empty() {
                return Err(ClientError::Ca {
                    path: path.clone(),
                    error: "no PEM certificate in the file".into(),
                });
            }
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        let lean = lean_client(&provider);
        if lean.is_some() {
            // A local plain-HTTP upstream never speaks TLS (and redirects are
            // off), so the system's root store is not loaded for it: reading
            // and parsing it took 3-6 ms of every start (47 ms with a cold
            // disk) and 0.7 MiB of RSS.
            b = b.tls_built_in_root_certs(false);
        }
        let client = b.build().map_err(|e| ClientError::Client(e.to_string()))?;
        let mut headers = HeaderMap::new();
        // What reqwest would add; the lean client adds nothing itself.
        headers.insert(
            http::header::USER_AGENT,
            HeaderValue::from_static(USER_AGENT),
        );
        headers.insert(http::header::ACCEPT, HeaderValue::from_static("*/*"));
        if let Some(key) = &key {
            let k = key.expose_secret();
            let (name, value) = match provider.auth {
                AuthStyle::Bearer => ("authorization", format!("Bearer {k}")),
                AuthStyle::XApiKey => ("x-api-key", k.to_string()),
                AuthStyle::ApiKey => ("api-key", k.to_string()),
                AuthStyle::None => ("", String::new()),
            };
            if !name.is_empty() {
                headers.insert(
                    HeaderName::from_static(name),
                    auth_value(&provider, &value)?,
                );
            }
        }
        let mut configured = Vec::new();
        for (k, v) in &provider.headers {
            if let (Ok(k), Ok(v)) = (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(v),
            ) {
                configured.push(k.clone());
                headers.insert(k, v);
            }
        }
        let ccswitch_gateway = key
            .as_ref()
            .is_some_and(|k| k.expose_secret().starts_with(crate::gateway::keys::SCHEME));
        let mut up = Upstream {
            quirks: Arc::new(provider.quirks.clone()),
            text_only: Arc::new(Quirks {
                images: false,
                ..provider.quirks.clone()
            }),
            provider,
            client,
            lean,
            configured,
            headers,
            chat_url: None,
            messages_url: None,
            auth_name: None,
            pool: Vec::new(),
            keys: std::sync::Mutex::new(KeyState::default()),
            log: None,
            refresh: None,
            ccswitch_gateway,
        };
        up.chat_url = Url::parse(&up.url("/chat/completions")).ok();
        up.messages_url = Url::parse(&up.url("/v1/messages")).ok();
        Ok(up)
    }

    /// Have the provider's own key fetched again by `command` once it is
    /// `ttl` old, and on a 401 (see `refresh`).
    pub fn with_refresh(mut self, command: &str, ttl: std::time::Duration) -> Upstream {
        let Some((name, prefix)) = auth_header(self.provider.auth) else {
            return self;
        };
        if let Some(now) = self.headers.get(name).cloned() {
            let name = self.provider.name.clone();
            self.refresh = Some(super::refresh::Refresh::new(
                &name, command, ttl, prefix, now,
            ));
        }
        self
    }

    /// Add a key pool: these keys after the provider's own, in order.
    pub fn with_pool(mut self, extra: &[SecretString]) -> Result<Upstream, ClientError> {
        let Some((name, prefix)) = auth_header(self.provider.auth) else {
            return Ok(self);
        };
        for k in extra {
            let value = format!("{prefix}{}", k.expose_secret());
            self.pool.push(auth_value(&self.provider, &value)?);
        }
        self.auth_name = Some(HeaderName::from_static(name));
        self.keys = std::sync::Mutex::new(KeyState {
            current: 0,
            until: vec![None; 1 + self.pool.len()],
        });
        Ok(self)
    }

    /// How many keys the pool has (1 without one).
    pub fn pool_size(&self) -> usize {
        1 + self.pool.len()
    }

    fn key_state(&self) -> std::sync::MutexGuard<'_, KeyState> {
        self.keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The key a request should use now: the current one, or the next that
    /// is not cooling down (every key cooling: the current one).
    pub fn pick_key(&self, now: std::time::Instant) -> usize {
        let n = self.pool_size();
        if n == 1 {
            return 0;
        }
        let mut st = self.key_state();
        if let Some(i) = st.usable(n, now) {
            st.current = i;
        }
        st.current
    }

    /// Key `i` was rate-limited: it cools down until `until`. The key to
    /// try next, if one is not cooling.
    pub fn cool(
        &self,
        i: usize,
        until: std::time::Instant,
        now: std::time::Instant,
    ) -> Option<usize> {
        let n = self.pool_size();
        let mut st = self.key_state();
        if let Some(slot) = st.until.get_mut(i) {
            *slot = Some(until);
        }
        let next = st.usable(n, now)?;
        st.current = next;
        Some(next)
    }

    /// Key `i` rests until `until` (or longer, if it rests longer already):
    /// requests pick another while one is not resting.
    pub fn rest(&self, i: usize, until: std::time::Instant) {
        let mut st = self.key_state();
        if let Some(slot) = st.until.get_mut(i) {
            *slot = Some(slot.map_or(until, |t| t.max(until)));
        }
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

    /// A GET with the provider's auth and extra headers.
    pub fn get(&self, url: impl IntoUrl) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::GET, url)
    }

    /// A POST with the provider's auth and extra headers, off the hot path
    /// (Ollama's `/api/show`).
    pub fn post(&self, url: impl IntoUrl) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, url)
    }

    /// A GET for a provider's account API (its balance), with key `key` of
    /// the pool as a Bearer token: the vendors' account APIs take Bearer
    /// whichever header their model API takes (DeepSeek's Anthropic
    /// endpoint takes `x-api-key`). The provider's other headers go along.
    pub fn get_bearer(&self, url: impl IntoUrl, key: usize) -> reqwest::RequestBuilder {
        let mut headers = self.headers.clone();
        let value = auth_header(self.provider.auth).and_then(|(name, prefix)| {
            let v = match key.checked_sub(1) {
                Some(i) => self.pool.get(i).cloned(),
                None => match &self.refresh {
                    Some(r) => Some(r.current().0),
                    None => headers.get(name).cloned(),
                },
            }?;
            if !self.configured.iter().any(|c| c == name) {
                headers.remove(name);
            }
            let k = v.to_str().ok()?.strip_prefix(prefix)?.to_string();
            let mut bearer = HeaderValue::from_str(&format!("Bearer {k}")).ok()?;
            bearer.set_sensitive(true);
            Some(bearer)
        });
        if let Some(v) = value {
            headers.insert(http::header::AUTHORIZATION, v);
        }
        self.client.get(url).headers(headers)
    }

    fn request(&self, method: reqwest::Method, url: impl IntoUrl) -> reqwest::RequestBuilder {
        self.client
            .request(method, url)
            .headers(self.headers.clone())
    }

    /// The hot path: POST a JSON body to `url` (with the client's query
    /// string, if any), with the provider's auth and extra headers plus
    /// `extra`. Waits for the status line only.
    pub async fn post_json(
        &self,
        url: &Url,
        query: Option<&str>,
        extra: HeaderMap,
        body: Vec<u8>,
        key: usize,
    ) -> Result<Reply, SendError> {
        let mut headers = self.headers.clone();
        if let (Some(name), Some(v)) = (
            &self.auth_name,
            key.checked_sub(1).and_then(|i| self.pool.get(i)),
        ) {
            headers.insert(name, v.clone());
        }
        if let (0, Some(r), Some((name, _))) = (key, &self.refresh, auth_header(self.provider.auth))
        {
            headers.insert(name, r.current().0);
        }
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        for (name, value) in &extra {
            // A header the provider's config sets (say, a User-Agent) wins
            // over the client's.
            if !self.configured.contains(name) {
                headers.insert(name, value.clone());
            }
        }
        let Some(lean) = &self.lean else {
            let mut url = url.clone();
            if query.is_some() {
                url.set_query(query);
            }
            let rb = self.client.post(url).headers(headers).body(body);
            return Ok(rb.send().await?.into());
        };
        let uri = match query {
            Some(q) => http::Uri::try_from(format!("{url}?{q}")),
            None => http::Uri::try_from(url.as_str()),
        }
        .map_err(|e| SendError {
            cause: e.to_string(),
            timeout: false,
        })?;
        let mut req = http::Request::new(Full::new(Bytes::from(body)));
        *req.method_mut() = Method::POST;
        *req.uri_mut() = uri;
        *req.headers_mut() = headers;
        Ok(lean.request(req).await?.into())
    }
}

/// A key as a header value, marked sensitive (never logged by hyper).
fn auth_value(provider: &Provider, value: &str) -> Result<HeaderValue, ClientError> {
    let mut v = HeaderValue::from_str(value)
        .map_err(|_| ClientError::Client(t!("proxy.key_not_header", provider = provider.name)))?;
    v.set_sensitive(true);
    Ok(v)
}

/// The lean client, for plain HTTP to this machine or a provider marked
/// local, with no proxy configured: the cases where no system proxy may
/// apply anyway (see `no_proxy` above).
fn lean_client(p: &Provider) -> Option<Lean> {
    let plain = p.base_url.as_ref().is_some_and(|u| u.scheme() == "http");
    if !plain || p.proxy.is_some() || !(p.local || is_loopback(p)) {
        return None;
    }
    let mut c = HttpConnector::new();
    c.set_nodelay(true);
    c.set_connect_timeout(Some(p.timeouts.connect));
    let client = HyperClient::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_timer(TokioTimer::new())
        .build(c);
    Some(client)
}

fn is_loopback(p: &Provider) -> bool {
    p.base_url
        .as_ref()
        .and_then(url::Url::host)
        .is_some_and(|h| match h {
            url::Host::Domain(d) => d == "localhost",
            url::Host::Ipv4(ip) => ip.is_loopback(),
            url::Host::Ipv6(ip) => ip.is_loopback(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, Presets};

    fn provider(fields: &str) -> Provider {
        let src = format!(
            "[providers.up]\napi = \"openai\"\n{fields}\nkey = {{ env = \"K\" }}\n[profiles.p]\nprovider = \"up\"\nmain = \"m\"\n"
        );
        let cfg = config::parse(std::path::Path::new("t.toml"), &src, &Presets::builtin())
            .unwrap_or_else(|e| panic!("{e}"));
        cfg.providers["up"].clone()
    }

    #[tokio::test]
    async fn only_local_plain_http_without_a_proxy_gets_the_lean_client() {
        let lean = |fields: &str| lean_client(&provider(fields)).is_some();
        assert!(lean("base_url = \"http://127.0.0.1:11434/v1\""));
        assert!(lean("base_url = \"http://localhost:1234/v1\""));
        assert!(lean("base_url = \"http://[::1]:8000/v1\""));
        assert!(!lean("base_url = \"https://localhost:8443/v1\""), "TLS");
        assert!(
            !lean("base_url = \"http://127.0.0.1:4000\"\nproxy = \"http://proxy:3128\""),
            "a configured proxy"
        );
        assert!(
            !lean("base_url = \"http://gateway.corp:4000\""),
            "HTTP_PROXY may apply to a remote host"
        );
    }
}
