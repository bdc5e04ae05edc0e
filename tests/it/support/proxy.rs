//! The proxy in-process against a mock upstream, and a client for it:
//! requests go to the proxy as a function ([`ccswitch::proxy::Service`]),
//! without a socket; tests of the HTTP layer itself use `base` and `http`.
#![allow(dead_code)]

use std::path::Path;
use std::sync::{Arc, Mutex};

use super::mock::Mock;
use ccswitch::config::{self, Presets};
use ccswitch::i18n::{Lang, set_lang};
use ccswitch::proxy::translate::anthropic::Event;
use ccswitch::proxy::translate::sse::SseDecoder;
use ccswitch::proxy::{self, ProxyConfig, ProxyHandle, Service};
use ccswitch::secrets::{MemoryStore, SecretString, Secrets};
use serde_json::{Value, json};

pub const TOKEN: &str = "ccsw-test-session-token";
pub const KEY: &str = "sk-upstream-provider-key";
pub const CLAUDE_UA: &str = "claude-cli/2.1.332 (external, cli)";

pub struct Proxy {
    pub handle: ProxyHandle,
    /// The same proxy, called without the socket.
    pub service: Service,
    pub base: String,
    pub logs: Arc<Mutex<Vec<String>>>,
    pub http: reqwest::Client,
}

/// A proxy for a profile whose provider points at `mock`.
pub async fn mk_proxy(mock: &Mock, provider_toml: &str) -> Proxy {
    mk_proxy_with(mock, provider_toml, |_| {}).await
}

/// The same, with its configuration adjusted first (limits).
pub async fn mk_proxy_with(
    mock: &Mock,
    provider_toml: &str,
    adjust: impl FnOnce(&mut ProxyConfig),
) -> Proxy {
    let src = format!(
        "{provider_toml}\n[profiles.p]\nprovider = \"up\"\nmain = \"up-main\"\nfast = \"up-fast\"\n"
    )
    .replace("MOCK", &mock.url(""));
    mk_proxy_config(&src, &[("up", KEY)], adjust).await
}

/// A proxy for profile `p` of a whole config, with these keyring keys.
pub async fn mk_proxy_config(
    src: &str,
    keys: &[(&str, &str)],
    adjust: impl FnOnce(&mut ProxyConfig),
) -> Proxy {
    set_lang(Lang::En);
    let cfg = config::parse(Path::new("test.toml"), src, &Presets::builtin())
        .unwrap_or_else(|e| panic!("{e}"));
    let secrets = Secrets {
        keyring: Arc::new(MemoryStore::with(keys)),
        file: Arc::new(MemoryStore::default()),
    };
    let logs = Arc::new(Mutex::new(Vec::new()));
    let sink = logs.clone();
    let log: proxy::LogFn = Arc::new(move |l: &str| sink.lock().unwrap().push(l.to_string()));
    let pcfg = ProxyConfig::new(
        &cfg,
        cfg.profile("p").unwrap(),
        &secrets,
        &|_| None,
        SecretString::from(TOKEN.to_string()),
        log,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut pcfg = pcfg;
    adjust(&mut pcfg);
    let handle = proxy::start("127.0.0.1:0".parse().unwrap(), pcfg)
        .await
        .unwrap();
    let base = format!("http://{}", handle.addr);
    Proxy {
        service: handle.service(),
        handle,
        base,
        logs,
        http: reqwest::Client::new(),
    }
}

pub const OPENAI: &str = "[providers.up]\napi = \"openai\"\nbase_url = \"MOCK/v1\"\ntimeouts = { idle = 1 }\n[providers.up.models.up-main]\nmax_output = 4096\n";
pub const ANTHROPIC: &str = "[providers.up]\napi = \"anthropic\"\nbase_url = \"MOCK/anthropic\"\nauth = \"x-api-key\"\ntimeouts = { idle = 1 }\nquirks = { drop_betas = true }\n";

pub fn ask(stream: bool) -> Value {
    json!({
        "model": "up-main",
        "max_tokens": 32000,
        "stream": stream,
        "metadata": {"user_id": "{\"device_id\":\"d\"}"},
        "system": [{"type": "text", "text": "Be brief."}],
        "messages": [{"role": "user", "content": "say hi"}],
    })
}

impl Proxy {
    /// `body` posted to `path` as Claude Code sends it, without a socket.
    pub async fn post(&self, path: &str, body: &Value) -> ProxyReply {
        let req = http::Request::post(path)
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("anthropic-version", "2023-06-01")
            .header("anthropic-beta", "claude-code-20250219")
            .header("user-agent", CLAUDE_UA)
            .header("content-type", "application/json")
            .body(http_body_util::Full::new(bytes::Bytes::from(
                serde_json::to_vec(body).unwrap(),
            )))
            .unwrap();
        ProxyReply::new(self.service.call(req).await)
    }

    /// The same request over the socket, to send later (`tokio::spawn` it
    /// while the test moves a held clock).
    pub fn request(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("anthropic-version", "2023-06-01")
            .header("anthropic-beta", "claude-code-20250219")
            .header("user-agent", CLAUDE_UA)
            .json(body)
    }
}

pub async fn events(resp: ProxyReply) -> Vec<Event> {
    events_of(&resp.text().await.unwrap())
}

/// The proxy's answer to [`Proxy::post`], read the way a client reads one.
pub struct ProxyReply {
    status: http::StatusCode,
    headers: http::HeaderMap,
    body: proxy::Body,
}

impl ProxyReply {
    fn new(resp: http::Response<proxy::Body>) -> ProxyReply {
        let (parts, body) = resp.into_parts();
        ProxyReply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    pub fn status(&self) -> http::StatusCode {
        self.status
    }

    pub fn headers(&self) -> &http::HeaderMap {
        &self.headers
    }

    /// The next piece of the body as the proxy produced it; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<bytes::Bytes>, std::convert::Infallible> {
        use http_body_util::BodyExt;
        while let Some(frame) = self.body.frame().await {
            if let Ok(data) = frame?.into_data() {
                return Ok(Some(data));
            }
        }
        Ok(None)
    }

    pub async fn bytes(self) -> Result<bytes::Bytes, std::convert::Infallible> {
        use http_body_util::BodyExt;
        Ok(self.body.collect().await?.to_bytes())
    }

    pub async fn text(self) -> Result<String, std::convert::Infallible> {
        Ok(String::from_utf8_lossy(&self.bytes().await?).into_owned())
    }

    pub async fn json<T: serde::de::DeserializeOwned>(self) -> Result<T, serde_json::Error> {
        let bytes = self.bytes().await.unwrap_or_default();
        serde_json::from_slice(&bytes)
    }
}

/// The events of an SSE text.
pub fn events_of(text: &str) -> Vec<Event> {
    let mut d = SseDecoder::new();
    let mut evs = d.push(text.as_bytes());
    evs.extend(d.finish());
    evs.iter()
        .map(|e| serde_json::from_str(&e.data).unwrap_or_else(|err| panic!("{err}: {}", e.data)))
        .collect()
}

pub fn text_of(evs: &[Event]) -> String {
    use ccswitch::proxy::translate::anthropic::Delta;
    evs.iter()
        .filter_map(|e| match e {
            Event::ContentBlockDelta {
                delta: Delta::TextDelta { text },
                ..
            } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}
